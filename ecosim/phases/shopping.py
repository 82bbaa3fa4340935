"""Phase 3, shopping: pick a platform, look at the ranked page, choose by multinomial logit.

The household demand model (utilities, consideration sets, the logit choice) is
``ecosim.demand``; this phase runs the day's searches market by market with it and bills
the sponsored listings' clicks. See docs/model.md, section 7.4.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.demand import (
    Page,
    candidate_values,
    choose,
    consider_looks,
    logit_scale,
    market_terms,
    offline_value,
    platform_attractiveness,
    thin_page_positions,
)
from ecosim.economics import pay_platform
from ecosim.orders import take

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["pay_clicks", "shop"]


def _choose_platform(state, needs, pages) -> np.ndarray:
    """Platform of each shopping need: the home platform, or for multi-homers (and single-homers
    reconsidering their home) the best by attractiveness (``platform_attractiveness``: its
    listings, their prices and its public trust) plus a Gumbel taste shock: a logit."""
    cons = state.consumers
    home = cons.home[needs["consumer"]].astype(np.int64)
    multi = np.flatnonzero(home < 0)
    rate = state.config.consumers.platform_switch_rate
    switch = np.empty(0, dtype=np.int64)
    if len(state.config.platforms) > 1 and rate > 0:
        # single-homers occasionally reconsider where to shop, and move for good
        switch = np.flatnonzero((home >= 0) & (state.rng.random(home.size) < rate))
    pick = np.concatenate([multi, switch])
    if pick.size:
        iv = platform_attractiveness(state, pages)
        n_p = iv.shape[0]
        shock = state.rng.gumbel(size=(pick.size, n_p))
        util = iv[:, needs["category"][pick]].T + shock
        best = np.argmax(util, axis=1)
        has_any = np.isfinite(util).any(axis=1)
        home[pick] = np.where(has_any, best, -1)
        moved = switch[has_any[multi.size :]]
        cons.home[needs["consumer"][moved]] = home[moved]
    return home


def _charge_clicks(state, p: int, page: Page, pos: np.ndarray) -> None:
    """Pay-per-click: a sponsored listing pays its slot price for the expected clicks,
    ``consumers.click_through`` of the shoppers who saw it (expected, so no random draw is spent).

    ``pos`` holds the page positions looked at, in any layout: a store has one position on
    a page, so its bill adds up equal amounts and the order of the looks does not matter.
    """
    seen = pos[pos < page.n_sponsored]
    bill = np.bincount(
        page.merchants[0, seen],  # sponsored slots are the same on every niche's page
        weights=state.config.consumers.click_through * page.cpc[seen],
        minlength=state.merchants.n,
    )
    pay_clicks(state, p, bill)


def pay_clicks(state: State, p: int, bill: np.ndarray) -> None:
    """Stores pay platform ``p`` their click bills (RMB, one entry per merchant row)."""
    payers = np.flatnonzero(bill > 0)
    pay_platform(state, "merchants", payers, p, bill[payers], "ads")


def shop(state: State, needs: dict, pages: dict[tuple[int, int], Page]):
    """Run the day's searches, one market (platform, category) at a time.

    Per market the consideration sets are drawn first (:func:`consider_looks`), then one uniform
    per shopper for its choice (:func:`choose`), in the order of the needs. The reference path
    (``ecosim.phases.reference``) takes the choice uniforms one shopper at a time, in the same
    order, so with full consideration sets (nothing to draw there) the two agree exactly.

    Returns:
        (online orders with merchant and platform set, offline purchases) as order batches.
    """
    cons = state.consumers
    rng = state.rng
    platform = _choose_platform(state, needs, pages)
    needs = dict(needs, platform=platform)
    chosen = np.full(platform.size, -1, dtype=np.int64)
    rank = np.full(platform.size, -1, dtype=np.int64)  # page position of the listing bought
    sponsored = np.zeros(platform.size, dtype=bool)  # in a sponsored slot
    surplus = 0.0
    n_c = len(state.config.categories)
    group = np.where(platform >= 0, platform * n_c + needs["category"], -1)
    # Few distinct markets: as int16 the stable sort is a radix sort, linear in the needs.
    order = np.argsort(
        group.astype(np.int16) if group.size and group.max() < 2**15 else group, kind="stable"
    )
    sorted_group = group[order]
    cut = np.flatnonzero(sorted_group[1:] != sorted_group[:-1]) + 1
    for lo, hi in zip(np.r_[0, cut], np.r_[cut, order.size], strict=True):
        if lo == hi:
            continue  # no needs at all
        key = int(sorted_group[lo])
        p, c = divmod(key, n_c)
        page = pages.get((p, c)) if key >= 0 else None
        if page is None or page.merchants.size == 0:
            continue  # offline is the only option; chosen stays -1
        idx = order[lo:hi]
        shoppers = needs["consumer"][idx]
        alpha = cons.price_sensitivity[shoppers]
        trust = cons.trust[shoppers]
        v0 = offline_value(state, c, alpha)
        n_pool = page.length
        pos = thin_page_positions(state, consider_looks(state, rng, idx.size), n_pool)
        if page.n_niches == 1:
            listings, local = page.merchants[0], pos
        else:  # each shopper searches its own niche's page: map positions to listings
            niche = rng.integers(0, page.n_niches, idx.size)
            listings, inverse = np.unique(page.merchants, return_inverse=True)
            local = inverse.reshape(page.merchants.shape)[niche[None, :], pos]
        terms = market_terms(state, p, c, listings)
        v = candidate_values(terms, local, trust, alpha, cons.region[shoppers])
        pick, inclusive = choose(v0, v, rng.random(idx.size))
        online = np.flatnonzero(pick > 0)
        chosen[idx[online]] = listings[local[pick[online] - 1, online]]
        rank[idx[online]] = pos[pick[online] - 1, online]
        sponsored[idx[online]] = rank[idx[online]] < page.n_sponsored
        surplus += float((logit_scale(state, c) / alpha * (inclusive - v0)).sum())
        if page.n_sponsored:
            _charge_clicks(state, p, page, pos)
    state.today.consumer_surplus += surplus
    bought = chosen >= 0
    orders = take(needs, bought)
    orders["merchant"] = chosen[bought]
    orders["rank"], orders["sponsored"] = rank[bought], sponsored[bought]
    offline = take(needs, ~bought)
    return orders, offline
