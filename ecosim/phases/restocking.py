"""Phase 7, restocking: two order-up-to stages, stores and manufacturers.

Stores review their inventory every ``review_period`` days (R, staggered across stores),
forecast daily demand as the moving average of the last ``forecast_window`` days (p, with
a forecast error on that daily forecast) and order up to ``(L + R) x forecast + z x sd x
sqrt(L + R)``, counting stock on hand and on order. A manufacturer ships from its finished
goods (rationing when short); the goods reach the store after ``lead_time`` days (L; 0 is
same-day replenishment). Each manufacturer then plans its production with the same rule
(daily review, production lead time ``L_m``), forecasting from the stores' orders, or from
its stores' consumer demand when it buys the platform's point-of-sale data (information
sharing). See docs/model.md, section 7.10.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.merchants import cost_factor
from ecosim.dates import upcoming_extra_days
from ecosim.phases import services

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = [
    "demand_estimate",
    "forecast",
    "forecast_errors",
    "plan_production",
    "prebuild_days",
    "receive",
    "reorder",
]


def receive(state: State) -> None:
    """Shipments from manufacturers that arrive today go into stock."""
    arrivals = state.inbound.pop(state.day)
    if arrivals is None:
        return
    mer = state.merchants
    units = np.bincount(arrivals["merchant"], weights=arrivals["units"], minlength=mer.n)
    mer.on_order -= units
    # Goods reaching a closed store are written off.
    closed = ~mer.active & (units > 0)
    state.goods.removed("written_off", float(units[closed].sum()))
    units[closed] = 0.0
    mer.stock += units


def demand_estimate(
    hist: np.ndarray, day: int, age: np.ndarray, window: int, sd_window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Moving-average mean and sample sd of daily series kept in ring buffers.

    Args:
        hist: one row per actor, one column per day of the ring (units/day).
        day: the last day included.
        age: days each actor has existed (its series is zero before).
        window: days of the moving average (p); fewer while the actor is younger.
        sd_window: days over which the sd is estimated; fewer while younger.

    Returns:
        (mean, sd) in units/day. With a single day of data the sd is ``sqrt(mean)``
        (Poisson), since a sample sd needs two.
    """
    width = hist.shape[1]
    window, sd_window = min(window, width), min(sd_window, width)
    n_mean = np.minimum(age, window)
    mean = hist[:, (day - np.arange(window)) % width].sum(axis=1) / n_mean
    n_sd = np.minimum(age, sd_window)
    recent = hist[:, (day - np.arange(sd_window)) % width]
    total = recent.sum(axis=1)
    squares = (recent * recent).sum(axis=1)
    var = (squares - total * total / n_sd) / np.maximum(n_sd - 1, 1)
    sd = np.where(n_sd >= 2, np.sqrt(np.maximum(var, 0.0)), np.sqrt(mean))
    return mean, sd


