"""Phase 4, payment: buyers pay; escrow holds the money until delivery, fees go to the platform.

Offline purchases are settled here too: the household pays the shop, the shop buys the unit
from a manufacturer of the category, which pays its material cost to the rest of the world.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.economics import pay_platform, tier_fee_rates
from ecosim.orders import take

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["affordable", "pay_online", "settle_offline"]


def affordable(model: EcosystemModel, batch: dict, price: np.ndarray) -> np.ndarray:
    """Mask of purchases the household's cash covers (a household cannot borrow)."""
    return model.ledger.balances["households"][batch["consumer"]] >= price


def pay_online(model: EcosystemModel, orders: dict) -> dict:
    """Take payment for accepted online orders.

    Returns:
        The orders with ``price`` (RMB), ``fee`` (RMB owed to the platform) and ``escrow``.
    """
    mer = model.merchants
    price = mer.price[orders["merchant"]]
    fee = np.zeros(price.size)
    escrow = np.zeros(price.size, dtype=bool)
    for p, plat in enumerate(model.config.platforms):
        sel = orders["platform"] == p
        if not sel.any():
            continue
        fee[sel] = price[sel] * tier_fee_rates(plat, mer.tier[orders["merchant"][sel]])
        escrow[sel] = plat.escrow
        buyers, sellers = orders["consumer"][sel], orders["merchant"][sel]
        if plat.escrow:
            model.ledger.pay("households", buyers, "escrow", p, price[sel])
        else:
            model.ledger.pay("households", buyers, "merchants", sellers, price[sel] - fee[sel])
            pay_platform(model, "households", buyers, p, fee[sel])
        model.platforms.gmv_today[p] += price[sel].sum()
    out = dict(orders, price=price, fee=fee, escrow=escrow)
    # Revenue is booked when the goods ship (accrual); a refund later reverses it.
    np.add.at(mer.profit_today, orders["merchant"], price - fee)
    return out


def settle_offline(model: EcosystemModel, purchases: dict) -> dict:
    """Offline purchases: pay the shop, which restocks from manufacturers at once.

    Returns:
        The purchases the households could afford.
    """
    price = model.offline_price[purchases["category"]]
    ok = affordable(model, purchases, price)
    bought = take(purchases, ok)
    price = price[ok]
    if price.size == 0:
        return bought
    mfr = model.manufacturers
    maker = mfr.pick_supplier(bought["category"], model.rng)
    wholesale = mfr.offer_price(maker)
    model.ledger.pay("households", bought["consumer"], "offline", 0, price)
    model.ledger.pay("offline", 0, "manufacturers", maker, wholesale)
    model.ledger.pay("manufacturers", maker, "world", 0, mfr.unit_cost[maker])
    np.add.at(mfr.produced_today, maker, 1.0)
    model.goods.created("produced_offline", price.size)
    model.goods.removed("sold_offline", price.size)
    model.today["offline_sales"] += float(price.sum())
    model.offline.sales_today += float(price.sum())
    model.offline.units_today += float(price.size)
    model.refill_home_stock(bought["consumer"], bought["slot"])
    return bought
