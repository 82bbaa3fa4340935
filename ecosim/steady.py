"""Where the market settles, estimated at start-up: stores per market and the online share.

A run starts with as many stores as free entry supports, and with stocks, workloads and
staff sized for the online demand those stores will see, so that it does not open with a
shake-out (docs/model.md, section 5, "Starting near the steady state"). The estimate is
analytic and per market (platform, category), from the demand model of ``ecosim.demand``
applied to a typical honest store at the logit Bertrand-Nash price: cheap at any size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.tables import MALL, MARKETPLACE
from ecosim.demand import (
    effective_trust,
    logit_scale,
    offline_value,
    price_weight,
    travel_days,
)
from ecosim.economics import tier_fee_rates

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = [
    "FIXED_POINT_ITERATIONS",
    "SteadyState",
    "median_looks_factor",
    "opportunist_stock_share",
    "page_looks",
    "platform_shares",
    "position_looks",
    "steady_state",
    "top_looks_factor",
]

# Technical: iterations of the free-entry fixed point (it converges in ~10).
FIXED_POINT_ITERATIONS = 60


@dataclass(frozen=True)
class SteadyState:
    """The market the start-up estimate expects.

    Attributes:
        stores: stores each market supports [P, C] (real numbers, not rounded).
        online_share: share of each category's needs bought online [C].
    """

    stores: np.ndarray
    online_share: np.ndarray


def platform_shares(state: State) -> np.ndarray:
    """Initial shares of the platforms (normalised ``initial_share``; equal when all are 0)."""
    shares = np.array([p.initial_share for p in state.config.platforms], dtype=float)
    if shares.sum() > 0:
        return shares / shares.sum()
    return np.full(shares.size, 1 / shares.size)


def position_looks(pool: int, k: int, decay: float) -> np.ndarray:
    """Chance that a shopper considers each of a page's ``pool`` positions [pool].

    ``consider`` draws ``k`` positions without replacement with chance proportional to
    ``w_x = exp(-decay x)`` (successive sampling). Its inclusion probabilities are taken in
    the usual Poisson approximation, ``pi_x = 1 - exp(-lam w_x)`` with ``lam`` such that
    ``sum pi_x = k`` (found by bisection in ``log lam``; no random draw). With the defaults
    (40 positions, 8 looks, decay 0.08) it is within 0.01 of a simulation of ``consider``.
    """
    if k >= pool:
        return np.ones(pool)
    weights = np.exp(-decay * np.arange(pool))
    lo, hi = -50.0, 50.0  # log lam: the sum runs from ~0 to pool, through k
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if (-np.expm1(-np.exp(mid) * weights)).sum() < k else (lo, mid)
    return -np.expm1(-np.exp(0.5 * (lo + hi)) * weights)


def page_looks(state: State) -> np.ndarray:
    """``position_looks`` of the configured page (``consideration_pool`` positions,
    ``consideration_set`` looks, ``position_decay``)."""
    cfg = state.config.consumers
    pool = cfg.consideration_pool
    return position_looks(pool, min(cfg.consideration_set, pool), cfg.position_decay)


def median_looks_factor(looks: np.ndarray, listings: float) -> float:
    """The median store's considered looks over the mean store's, in a market of
    ``listings`` stores whose page has the position inclusion chances ``looks``.

    Shopping maps a look at position ``x`` of a full page of ``P`` positions to rank
    ``floor(x L / P)`` of a page of ``L < P`` listings (``thin_page_positions``), so a
    store stands for ``P / L`` positions; the median store stands for the middle ones,
    ``[P / 2 - P / (2 L), P / 2 + P / (2 L))`` (positions taken as unit intervals, so the
    factor changes smoothly with ``L``, as ranks shift over time). A market of more listings
    than positions is split into query niches of about a page each (7.3) and is taken as
    one full page: ``L = P``.
    """
    pool = looks.size
    n = min(max(float(listings), 1.0), float(pool))
    return _looks_between(looks, pool / 2 - pool / (2 * n), pool / 2 + pool / (2 * n))


def top_looks_factor(looks: np.ndarray, listings: float) -> float:
    """The top-ranked store's considered looks over the mean store's: its positions are
    ``[0, P / L)`` (see ``median_looks_factor``). With the defaults about 2.7 in a market
    of a page or more, 2.1 in one of four stores, 1 in one of a single store.
    """
    pool = looks.size
    n = min(max(float(listings), 1.0), float(pool))
    return _looks_between(looks, 0.0, pool / n)


def _looks_between(looks: np.ndarray, lo: float, hi: float) -> float:
    """Mean looks per position over the positions ``[lo, hi)`` (unit intervals) over the
    page's mean."""
    pool = looks.size
    cumulative = np.concatenate([[0.0], np.cumsum(looks)])  # looks before position y
    grid = np.arange(pool + 1)
    middle = np.interp(hi, grid, cumulative) - np.interp(lo, grid, cumulative)
    return float(middle / (hi - lo) / looks.mean())


