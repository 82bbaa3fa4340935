"""Phase 7 (contracts) and 10 (going direct): wholesale prices by Nash bargaining, with
outside options, renegotiated every ``renegotiation_interval`` days (staggered).

Each store's demand is linearised at its current point: logit demand with scale mu has
slope dQ/dp = -Q (1 - s) / mu, so P = a - b Q with b = mu / (Q (1 - s)) and a = p + b Q; net
of the platform's fee share t and the courier price k the store sees a' = (1 - t) a - k and
b' = (1 - t) b. Disagreement payoffs (RMB/day):

- store: with other manufacturers in the category it switches to their average offer and
  keeps ``contracts.switch_keep`` of that profit, but loses the orders locked to this
  manufacturer's smart devices; with no alternative, nothing;
- manufacturer: it can place ``contracts.redirect_share`` of the volume with its other
  partners (in proportion to how many it has), sell ``contracts.direct_reach`` of it through
  its own flagship store (if it has one), and keeps the device-locked orders (``iot_lock_in``
  of them).

The store's demand counts as at least ``contracts.min_units`` a day and its market share as
at most ``contracts.max_market_share``, so that the slope stays finite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.merchants import add_merchants, cost_factor
from ecosim.actors.tables import MALL
from ecosim.bargaining import linear_profits, nash_wholesale_price
from ecosim.demand import logit_scale
from ecosim.economics import fee_rates, shipping_cost, tier_fee_rates, typical_shipping_cost

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["go_direct", "renegotiate", "supplier_bargaining_power"]

# Not a quantity but which platform: a manufacturer's own store opens in the mall of the first.
FLAGSHIP_PLATFORM = 0


def bargaining_inputs(state: State, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Cost, linearised net demand and disagreement payoffs of the given stores' contracts."""
    mer = state.merchants
    mfr = state.manufacturers
    cfg = state.config.manufacturers
    terms = state.config.contracts
    sup = mer.supplier[rows]
    c = mfr.unit_cost[sup] * cost_factor(state, rows)
    q = np.maximum(mer.orders_ema[rows], terms.min_units)
    market = state.expected_daily_units[mer.category[rows]]
    s = np.clip(q / np.maximum(market, 1e-9), 0.0, terms.max_market_share)
    mu = np.array([logit_scale(state, k) for k in range(len(state.config.categories))])
    b = mu[mer.category[rows]] / (q * (1 - s))
    a = mer.price[rows] + b * q
    t, ship = fee_rates(state, rows), shipping_cost(state, rows)
    a_net, b_net = (1 - t) * a - ship, (1 - t) * b
    locked = np.clip(mer.iot_ema[rows] / np.maximum(mer.orders_ema[rows], 1e-9), 0.0, 1.0)

    # store's outside option: another manufacturer's offer
    per_cat = np.bincount(mfr.category, minlength=len(state.config.categories))
    offer_sum = np.bincount(mfr.category, weights=mfr.offer_price(np.arange(mfr.n)))
    n_alt = per_cat[mer.category[rows]] - 1
    w_alt = np.where(
        n_alt > 0,
        (offer_sum[mer.category[rows]] - mfr.offer_price(sup)) / np.maximum(n_alt, 1),
        np.inf,
    ) * cost_factor(state, rows)
    _, profit_alt = linear_profits(np.minimum(w_alt, a_net), c, a_net, b_net)
    d_store = np.where(n_alt > 0, terms.switch_keep * profit_alt * (1 - locked), 0.0)

    # manufacturer's outside option: other partners, own flagship, device lock-in
    partners = np.bincount(mer.supplier[mer.active & ~mer.flagship], minlength=mfr.n)[sup]
    others = np.maximum(partners - 1, 0)
    unit_margin_now = np.maximum(mer.wholesale[rows] - c, 0.0)
    direct_margin = np.maximum(mer.price[rows] * (1 - t) - ship - c, 0.0)
    d_maker = (
        terms.redirect_share * others / (others + 1) * unit_margin_now * q * (1 - locked)
        + terms.direct_reach * (mfr.flagship[sup] >= 0) * direct_margin * q * (1 - locked)
        + cfg.iot_lock_in * locked * direct_margin * q
    )
    return {"c": c, "a": a_net, "b": b_net, "d_maker": d_maker, "d_store": d_store}


