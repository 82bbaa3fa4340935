"""Phase 10, listing: stores choose the platforms they list on by expected profit.

Every ``listing_review_period`` days (staggered across stores) a store compares, for each
platform, the profit a listing of its category there is expected to earn per day:

    pi_jp = q_pc (p_j (1 - f_p) - c_j) - F_p / 365

with q_pc the online orders per day its category's market on platform p drew over the last
``merchants.listing_demand_window`` days shared among the market's listings (one more for a
platform it is not on yet), p_j (1 - f_p) what it nets per sale there (the same on every
platform, since it passes fee differences on in its prices: ``ecosim.economics.listing_price``),
c_j its unit cost and F_p the tier's annual listing fee. Its best platform (counting the
one-off ``listing_cost`` spread over a review period against a move) is its first
storefront; every other one also costs ``storefront_cost`` a day to run. It keeps a listing
that pays (pi_jp >= 0, less the storefront cost for a second one), adds one whose profit over
the next review period exceeds the one-off ``listing_cost``, and so stays, multi-homes or
switches: stores that earn little on a second platform single-home on the platform that is
better for them. A store whose listings all lose
keeps its best one (the exit rule decides whether it closes). New stores pick their platform
by the same expected profit (``ecosim.phases.strategy.entry``). More buyers on a platform
mean more orders per listing, so stores follow buyers, and buyers follow listings
(``ecosim.demand.platform_attractiveness``): the cross-side network effects.
See docs/model.md, section 7.14a.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.tables import MALL
from ecosim.economics import fee_rates, unit_cost
from ecosim.phases.ranking import recent_sum

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["expected_listing_profit", "orders_per_listing", "record_demand", "review_listings"]


def record_demand(state: State, orders: dict) -> None:
    """Add today's online orders (before stockouts) to each (platform, category) market."""
    n_c = len(state.config.categories)
    hist = state.market_demand
    ring = state.day % hist.shape[1]
    key = orders["platform"] * n_c + orders["category"]
    hist[:, ring] = np.bincount(key, minlength=hist.shape[0])


def orders_per_listing(state: State, joining: bool) -> np.ndarray:
    """Orders per day a listing draws in each market [P, C] over the last ``listing_demand_window``
    days: the market's orders over its live listings (plus one if ``joining``); NaN where
    nothing is listed and nobody joins."""
    n_p, n_c = len(state.config.platforms), len(state.config.categories)
    mer = state.merchants
    live = mer.active[:, None] & mer.listed
    listings = np.stack([np.bincount(mer.category[live[:, p]], minlength=n_c) for p in range(n_p)])
    window = state.config.merchants.listing_demand_window
    demand = recent_sum(state.market_demand, state.day, window).reshape(n_p, n_c)
    days = max(min(state.day, window), 1)
    count = listings + (1 if joining else 0)
    return np.divide(demand / days, count, out=np.full((n_p, n_c), np.nan), where=count > 0)


def expected_listing_profit(
    state: State,
    rows: np.ndarray,
    net: np.ndarray,
    cost: np.ndarray,
    tier: np.ndarray,
    outsider: bool = False,
) -> np.ndarray:
    """Expected profit (RMB/day) of each store in ``rows`` from a listing on each platform
    [rows, P], given what it nets per sale there after fees ``net`` [rows, P] (RMB), its
    unit cost (RMB/unit) and tier: the markets a store is on counted as they are, the others
    (every market when ``outsider``) with it added."""
    mer = state.merchants
    cat = mer.category[rows]
    per_in = orders_per_listing(state, joining=False)
    per_new = orders_per_listing(state, joining=True)
    out = np.empty((rows.size, len(state.config.platforms)))
    for p, plat in enumerate(state.config.platforms):
        annual = np.where(tier == MALL, plat.mall.annual_fee, plat.marketplace.annual_fee)
        on = mer.listed[rows, p] & (not outsider)
        q = np.where(on, per_in[p, cat], per_new[p, cat])
        out[:, p] = q * (net[:, p] - cost) - annual / 365.0
    return out


def review_listings(state: State) -> None:
    """Stores due for a listing review stay, multi-home or switch by expected profit."""
    mer = state.merchants
    cfg = state.config.merchants
    if len(state.config.platforms) < 2:
        return
    period = cfg.listing_review_period
    due = np.flatnonzero(
        mer.active & ~mer.flagship & ((np.arange(mer.n) + state.day) % period == 0)
    )
    if due.size == 0:
        return
    # fees are passed through (economics.listing_price): a sale nets the same everywhere
    net = mer.price[due] * (1 - fee_rates(state, due))
    net = np.repeat(net[:, None], len(state.config.platforms), axis=1)
    profit = expected_listing_profit(state, due, net, unit_cost(state, due), mer.tier[due])
    listed = mer.listed[due]
    known = np.isfinite(profit)
    # the store's best platform (where it is, or where it would go: a move pays the switching
    # cost once) carries no storefront cost; each other listing must also pay its own
    worth = np.nan_to_num(profit, nan=-np.inf) - np.where(listed, 0.0, cfg.listing_cost / period)
    home = np.argmax(worth, axis=1)
    first = np.zeros_like(listed)
    first[np.arange(due.size), home] = True
    extra = np.where(first, 0.0, cfg.storefront_cost)
    keep = listed & (~known | (profit - extra >= 0))
    add = ~listed & known & ((profit - extra) * period > cfg.listing_cost)
    new = keep | add
    # a store whose listings all lose keeps its best one; the exit rule decides on closing
    lost = ~new.any(axis=1)
    best = np.argmax(np.where(listed, np.nan_to_num(profit, nan=-np.inf), -np.inf), axis=1)
    new[lost, best[lost]] = True
    mer.listed[due] = new
    joined = (new & ~listed).sum(axis=1)
    pay = np.flatnonzero(joined)
    if pay.size:
        cost = cfg.listing_cost * joined[pay]
        state.ledger.pay("merchants", due[pay], "world", 0, cost)
        mer.profit_today[due[pay]] -= cost