def _mean_travel_days(state: State) -> float:
    """Expected uncongested delivery days between a household and a store (days), over
    where households live and where stores open (``regions``)."""
    reg = state.config.regions
    n_r, n_u = state.n_regions, reg.n_urban
    rural = n_r - n_u
    homes = np.zeros(n_r)
    homes[:n_u] = (reg.urban_population_share if rural else 1.0) / n_u
    if rural:
        homes[n_u:] = (1 - reg.urban_population_share) / rural
    shops = np.full(n_r, (1 - reg.merchant_urban_share) / n_r)
    shops[:n_u] += reg.merchant_urban_share / n_u
    idx = np.arange(n_r)
    days = travel_days(state, idx[:, None], idx[None, :])  # [store region, home region]
    return float(shops @ days @ homes)


def opportunist_stock_share(state: State) -> float:
    """Share of the settled market's stores that are opportunists.

    Entrants are opportunists with chance ``f = opportunistic_share`` (the flow share), but
    the platforms catch them sooner than honest stores close, so the settled market holds
    fewer: ``f L_o / (f L_o + (1 - f) L_h)``. An opportunist lasts
    ``L_o = strikes_to_delist / (fake_reviews_per_day x fake_review_detection)`` days (its
    platform's catch rate; the platforms' rates weighted by their initial shares, none where
    ratings are not shown). An honest store lasts at least ``L_h = exit_window +
    exit_review_period / 2`` days, the earliest its losses can close it (a store that earns
    money stays longer), so the share is at most this; an opportunist never caught lasts
    ``L_h`` too (it closes for losses like any store).

    Returns:
        The stock share (0..1).
    """
    mcfg = state.config.merchants
    flow = mcfg.opportunistic_share
    honest_days = mcfg.exit_window + mcfg.exit_review_period / 2
    catch = np.array(
        [
            mcfg.fake_reviews_per_day * plat.fake_review_detection / plat.strikes_to_delist
            if plat.reputation_rule != "none"
            else 0.0
            for plat in state.config.platforms
        ]
    )
    rate = float(platform_shares(state) @ catch)  # catches a day per opportunist
    cheat_days = min(1 / rate, honest_days) if rate > 0 else honest_days
    weight = flow * cheat_days
    total = weight + (1 - flow) * honest_days
    return weight / total if total > 0 else flow


