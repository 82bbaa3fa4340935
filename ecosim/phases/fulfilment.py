"""Phase 5, fulfilment: merchants ship from stock (a stockout loses the sale) through couriers.

Each courier firm dispatches parcels first come, first served: a day's capacity (its staff
times their productivity, times a surge factor around festival days) takes parcels from the
front of its queue, and those beyond it wait for the next days' capacity. A parcel's delivery
time is its wait in the queue, plus the base time and distance, plus a little noise; a small
share of parcels is lost. See docs/model.md, section 7.5.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import numpy as np

from ecosim.dates import festival_shares
from ecosim.demand import travel_days
from ecosim.economics import order_prices, pay_couriers, wage_rates
from ecosim.orders import take
from ecosim.phases.consumption import file_after_delivery
from ecosim.phases.labour import SECTORS
from ecosim.phases.payment import affordable

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = [
    "capacity_plan",
    "dispatch_waits",
    "queue_parcels",
    "record_courier_load",
    "reserve_stock",
    "ship",
    "surge_multiplier",
]

LOGISTICS = SECTORS.index("logistics")


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


def surge_multiplier(state: State, date: datetime.date) -> float:
    """Courier firms' dispatch capacity on ``date`` as a multiple of their own staff's: the
    ``surge_factor`` on a festival day (one with a positive share of the year's sales) and
    the ``surge_days - 1`` days after it, then falling linearly to 1 over
    ``surge_ramp_days`` days."""
    cfg = state.config.logistics
    if cfg.surge_factor == 1.0 or cfg.surge_days == 0:
        return 1.0
    best = 1.0
    for year in (date.year - 1, date.year):  # a surge may run on into the new year
        for festival in festival_shares(state.config.calendar, year):
            after = (date - festival).days
            if 0 <= after < cfg.surge_days:
                level = 1.0
            elif 0 <= after - cfg.surge_days < cfg.surge_ramp_days:
                level = 1.0 - (after - cfg.surge_days + 1) / (cfg.surge_ramp_days + 1)
            else:
                continue
            best = max(best, 1.0 + (cfg.surge_factor - 1.0) * level)
    return best


def capacity_plan(state: State, days: int, start: int = 0) -> np.ndarray:
    """Parcels each courier firm plans to dispatch on each of ``days`` days from today plus
    ``start`` [firms, days]: its own staff's capacity (today's staff) times the surge."""
    ordinary = state.couriers.capacity(state.config.logistics.parcels_per_courier_day)
    surge = [
        surge_multiplier(state, state.date + datetime.timedelta(start + i)) for i in range(days)
    ]
    return ordinary[:, None] * np.array(surge)[None, :]


def _plan_days(state: State) -> int:
    """Days of capacity plan that cover every surge and ramp day ahead of a festival day."""
    cfg = state.config.logistics
    return cfg.surge_days + cfg.surge_ramp_days + 1


def dispatch_waits(
    position: np.ndarray, courier: np.ndarray, plan: np.ndarray, ordinary: np.ndarray
) -> np.ndarray:
    """Days each parcel waits for dispatch (0: it goes out on the first day of the plan).

    Args:
        position: the parcel's place in its firm's queue (0 is the front; parcels).
        courier: the parcel's firm.
        plan: each firm's dispatch capacity on the plan's days [firms, days] (parcels/day).
        ordinary: each firm's capacity after the plan's days (parcels/day, positive).

    A parcel at place ``q`` goes out on the first day ``d`` whose cumulative capacity
    exceeds ``q``; beyond the plan, days of ``ordinary`` capacity follow.
    """
    cum = np.cumsum(plan, axis=1)
    first = (cum[courier] <= position[:, None]).sum(axis=1)
    late = first == plan.shape[1]
    if late.any():
        rest = position[late] - cum[courier[late], -1]
        first[late] += np.floor(rest / ordinary[courier[late]]).astype(np.int64)
    return first.astype(np.int64)


def queue_parcels(state: State, courier: np.ndarray) -> np.ndarray:
    """Put parcels handed over now at the back of their firms' queues, in the order given;
    return the days each waits for dispatch."""
    cour = state.couriers
    order, rank = _rank_within(courier)
    position = np.empty(courier.size)
    position[order] = rank
    position += cour.backlog[courier] + cour.parcels_today[courier]
    cour.parcels_today += np.bincount(courier, minlength=cour.n)
    plan = capacity_plan(state, _plan_days(state))
    ordinary = cour.capacity(state.config.logistics.parcels_per_courier_day)
    return dispatch_waits(position, courier, plan, ordinary)


def ship(state: State, orders: dict) -> None:
    """Hand paid orders to couriers and file the parcels by arrival day."""
    cfg = state.config.logistics
    mer = state.merchants
    courier = mer.courier[orders["merchant"]]
    wait = queue_parcels(state, courier)
    bill = pay_couriers(state, orders["merchant"], orders["platform"], courier)
    np.add.at(mer.profit_today, orders["merchant"], -bill - mer.wholesale[orders["merchant"]])
    days = (
        travel_days(
            state, mer.region[orders["merchant"]], state.consumers.region[orders["consumer"]]
        )
        + wait
    )
    if cfg.delivery_noise_days > 0:
        days = days + state.rng.exponential(cfg.delivery_noise_days, courier.size)
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
    """Couriers dispatch today's capacity from the front of their queues; the rest waits.

    Surge capacity (courier-days beyond the firm's own staff) is paid the logistics wage, to
    temporary workers outside the household population. Also records the wait a parcel
    handed over tomorrow faces (shoppers' expected delay) and the volume history.
    """
    cfg = state.config.logistics
    cour = state.couriers
    ordinary = cour.capacity(cfg.parcels_per_courier_day)
    cour.capacity_today[:] = capacity_plan(state, 1)[:, 0]
    queue = cour.backlog + cour.parcels_today
    cour.dispatched_today[:] = np.minimum(queue, cour.capacity_today)
    cour.backlog[:] = queue - cour.dispatched_today
    surge_staff = cour.staff * (cour.capacity_today / ordinary - 1.0)
    if surge_staff.any():
        wage = wage_rates(state)[LOGISTICS]
        state.ledger.pay("couriers", np.arange(cour.n), "world", 0, surge_staff * wage)
    plan = capacity_plan(state, _plan_days(state), start=1)
    state.courier_wait = dispatch_waits(
        cour.backlog.copy(), np.arange(cour.n), plan, ordinary
    ).astype(float)
    cour.volume_hist[:, state.day % cour.volume_hist.shape[1]] = cour.parcels_today
