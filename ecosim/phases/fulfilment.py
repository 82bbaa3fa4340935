"""Phase 5, fulfilment: merchants ship from stock (a stockout loses the sale) through couriers.

Delivery days are the courier's base time, plus distance, plus a congestion delay when the
day's parcels exceed the courier's capacity; a small share of parcels is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.demand import travel_days
from ecosim.economics import order_prices, pay_couriers
from ecosim.orders import take
from ecosim.phases.consumption import file_after_delivery
from ecosim.phases.payment import affordable

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["record_courier_load", "reserve_stock", "ship"]


def _rank_within(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order that sorts by group (stable) and each entry's rank within its group."""
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, g.size]))
    return order, np.arange(g.size) - first


def reserve_stock(state: State, orders: dict) -> dict:
    """Keep the orders the merchant can serve from stock and the buyer can pay.

    Demand (served or not) is recorded for the merchants' forecasts; stockouts are counted.
    """
    mer = state.merchants
    slot = state.day % mer.units_hist.shape[1]
    np.add.at(mer.units_hist[:, slot], orders["merchant"], 1.0)
    cash_ok = affordable(state, orders, order_prices(state, orders))
    orders = take(orders, cash_ok)
    order, rank = _rank_within(orders["merchant"])
    served = np.zeros(rank.size, dtype=bool)
    served[order] = rank < np.floor(mer.stock[orders["merchant"][order]])
    state.today.stockouts += float((~served).sum())
    state.today.orders_attempted += float(served.size)
    out = take(orders, served)
    mer.stock -= np.bincount(out["merchant"], minlength=mer.n)
    return out


def ship(state: State, orders: dict) -> None:
    """Hand paid orders to couriers and file the parcels by arrival day."""
    cfg = state.config.logistics
    mer = state.merchants
    cour = state.couriers
    courier = mer.courier[orders["merchant"]]
    cour.parcels_today += np.bincount(courier, minlength=cour.n)
    bill = pay_couriers(state, orders["merchant"], orders["platform"], courier)
    np.add.at(mer.profit_today, orders["merchant"], -bill - mer.wholesale[orders["merchant"]])
    overload = np.maximum(
        cour.parcels_today / np.maximum(cour.capacity(cfg.parcels_per_courier_day), 1.0) - 1.0, 0.0
    )
    days = (
        travel_days(
            state, mer.region[orders["merchant"]], state.consumers.region[orders["consumer"]]
        )
        + cfg.congestion_days * overload[courier]
        + state.rng.exponential(0.3, courier.size)
    )
    days = np.maximum(np.rint(days), 1).astype(np.int64)
    lost = state.rng.random(courier.size) < cfg.loss_rate
    state.record.orders(state.day, orders, days)
    parcels = dict(orders, days=days, lost=lost)
    state.shipments.file(parcels, state.day + days)
    slots = orders["slot"]
    has_slot = slots >= 0
    state.consumers.pending[orders["consumer"][has_slot], slots[has_slot]] = True
    # The household's next need is checked once delivery has refilled (or not) its stock.
    file_after_delivery(
        state, orders["consumer"][has_slot], slots[has_slot], state.day + days[has_slot]
    )
    state.today.orders += float(courier.size)
    state.today.gmv += float(orders["price"].sum())
    state.today.sales_fees += float(orders["fee"].sum())
    state.today.iot_orders += float(orders["iot"].sum())
    state.today.repeat_orders += float(has_slot.sum())
    state.today.iot_repeat_orders += float((orders["iot"] & has_slot).sum())
    np.add.at(
        mer.sales_hist[:, state.day % mer.sales_hist.shape[1]], orders["merchant"], orders["price"]
    )


def record_courier_load(state: State) -> None:
    """Today's overload (for tomorrow's delivery estimates) and the volume history."""
    cfg = state.config.logistics
    cour = state.couriers
    cap = np.maximum(cour.capacity(cfg.parcels_per_courier_day), 1.0)
    state.courier_overload = np.maximum(cour.parcels_today / cap - 1.0, 0.0)
    cour.volume_hist[:, state.day % cour.volume_hist.shape[1]] = cour.parcels_today
