"""Phase 7, restocking: order-up-to inventory policy; manufacturers produce within capacity.

Every ``review_period`` days (staggered across stores) a store forecasts demand as the
moving average over ``forecast_window`` days and orders up to ``forecast x (lead time +
review period + order_up_to_days)``, counting stock on hand and on order. Its manufacturer
ships what its remaining capacity allows; the goods arrive after the lead time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.merchants import cost_factor
from ecosim.dates import upcoming_extra_days
from ecosim.phases import services
from ecosim.phases.ranking import recent_sum

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["receive", "reorder"]


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


def forecast(state: State, rows: np.ndarray) -> np.ndarray:
    """Daily demand forecast (units/day) of the given stores: a noisy moving average."""
    mer = state.merchants
    cfg = state.config.merchants
    mean = recent_sum(mer.units_hist[rows], state.day, cfg.forecast_window) / cfg.forecast_window
    age = np.maximum(state.day - mer.entry_day[rows] + 1, 1)
    young = age < cfg.forecast_window
    mean[young] = (
        recent_sum(mer.units_hist[rows[young]], state.day, cfg.forecast_window) / age[young]
    )
    noise_sd = FORECAST_NOISE * (1 - services.forecast_gain(state)[rows])
    return mean * state.rng.lognormal(0.0, 1.0, rows.size) ** noise_sd


FORECAST_NOISE = 0.2  # log-sd of a store's demand-forecast error without analytics


def reorder(state: State) -> None:
    """Stores due for review order from their manufacturer, which ships within capacity."""
    mer = state.merchants
    mfr = state.manufacturers
    cfg = state.config.merchants
    lead = state.config.manufacturers.lead_time
    due = np.flatnonzero(mer.active & ((np.arange(mer.n) + state.day) % cfg.review_period == 0))
    if due.size == 0:
        return
    cal = state.config.calendar
    festival = upcoming_extra_days(cal, state.date, cal.preparation_days)  # stock up for it
    target = forecast(state, due) * (lead + cfg.review_period + cfg.order_up_to_days + festival)
    want = np.maximum(np.ceil(target - mer.stock[due] - mer.on_order[due]), 0.0)
    ask = due[want > 0]
    want = want[want > 0]
    state.today.restock_ordered += float(want.sum())
    if ask.size == 0:
        return
    maker = mer.supplier[ask]
    asked = np.bincount(maker, weights=want, minlength=mfr.n)
    spare = np.maximum(mfr.capacity - mfr.produced_today, 0.0)
    fill = np.where(asked > 0, np.minimum(1.0, spare / np.maximum(asked, 1e-12)), 1.0)
    units = np.floor(want * fill[maker])
    got = units > 0
    ask, units, maker = ask[got], units[got], maker[got]
    np.add.at(mfr.produced_today, maker, units)
    bill = units * mer.wholesale[ask]
    cost = units * mfr.unit_cost[maker] * cost_factor(state, ask)  # opportunists' are cheaper
    state.ledger.pay("merchants", ask, "manufacturers", maker, bill)
    state.ledger.pay("manufacturers", maker, "world", 0, cost)
    state.today.wholesale_margin += float(bill.sum() - cost.sum())
    mer.on_order[ask] += units
    state.goods.created("produced", float(units.sum()))
    state.inbound.file({"merchant": ask, "units": units}, np.full(ask.size, state.day + lead))
