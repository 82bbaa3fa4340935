"""Phase 4, payment: buyers pay; escrow holds the money until delivery, fees go to the platform.

Offline purchases are settled here too: the household pays the shop, the shop buys the unit
from a manufacturer of the category, which pays its material cost to the rest of the world.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.economics import order_prices, pay_platform, tier_fee_rates
from ecosim.orders import take
from ecosim.phases.consumption import refill_home_stock

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = [
    "affordable",
    "bill_data_services",
    "book_orders",
    "pay_online",
    "settle_offline",
    "sweep_closed_accounts",
]


def affordable(state: State, batch: dict, price: np.ndarray) -> np.ndarray:
    """Mask of purchases the household's cash covers (a household cannot borrow)."""
    return state.ledger.balances["households"][batch["consumer"]] >= price


def pay_online(state: State, orders: dict) -> dict:
    """Take payment for accepted online orders.

    Returns:
        The orders with ``price`` (RMB), ``fee`` (RMB owed to the platform) and ``escrow``.
    """
    mer = state.merchants
    price = order_prices(state, orders)
    fee = np.zeros(price.size)
    escrow = np.zeros(price.size, dtype=bool)
    for p, plat in enumerate(state.config.platforms):
        sel = orders["platform"] == p
        if not sel.any():
            continue
        fee[sel] = price[sel] * tier_fee_rates(plat, mer.tier[orders["merchant"][sel]])
        escrow[sel] = plat.escrow
        buyers, sellers = orders["consumer"][sel], orders["merchant"][sel]
        if plat.escrow:
            state.ledger.pay("households", buyers, "escrow", p, price[sel])
        else:
            state.ledger.pay("households", buyers, "merchants", sellers, price[sel] - fee[sel])
            pay_platform(state, "households", buyers, p, fee[sel], "commission")
        state.platforms.gmv_today[p] += price[sel].sum()
    out = dict(orders, price=price, fee=fee, escrow=escrow)
    # Revenue is booked when the goods ship (accrual); a refund later reverses it.
    np.add.at(mer.profit_today, orders["merchant"], price - fee)
    return out


def settle_offline(state: State, purchases: dict) -> dict:
    """Offline purchases: pay the shop, which restocks from manufacturers at once.

    Returns:
        The purchases the households could afford.
    """
    price = state.offline_price[purchases["category"]]
    ok = affordable(state, purchases, price)
    bought = take(purchases, ok)
    price = price[ok]
    if price.size == 0:
        return bought
    mfr = state.manufacturers
    maker = mfr.pick_supplier(bought["category"], state.rng)
    wholesale = mfr.offer_price(maker)
    state.ledger.pay("households", bought["consumer"], "offline", 0, price)
    state.ledger.pay("offline", 0, "manufacturers", maker, wholesale)
    state.ledger.pay("manufacturers", maker, "world", 0, mfr.unit_cost[maker])
    np.add.at(mfr.produced_today, maker, 1.0)
    state.goods.created("produced_offline", price.size)
    state.goods.removed("sold_offline", price.size)
    state.today.offline_sales += float(price.sum())
    state.today.offline_units += float(price.size)
    refill_home_stock(state, bought["consumer"], bought["slot"])
    return bought


def book_orders(state: State, orders: dict) -> None:
    """Workload records of today's orders; device makers pay IoT hosting per device order."""
    today = state.today
    today.order_merchants = orders["merchant"]
    today.iot_merchants = orders["merchant"][orders["iot"]]
    today.orders_by_platform = np.bincount(orders["platform"], minlength=state.platforms.n)
    iot = np.flatnonzero(orders["iot"])
    if iot.size == 0:
        return
    makers = state.consumers.device[orders["consumer"][iot], orders["slot"][iot]]
    plat = orders["platform"][iot]
    fee = np.array([p.iot_hosting_fee for p in state.config.platforms])[plat]
    pay_platform(state, "manufacturers", makers, plat, fee, "iot_hosting")


def bill_data_services(state: State) -> None:
    """Manufacturers with the data service pay the (first) platform for it daily."""
    mfr = state.manufacturers
    price = state.config.platforms[0].data_service_price
    buyers = np.flatnonzero(mfr.data_service)
    if buyers.size and price > 0:
        pay_platform(
            state, "manufacturers", buyers, 0, np.full(buyers.size, price), "data_services"
        )


def sweep_closed_accounts(state: State) -> None:
    """Money reaching a closed store (late escrow releases) goes to its owner (the world)."""
    bal = state.ledger.balances["merchants"]
    closed = np.flatnonzero(~state.merchants.active & (bal != 0))
    if closed.size:
        state.ledger.pay("merchants", closed, "world", 0, bal[closed])