def forecast(state: State, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Daily demand forecast of the given stores, and the sd of their daily demand.

    The forecast is the moving average over ``forecast_window`` days times a mean-preserving
    lognormal error of log-sd ``forecast_error x (1 - analytics gain)``.

    Returns:
        (forecast, sd, moving average) in units/day.
    """
    mer = state.merchants
    cfg = state.config.merchants
    age = np.maximum(state.day - mer.entry_day[rows] + 1, 1)
    mean, sd = demand_estimate(
        mer.units_hist[rows], state.day, age, cfg.forecast_window, cfg.safety_window
    )
    error = forecast_errors(state, rows)
    return mean * error, sd, mean


def forecast_errors(state: State, rows: np.ndarray) -> np.ndarray:
    """Mean-preserving lognormal forecast errors of the given stores (factors, mean 1), of
    log-sd ``forecast_error x (1 - analytics gain)``."""
    s = state.config.merchants.forecast_error * (1 - services.forecast_gain(state)[rows])
    return np.exp(s * state.rng.standard_normal(rows.size) - 0.5 * s * s)


def reorder(state: State) -> None:
    """Stores due for review order; manufacturers ship from finished goods, rationing."""
    mer = state.merchants
    mfr = state.manufacturers
    cfg = state.config.merchants
    lead = state.config.manufacturers.lead_time
    due = np.flatnonzero(mer.active & ((np.arange(mer.n) + state.day) % cfg.review_period == 0))
    if due.size == 0:
        return
    cal = state.config.calendar
    festival = upcoming_extra_days(cal, state.date, cal.preparation_days)  # stock up for it
    cover = lead + cfg.review_period  # days the order must last: to the next order's arrival
    mean, sd, average = forecast(state, due)
    # Festivals ahead add their extra days of demand (docs/model.md, 7.10), re-planned at
    # every review from the moving average, but with one forecast error per store and
    # festival, drawn when the festival enters the window: a fresh error at every review
    # would ratchet the level up to the window's highest draw, since stock is not returned.
    new = np.flatnonzero(mer.festival_days[due] != festival)
    mer.festival_error[due[new]] = forecast_errors(state, due[new])
    mer.festival_days[due[new]] = festival
    extra = festival * average * mer.festival_error[due]
    target = cover * mean + extra + cfg.safety_factor * sd * np.sqrt(cover)
    want = np.maximum(np.ceil(target - mer.stock[due] - mer.on_order[due]), 0.0)
    ask = due[want > 0]
    want = want[want > 0]
    state.today.restock_ordered += float(want.sum())
    if ask.size == 0:
        return
    maker = mer.supplier[ask]
    asked = np.bincount(maker, weights=want, minlength=mfr.n)
    mfr.orders_hist[:, state.day % mfr.orders_hist.shape[1]] += asked
    have = mfr.finished_stock
    fill = np.where(asked > 0, np.minimum(1.0, have / np.maximum(asked, 1e-12)), 1.0)
    units = np.floor(want * fill[maker])
    got = units > 0
    ask, units, maker = ask[got], units[got], maker[got]
    mfr.finished_stock -= np.bincount(maker, weights=units, minlength=mfr.n)
    bill = units * mer.wholesale[ask]
    # Production is paid as the goods are sold (cost of goods sold), at the cost the
    # contract was bargained on: opportunists' goods are cheaper.
    cost = units * mfr.unit_cost[maker] * cost_factor(state, ask)
    state.ledger.pay("merchants", ask, "manufacturers", maker, bill)
    state.ledger.pay("manufacturers", maker, "world", 0, cost)
    state.today.wholesale_margin += float(bill.sum() - cost.sum())
    mer.on_order[ask] += units
    state.inbound.file({"merchant": ask, "units": units}, np.full(ask.size, state.day + lead))
    if lead == 0:
        receive(state)  # same-day replenishment: on the shelf before the next sales


def prebuild_days(state: State) -> float:
    """Extra days of demand manufacturers build ahead for festivals (docs/model.md, 7.10).

    A festival counts from ``festival_prebuild_days`` days before the stores' preparation
    window opens until it opens: then the stores' stocking-up orders take the goods from
    finished stock, and the manufacturers' target falls back to their moving average.
    """
    cal = state.config.calendar
    near = cal.preparation_days
    far = near + state.config.manufacturers.festival_prebuild_days
    return upcoming_extra_days(cal, state.date, far) - upcoming_extra_days(cal, state.date, near)


def plan_production(state: State) -> None:
    """Manufacturers finish due batches and start production up to their target.

    Target ``(L_m + 1 + E) x forecast + z_m x sd x sqrt(L_m + 1)``, ``E`` the festival
    pre-build's extra days (:func:`prebuild_days`), against finished goods plus work in
    progress, within today's spare capacity (offline production counted). The forecast is
    the moving average of the stores' orders, or, for buyers of the platform's point-of-sale
    data, of the units their stores' customers asked for.
    """
    mfr = state.manufacturers
    mer = state.merchants
    mcfg = state.config.manufacturers
    slot = state.day % mfr.pos_hist.shape[1]
    stores = np.flatnonzero(mer.active & (mer.supplier >= 0))
    mfr.pos_hist[:, slot] = np.bincount(
        mer.supplier[stores],
        weights=mer.units_hist[stores, state.day % mer.units_hist.shape[1]],
        minlength=mfr.n,
    )
    done = state.production.pop(state.day)
    if done is not None:
        finished = np.bincount(done["manufacturer"], weights=done["units"], minlength=mfr.n)
        mfr.finished_stock += finished
        mfr.in_production -= finished
    signal = np.where(mfr.data_service[:, None], mfr.pos_hist, mfr.orders_hist)
    age = np.full(mfr.n, max(state.day, 1))
    mean, sd = demand_estimate(
        signal, state.day, age, mcfg.planning_window, state.config.merchants.safety_window
    )
    cover = mcfg.production_lead_time + 1
    # Festivals ahead are built for before the stores ask (docs/model.md, 7.10).
    target = (cover + prebuild_days(state)) * mean + mcfg.safety_factor * sd * np.sqrt(cover)
    spare = np.maximum(mfr.capacity - mfr.produced_today, 0.0)
    start = np.minimum(
        np.maximum(np.ceil(target - mfr.finished_stock - mfr.in_production), 0.0),
        np.floor(spare),
    )
    makers = np.flatnonzero(start > 0)
    mfr.produced_today += start
    state.today.produced_for_stores += float(start.sum())
    state.goods.created("produced", float(start.sum()))
    if mcfg.production_lead_time == 0:
        mfr.finished_stock += start
    else:
        mfr.in_production += start
        state.production.file(
            {"manufacturer": makers, "units": start[makers]},
            np.full(makers.size, state.day + mcfg.production_lead_time),
        )
