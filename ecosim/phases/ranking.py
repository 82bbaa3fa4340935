"""Platform ranking: organic scores and sponsored slots sold by generalized second-price auction.

Each platform ranks each category's listings once a day. Shoppers search with different
queries: a market of n listings has ``ceil(n / consideration_pool)`` query niches, each store
belongs to one (``merchants.niche``), and the page of a niche lists the sponsored winners,
then the niche's own stores by score, then the best of the rest, up to the pool. A shopper
draws its niche at random and its consideration set from that page's top. So every store can
be found by some query however large the market, as on a real marketplace's long tail, and a
market's capacity for stores grows with its size instead of being fixed by the page length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.actors.platforms import displayed_rating
from ecosim.demand import Page
from ecosim.phases import services

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["SALES_WINDOW", "Page", "build_pages", "gsp_auction", "recent_sum"]

# Days of sales in the concentration metrics and the tables of stores: part of those outputs'
# definitions, not behaviour (the ranking's window is platforms.<i>.ranking.sales_window).
SALES_WINDOW = 30


def recent_sum(
    hist: np.ndarray, day: int, window: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """Sum of the last ``window`` days (up to and including ``day``) of a ring buffer.

    Args:
        hist: one row per actor, one column per day of the ring.
        day: the last day summed.
        window: days summed (at most the ring's width).
        rows: only these rows (all when None): the work is then that of the rows asked
            for, not of every store that ever existed; the sums are the same numbers.
    """
    width = hist.shape[1]
    window = min(window, width)
    if window <= 0:
        return np.zeros(hist.shape[0] if rows is None else len(rows))
    idx = (day - np.arange(window)) % width
    # Few rows: gather them first. Many: sum every row (cheaper than a scattered gather).
    few = rows is not None and 4 * len(rows) < hist.shape[0]
    days = hist[rows][:, idx] if few else hist[:, idx]
    # The days are added one by one, latest first, as numpy's own sum of a fancy-indexed
    # (column-major) block does, so a row's sum is the same number whichever rows are asked.
    out = days[:, 0].copy()
    for j in range(1, window):
        out += days[:, j]
    return out if rows is None or few else out[rows]


def gsp_auction(
    bids: np.ndarray, quality: np.ndarray, slots: int, reserve: float
) -> tuple[np.ndarray, np.ndarray]:
    """Generalized second-price auction with quality scores.

    Bidders are ranked by bid x quality; the winner of slot k pays per click the least bid
    that would keep its rank: the next bidder's bid x quality over its own quality, at least
    the reserve (and never more than its own bid).

    Args:
        bids: bid per click of each bidder (RMB).
        quality: quality score of each bidder (> 0).
        slots: number of slots sold.
        reserve: reserve price per click (RMB).

    Returns:
        (indices of the winners in slot order, price per click of each).

    Example:
        >>> w, p = gsp_auction(np.array([3.0, 5.0, 1.0]), np.ones(3), 2, 0.5)
        >>> w.tolist(), p.tolist()
        ([1, 0], [3.0, 1.0])
    """
    eligible = np.flatnonzero(bids >= reserve)
    if slots <= 0 or eligible.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    eff = bids[eligible] * quality[eligible]
    order = eligible[np.argsort(-eff, kind="stable")]
    winners = order[:slots]
    eff_sorted = bids[order] * quality[order]
    nxt = np.append(eff_sorted[1:], 0.0)[: winners.size]
    price = np.maximum(nxt / quality[winners], reserve)
    return winners, np.minimum(price, bids[winners])


def _z(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 1e-12 else np.zeros_like(x)


def build_pages(state: State) -> dict[tuple[int, int], Page]:
    """Rank every (platform, category) market and sell its sponsored slots."""
    mer = state.merchants
    pool = state.config.consumers.consideration_pool
    # Sales ranks need the open stores only (rows of closed ones stay in the table).
    open_rows = np.flatnonzero(mer.active)
    recent_units: dict[int, np.ndarray] = {}  # units sold per store, by window (days)
    boost = services.visibility(state)  # ranking score added by marketing services
    pages: dict[tuple[int, int], Page] = {}
    state.display = []
    for p, plat in enumerate(state.config.platforms):
        shown, count = displayed_rating(plat, mer.rating_sum, mer.rating_count, state.prior_rating)
        state.display.append((shown, count))
        w = plat.ranking
        if w.sales_window not in recent_units:
            units = recent_units[w.sales_window] = np.zeros(mer.n)
            units[open_rows] = recent_sum(mer.units_hist, state.day - 1, w.sales_window, open_rows)
        units_sold = recent_units[w.sales_window]
        live = mer.active & mer.listed[:, p]
        for c, cat in enumerate(state.config.categories):
            rows = np.flatnonzero(live & (mer.category == c))
            if rows.size == 0:
                pages[(p, c)] = Page(rows.reshape(1, 0), 0, np.empty(0))
                continue
            score = (
                w.relevance * _z(mer.relevance[rows])
                + w.reputation * _z(shown[rows])
                + w.sales * _z(np.log1p(units_sold[rows]))
                - w.price * _z(mer.price[rows] / cat.reference_price)
                + w.ad_bid * _z(mer.ad_bid[rows])
                + boost[rows]
            )
            win, cpc = gsp_auction(
                mer.ad_bid[rows],
                np.maximum(shown[rows], plat.ad_quality_floor),
                w.sponsored_slots,
                plat.ad_reserve_price,
            )
            organic = np.argsort(-score, kind="stable")
            if win.size:
                organic = organic[~np.isin(organic, win)]
            n_niches = max(1, -(-rows.size // pool))
            niche = mer.niche[rows[organic]] % n_niches
            length = min(pool, rows.size)
            sheet = np.empty((n_niches, length), dtype=np.int64)
            for q in range(n_niches):
                mine = niche == q
                order = np.concatenate([win, organic[mine], organic[~mine]])[:length]
                sheet[q] = rows[order]
            pages[(p, c)] = Page(sheet, min(win.size, length), cpc[:length])
    return pages