def steady_state(state: State) -> SteadyState:
    """Stores each market supports under free entry, and the online share they bring.

    A typical household (price sensitivity 1, trust ``initial_trust``) considers
    ``K = consideration_set`` listings (a thinner market counts as a thick one,
    ``demand.thin_page_positions``), each worth
    ``v = (-w p + w_q R q - w_d R d) / mu`` logit units (its expected quality ``q`` the
    category's mean quality, as ratings show an honest store's quality; ``d`` the mean
    delivery days), against offline ``v0``: the online share is
    ``S(n) = K e^v / (e^v0 + K e^v)``. A store's margin at the logit Bertrand-Nash price is
    ``(1 - t) mu' / (1 - s)``, ``mu' = mu / w``, ``s = S / n``; the mean store sells
    ``D S / n`` a day of the category's ``D`` daily needs (times the platform's share).
    Shoppers look at the top of a page more often (``position_looks``), so the median
    store, at the median rank, sells ``f(n)`` times the mean (``median_looks_factor``, about
    0.75 with the defaults). Entrants predict their profit by the median incumbent's (7.14),
    so entry stops when the median store earns the outside option ``O`` after its fixed costs
    ``F`` (operating cost and the annual fee): ``n`` solves ``D S m(n) f(n) / n = F + O`` (a
    fixed point through the store's share ``s`` in its margin; ``n`` is proportional to
    ``D``, so to the households, once ``s`` is small). The two tiers enter in the
    proportions of ``mall_share``.

    Returns:
        The estimate (see :class:`SteadyState`).
    """
    cfg = state.config
    ccfg, mcfg = cfg.consumers, cfg.merchants
    cats = cfg.categories
    n_p, n_c = len(cfg.platforms), len(cats)
    shares = platform_shares(state)
    trust = ccfg.initial_trust
    days = _mean_travel_days(state)
    couriers = state.couriers
    pick = np.exp(-(couriers.price - couriers.price.min()))
    shipping = float(couriers.price @ pick / pick.sum())  # stores pick cheap couriers
    mfr = state.manufacturers
    tiers = np.array([MARKETPLACE, MALL], dtype=np.int8)
    tier_weight = np.array([1 - mcfg.mall_share, mcfg.mall_share])
    looks = page_looks(state)

    stores = np.zeros((n_p, n_c))
    online = np.zeros((n_p, n_c))
    for c, cat in enumerate(cats):
        mu = logit_scale(state, c)
        makers = np.flatnonzero(mfr.category == c)
        cost = float(mfr.offer_price(makers).mean()) + shipping
        v0 = float(offline_value(state, c, np.ones((1, 1)))[0, 0])
        quality = ccfg.quality_weight * cat.reference_price * cat.quality_mean
        wait = ccfg.delivery_weight * cat.reference_price * days
        for p, plat in enumerate(cfg.platforms):
            demand = state.expected_daily_units[c] * shares[p]
            keep = np.maximum(1 - tier_fee_rates(plat, tiers), 1e-9)  # of the price, by tier
            weight = price_weight(state, p, effective_trust(state, p, trust, tiers == MALL))
            annual = np.array([plat.marketplace.annual_fee, plat.mall.annual_fee])
            fixed = mcfg.fixed_cost + annual / 365.0  # RMB/day per store, by tier
            k = float(ccfg.consideration_set)
            n, share = k, 0.0
            for _ in range(FIXED_POINT_ITERATIONS):
                s = min(share / n, 0.99)  # a store's share of the market
                markup = mu / weight / (1 - s)  # logit Bertrand-Nash margin (RMB), by tier
                value = (-weight * (cost / keep + markup) + quality - wait) / mu
                top = max(value.max(), v0)
                appeal = tier_weight * np.exp(value - top)  # a typical listing, tiers mixed
                share = k * appeal.sum() / (np.exp(v0 - top) + k * appeal.sum())
                # tiers' shares of the online sales (as listed when nobody buys online)
                sold = appeal / appeal.sum() if appeal.sum() > 0 else tier_weight
                net = float(sold @ (keep * markup)) * demand * share  # RMB/day
                overhead = float(tier_weight @ fixed) + mcfg.outside_option  # RMB/day
                # with no fixed cost and no outside option entry has no bound: take one store
                # per online order a day
                median = median_looks_factor(looks, n)
                n_new = net * median / overhead if overhead > 0 else max(demand * share, 1.0)
                n_new = max(n_new, 1e-9)
                if abs(n_new - n) < 1e-9 * n:
                    break
                n = n_new
            stores[p, c] = n
            online[p, c] = share
    return SteadyState(stores, shares @ online)