def renegotiate(state: State) -> None:
    """Contracts due today are renegotiated by generalized Nash bargaining."""
    mer = state.merchants
    cfg = state.config.manufacturers
    due = np.flatnonzero(
        mer.active
        & ~mer.flagship
        & ((np.arange(mer.n) + state.day) % cfg.renegotiation_interval == 0)
    )
    if due.size == 0:
        return
    x = bargaining_inputs(state, due)
    w = nash_wholesale_price(
        x["c"], x["a"], x["b"], cfg.bargaining_weight, x["d_maker"], x["d_store"]
    )
    mer.wholesale[due] = np.clip(w, x["c"], np.maximum(x["a"], x["c"]))
    _update_offers(state)
    state.last_negotiation = {"rows": due, **x, "wholesale": mer.wholesale[due].copy()}
    state.record.contracts(state.day, state.last_negotiation, mer.supplier[due])


def _update_offers(state: State) -> None:
    """A manufacturer's offer to new partners (and offline) follows its current contracts."""
    mer = state.merchants
    mfr = state.manufacturers
    live = np.flatnonzero(mer.active & ~mer.flagship)
    if live.size == 0:
        return
    sup = mer.supplier[live]
    markup = mer.wholesale[live] / (mfr.unit_cost[sup] * cost_factor(state, live)) - 1
    total = np.bincount(sup, weights=markup, minlength=mfr.n)
    count = np.bincount(sup, minlength=mfr.n)
    has = count > 0
    mfr.wholesale_markup[has] = total[has] / count[has]


def supplier_bargaining_power(state: State) -> float:
    """Manufacturers' share of the channel margin, (w - c) / (p - c), weighted by volume."""
    mer = state.merchants
    live = np.flatnonzero(mer.active & ~mer.flagship)
    if live.size == 0:
        return 0.0
    c = state.manufacturers.unit_cost[mer.supplier[live]] * cost_factor(state, live)
    margin = mer.price[live] - c
    ok = margin > 0
    weight = mer.orders_ema[live][ok]
    if weight.sum() <= 0:
        return 0.0
    share = (mer.wholesale[live][ok] - c[ok]) / margin[ok]
    return float(np.average(share, weights=weight))


def go_direct(state: State) -> None:
    """Manufacturers without a flagship open one when selling direct pays clearly more."""
    cfg = state.config.manufacturers
    if not cfg.flagship_store:
        return
    mer = state.merchants
    mfr = state.manufacturers
    plat = state.config.platforms[FLAGSHIP_PLATFORM]
    due = np.flatnonzero(
        (mfr.flagship < 0) & ((np.arange(mfr.n) + state.day) % cfg.renegotiation_interval == 0)
    )
    for f in due:
        partners = np.flatnonzero(mer.active & (mer.supplier == f) & ~mer.flagship)
        market = np.flatnonzero(
            mer.active & (mer.category == mfr.category[f]) & mer.listed[:, FLAGSHIP_PLATFORM]
        )
        if market.size == 0:
            continue
        t = float(tier_fee_rates(plat, np.array([MALL]))[0])
        price = float(np.median(mer.price[market]))
        units = float(np.median(mer.orders_ema[market]))
        direct = (
            price * (1 - t) - typical_shipping_cost(state, FLAGSHIP_PLATFORM) - mfr.unit_cost[f]
        ) * units
        direct -= plat.mall.annual_fee / 365 + state.config.merchants.fixed_cost
        wholesale = (
            ((mer.wholesale[partners] - mfr.unit_cost[f]) * mer.orders_ema[partners]).mean()
            if partners.size
            else 0.0
        )
        if direct > cfg.direct_threshold * max(wholesale, 0.0):
            row = add_merchants(
                state,
                1,
                np.array([FLAGSHIP_PLATFORM]),
                np.array([mfr.category[f]]),
                tier=np.array([MALL]),
                price=np.array([price]),
                flagship_of=np.array([f]),
            )
            mfr.flagship[f] = row[0]
            state.today.entries += 1.0
            state.today.direct_entries += 1.0
