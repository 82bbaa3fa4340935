"""Phase 5, fulfilment: merchants ship from stock (a stockout loses the sale) through couriers.

Delivery days are the courier's base time, plus distance, plus a congestion delay when the
day's parcels exceed the courier's capacity; a small share of parcels is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.orders import take
from ecosim.phases.consumption import file_after_delivery

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel

__all__ = ["reserve_stock", "ship"]


def _rank_within(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order that sorts by group (stable) and each entry's rank within its group."""
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, g.size]))
    return order, np.arange(g.size) - first


def reserve_stock(model: EcosystemModel, orders: dict) -> dict:
    """Keep the orders the merchant can serve from stock and the buyer can pay.

    Demand (served or not) is recorded for the merchants' forecasts; stockouts are counted.
    """
    mer = model.merchants
    slot = model.day % mer.units_hist.shape[1]
    np.add.at(mer.units_hist[:, slot], orders["merchant"], 1.0)
    from ecosim.phases.payment import affordable

    cash_ok = affordable(model, orders, mer.price[orders["merchant"]])
    orders = take(orders, cash_ok)
    order, rank = _rank_within(orders["merchant"])
    served = np.zeros(rank.size, dtype=bool)
    served[order] = rank < np.floor(mer.stock[orders["merchant"][order]])
    model.today["stockouts"] += float((~served).sum())
    model.today["orders_attempted"] += float(served.size)
    out = take(orders, served)
    mer.stock -= np.bincount(out["merchant"], minlength=mer.n)
    return out


def ship(model: EcosystemModel, orders: dict) -> None:
    """Hand paid orders to couriers and file the parcels by arrival day."""
    cfg = model.config.logistics
    mer = model.merchants
    cour = model.couriers
    courier = mer.courier[orders["merchant"]]
    cour.parcels_today += np.bincount(courier, minlength=cour.n)
    bill = cour.price[courier]
    model.ledger.pay("merchants", orders["merchant"], "couriers", courier, bill)
    np.add.at(mer.profit_today, orders["merchant"], -bill - mer.wholesale[orders["merchant"]])
    overload = np.maximum(
        cour.parcels_today / np.maximum(cour.capacity(cfg.parcels_per_courier_day), 1.0) - 1.0, 0.0
    )
    days = (
        model.travel_days(
            mer.region[orders["merchant"]], model.consumers.region[orders["consumer"]]
        )
        + cfg.congestion_days * overload[courier]
        + model.rng.exponential(0.3, courier.size)
    )
    days = np.maximum(np.rint(days), 1).astype(np.int64)
    lost = model.rng.random(courier.size) < cfg.loss_rate
    parcels = dict(orders, days=days, lost=lost)
    model.shipments.file(parcels, model.day + days)
    slots = orders["slot"]
    has_slot = slots >= 0
    model.consumers.pending[orders["consumer"][has_slot], slots[has_slot]] = True
    # The household's next need is checked once delivery has refilled (or not) its stock.
    file_after_delivery(
        model, orders["consumer"][has_slot], slots[has_slot], model.day + days[has_slot]
    )
    model.today["orders"] += float(courier.size)
    model.today["gmv"] += float(orders["price"].sum())
    model.today["iot_orders"] += float(orders["iot"].sum())
    model.today["repeat_orders"] += float(has_slot.sum())
    model.today["iot_repeat_orders"] += float((orders["iot"] & has_slot).sum())
    np.add.at(
        mer.sales_hist[:, model.day % mer.sales_hist.shape[1]], orders["merchant"], orders["price"]
    )
