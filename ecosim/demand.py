"""The household demand model: utility of a listing, consideration sets, logit choice.

The utility of listing j for household i, in logit units, is

    v_ij = (-a_i (1 + w_t r_ij) p_j + w_q R_c E_ij[q_j] - w_d R_c d_ij) / mu

with a_i the household's price sensitivity; t_ij its trust in the listing (its trust in
online sellers, or for a mall store that plus ``mall_assurance`` of the gap to full trust,
:func:`effective_trust`); r_ij = (1 - t_ij)(1 - dispute_prob x refund chance) the share of
the price it expects to lose for good to a dishonest seller (so ``1 + w_t r_ij`` is
:func:`price_weight`); E_ij[q_j] the quality it expects from the displayed rating and the
trust-discounted listed quality (:func:`expected_quality`); d_ij the delivery days; R_c the
category's reference price (so w_q and w_d are shares of it) and mu the category's logit
scale (RMB, :func:`logit_scale`). Offline retail is the outside option with no wait and a
fixed preference (:func:`offline_value`). The choice is multinomial logit, as if a Gumbel
shock were added to every option and the best chosen; it is drawn by inverse CDF, one
uniform per search (:func:`choose`).

The formula is written once, in :func:`listing_values`. The shopping phase evaluates it in
a factored form (:func:`market_terms` and :func:`candidate_values`): the shopper-independent
parts are computed once per market and day, and arrays of a market's searches are laid out
one row per option and one column per shopper, so that reductions over options run along
axis 0. The two forms are equal up to rounding. Sellers' best-response pricing
(``ecosim.phases.strategy``) and contract bargaining (``ecosim.phases.contracts``) read the
same pieces: :func:`price_weight` and :func:`logit_scale`.

See docs/model.md, section 7.4 (shopping).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ecosim.actors.tables import MALL
from ecosim.economics import listing_price

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = [
    "CONSIDER_BLOCK",
    "MarketTerms",
    "Page",
    "candidate_values",
    "choose",
    "consider",
    "consider_looks",
    "delivery_estimate",
    "effective_trust",
    "expected_quality",
    "listing_values",
    "logit_scale",
    "market_terms",
    "offline_value",
    "platform_attractiveness",
    "price_weight",
    "refund_chance",
    "thin_market_bonus",
    "thin_page_positions",
    "travel_days",
    "typical_shopper",
    "unrefunded_share",
]

# Technical: shoppers per block in :func:`consider`, so that its working arrays stay in cache
# (the draws, and so the sets, do not depend on it).
CONSIDER_BLOCK = 16_384


@dataclass
class Page:
    """A category's ranked listings on one platform, one page per query niche.

    Attributes:
        merchants: merchant rows in display order [niches, length], best first; the first
            ``n_sponsored`` columns are the sponsored slots, the same on every niche's page.
        n_sponsored: how many of the first positions are sponsored.
        cpc: price per click of each sponsored slot (RMB).
    """

    merchants: np.ndarray
    n_sponsored: int
    cpc: np.ndarray

    @property
    def n_niches(self) -> int:
        """Number of query niches (pages) of the market."""
        return self.merchants.shape[0]

    @property
    def length(self) -> int:
        """Positions on each page."""
        return self.merchants.shape[1]


def logit_scale(state: State, category: int) -> float:
    """mu of a category (RMB): the logit scale share times its reference price."""
    cat = state.config.categories[category]
    return state.config.consumers.logit_scale * cat.reference_price


def expected_quality(shown, count, listed, trust, prior_ratings: float):
    """Quality a shopper expects: the displayed rating blended with its trust-discounted prior,
    the latter worth ``prior_ratings`` ratings (``consumers.prior_ratings``)."""
    return (count * shown + prior_ratings * trust * listed) / (count + prior_ratings)


def refund_chance(state: State, p: int) -> float:
    """Chance a dispute on platform ``p`` ends in a refund, by its escrow rule."""
    plat = state.config.platforms[p]
    return plat.dispute_buyer_bias if plat.escrow else plat.refund_without_escrow


def unrefunded_share(state: State, p: int) -> float:
    """Share of a bad purchase's price a shopper expects to lose for good on platform ``p``:
    it disputes with ``dispute_prob`` and then wins a refund with the platform's chance."""
    return 1 - state.config.consumers.dispute_prob * refund_chance(state, p)


def effective_trust(state: State, p: int, trust, mall):
    """Trust in a listing: for mall stores the tier's guarantees close ``mall_assurance`` of
    the gap between the shopper's trust and full trust."""
    assurance = state.config.platforms[p].mall_assurance
    return np.where(mall, assurance + (1 - assurance) * trust, trust)


def price_weight(state: State, p: int, trust_in):
    """``1 + w_t r``: how much more than its price a purchase on platform ``p`` weighs for a
    shopper whose trust in the listing is ``trust_in`` (the expected loss to a dishonest
    seller, weighted by ``trust_weight``). The price coefficient is ``a x price_weight / mu``.
    """
    risk = (1 - trust_in) * unrefunded_share(state, p)
    return 1 + state.config.consumers.trust_weight * risk


def listing_values(state: State, p, c, cand, trust, alpha, region):
    """Deterministic utilities (logit units) of candidate listings ``cand`` [S, K].

    ``trust``, ``alpha`` (price sensitivity) and ``region`` are the shoppers' columns [S, 1].
    """
    cfg = state.config.consumers
    mer = state.merchants
    cat = state.config.categories[c]
    mu = logit_scale(state, c)
    shown, count = state.display[p]
    trust = effective_trust(state, p, trust, mer.tier[cand] == MALL)
    weight = price_weight(state, p, trust)
    eq = expected_quality(
        shown[cand], count[cand], mer.quality_listed[cand], trust, cfg.prior_ratings
    )
    days = delivery_estimate(state, mer.region[cand], region, mer.courier[cand])
    price = listing_price(state, cand.ravel(), p).reshape(cand.shape)
    ref = cat.reference_price
    return (
        -alpha * weight * price + cfg.quality_weight * ref * eq - cfg.delivery_weight * ref * days
    ) / mu


def thin_market_bonus(state: State, listings: int) -> float:
    """The expected extra weight of each listing of a market of ``listings`` listings thinner
    than the consideration set, as a utility (logit units): ``log(K / listings)``,
    ``K = consideration_set`` (0 when ``listings >= K``).

    Shoppers always consider ``K`` options: a thin page's listings stand for a full page's
    positions (``thin_page_positions``), so on average each of ``n < K`` listings counts
    ``K / n`` times in the logit. Stores' best responses, which look at the whole market
    rather than at consideration sets, use this weight (docs/model.md, 7.4 and 7.14).
    """
    k = state.config.consumers.consideration_set
    return float(np.log(k / listings)) if 0 < listings < k else 0.0


def offline_value(state: State, c, alpha):
    """Deterministic utility (logit units) of buying category ``c`` offline, per shopper."""
    cfg = state.config.consumers
    cat = state.config.categories[c]
    mu = logit_scale(state, c)
    q_off = cat.quality_mean + state.config.offline.quality
    value = -alpha * state.offline_price[c] + cfg.quality_weight * cat.reference_price * q_off
    return value / mu + cfg.offline_preference


def travel_days(state: State, from_region: np.ndarray, to_region: np.ndarray) -> np.ndarray:
    """Uncongested delivery time (days) between regions."""
    cfg = state.config.logistics
    return cfg.base_days + cfg.days_per_1000km * state.distance_km[from_region, to_region] / 1e3


def delivery_estimate(state: State, from_region, to_region, courier) -> np.ndarray:
    """Delivery days a shopper expects: travel time plus the days a parcel handed over now
    would wait in its courier's queue (as of yesterday's close)."""
    return travel_days(state, from_region, to_region) + state.courier_wait[courier]


def typical_shopper(state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(trust, price sensitivity, region) of a typical household, each shaped [1, 1]."""
    trust = float(state.consumers.trust.mean()) if state.consumers.n else 1.0
    return np.array([[trust]]), np.array([[1.0]]), np.array([[0]])


def platform_attractiveness(state: State, pages: dict[tuple[int, int], Page]) -> np.ndarray:
    """What each platform offers a household shopping a category (logit units) [P, C].

    ``A_pc = log sum_j exp(v_j) + g log(N_pc / K_pc)``: the inclusive value of the top page's
    ``K_pc`` listings for a typical household that trusts the platform as much as the public
    does (``platforms.trust``), so prices and trust enter, plus ``g`` (the consumers'
    ``platform_variety_weight``) times the log of how many page-fulls of listings ``N_pc`` the
    platform has in the category. With ``g = 1`` a platform with twice the (equally good)
    listings is twice as likely to be picked, as the logsum over all its listings would make
    it: the cross-side network effect on households. ``-inf`` where nothing is listed.
    See docs/model.md, section 7.4.
    """
    n_p, n_c = len(state.config.platforms), len(state.config.categories)
    out = np.full((n_p, n_c), -np.inf)
    k = state.config.consumers.consideration_set
    variety = state.config.consumers.platform_variety_weight
    mer = state.merchants
    _, alpha, region = typical_shopper(state)
    live = mer.active[:, None] & mer.listed
    for p in range(n_p):
        n_listed = np.bincount(mer.category[live[:, p]], minlength=n_c)
        trust = np.array([[state.platforms.trust[p]]])
        for c in range(n_c):
            page = pages.get((p, c))
            if page is None or page.merchants.size == 0:
                continue
            top = page.merchants[:1, :k]  # the first niche's page stands for the market
            v = listing_values(state, p, c, top, trust, alpha, region)
            out[p, c] = np.logaddexp.reduce(v, axis=1)[0]
            out[p, c] += variety * np.log(n_listed[c] / top.shape[1])
    return out


class MarketTerms(NamedTuple):
    """The shopper-independent parts of the utilities of one page's listings (logit units).

    For shopper i and listing j on the page, with t_ij = assurance_j + (1 - assurance_j)
    trust_i the shopper's trust in the listing, ``v_ij = base[j, region_i] + t_ij *
    trust_coef[j] - a_i (1 + risk_factor (1 - t_ij)) price[j] / mu``; this equals
    :func:`listing_values` up to rounding, computed once per market and day instead of once
    per shopper and listing.
    """

    price: np.ndarray  # [L] RMB
    trust_coef: np.ndarray  # [L] utility of the trust-weighted listed quality
    base: np.ndarray  # [L, regions] rating-based quality minus delivery wait
    assurance: np.ndarray  # [L] share of the trust gap the listing's tier closes
    risk_factor: float  # trust_weight x share of a bad purchase's price lost for good
    mu: float  # logit scale (RMB)


def market_terms(state: State, p: int, c: int, listings: np.ndarray) -> MarketTerms:
    """Per-listing utility terms of ``listings`` (merchant rows) in market (p, c)."""
    cfg = state.config.consumers
    mer = state.merchants
    ref = state.config.categories[c].reference_price
    mu = logit_scale(state, c)
    shown, count = state.display[p]
    n = count[listings]
    prior = cfg.prior_ratings
    denom = n + prior
    days = delivery_estimate(
        state,
        mer.region[listings][:, None],
        np.arange(state.n_regions)[None, :],
        mer.courier[listings][:, None],
    )
    rated = cfg.quality_weight * ref * (n * shown[listings] / denom)
    base = (rated[:, None] - cfg.delivery_weight * ref * days) / mu
    trust_coef = cfg.quality_weight * ref * prior * mer.quality_listed[listings]
    trust_coef = trust_coef / denom / mu
    assurance = np.where(mer.tier[listings] == MALL, state.config.platforms[p].mall_assurance, 0)
    risk_factor = cfg.trust_weight * unrefunded_share(state, p)
    price = listing_price(state, listings, p)
    return MarketTerms(price, trust_coef, base, assurance, risk_factor, mu)


def candidate_values(terms: MarketTerms, pos, trust, alpha, region) -> np.ndarray:
    """Utilities (logit units) of the listings at page positions ``pos`` [K, S].

    ``trust``, ``alpha`` (price sensitivity) and ``region`` are the shoppers' values [S].
    Arrays are laid out one row per option and one column per shopper, so that reductions
    over options run along axis 0, vectorized across shoppers.
    """
    # In place, on as few [K, S] arrays as possible (the hottest arithmetic of a day); every
    # element takes the same operations in the same order as the formula of MarketTerms.
    cell = pos * terms.base.shape[1]
    cell += region
    value = np.take(terms.base, cell)  # base[pos, region]: cell is the flat index
    assurance = np.take(terms.assurance, pos)
    trust_in = 1 - assurance
    trust_in *= trust
    trust_in += assurance
    price_term = 1 - trust_in
    price_term *= terms.risk_factor
    price_term += 1
    price_term *= alpha
    price_term /= terms.mu
    price_term *= np.take(terms.price, pos)
    trust_in *= np.take(terms.trust_coef, pos)
    value += trust_in
    value -= price_term
    return value


def _look(rng: np.random.Generator, shape: tuple[int, int], decay: float, n_pool: int):
    """Page positions looked at, independently with chance proportional to exp(-decay * rank):
    a geometric distribution truncated to the pool, drawn by its inverse CDF."""
    u = rng.random(shape)
    # P(rank <= j) = (1 - q^(j+1)) / (1 - q^n_pool) with q = exp(-decay); uniform when 0.
    # Computed in place: pos = log1p(u * expm1(-decay * n_pool)) / -decay.
    if decay <= 0:
        u *= n_pool
    else:
        u *= np.expm1(-decay * n_pool)
        np.log1p(u, out=u)
        u /= -decay
    pos = u.astype(np.int64)
    return np.minimum(pos, n_pool - 1, out=pos)


def consider(
    rng: np.random.Generator, n_shoppers: int, n_pool: int, k: int, decay: float
) -> np.ndarray:
    """Each shopper's consideration set: ``k`` of the top ``n_pool`` page positions drawn
    without replacement with chance proportional to exp(-decay * rank) (successive
    sampling), as an array [k, S].

    Successive sampling is the same as looking at positions with replacement and keeping the
    first ``k`` distinct ones, which vectorizes: shoppers look a block of times at once, a
    64-bit mask per shopper marks what it has seen, and those short of ``k`` look again.
    Where that would take many looks (a steep decay: the top positions soak them up) or the
    pool exceeds 64 positions, an exponential race is used instead (the ``k`` smallest
    Exp(1) / weight keys). Either way the sets follow the same distribution.
    """
    if k >= n_pool:
        return np.broadcast_to(np.arange(n_pool)[:, None], (n_pool, n_shoppers))
    weights = np.exp(-decay * np.arange(n_pool))
    # Worst-case expected looks: the i-th new position takes 1 / (1 - share of the i best).
    share = np.cumsum(weights)[: k - 1] / weights.sum()
    if n_pool > 64 or (1 / (1 - share)).sum() + 1 > 2 * k:
        keys = rng.standard_exponential((n_shoppers, n_pool)) / weights
        return np.ascontiguousarray(np.argpartition(keys, k - 1, axis=1)[:, :k].T)
    out = np.empty((k, n_shoppers), dtype=np.int64)
    # Blocks of shoppers small enough for the working arrays to stay in cache.
    for lo in range(0, n_shoppers, CONSIDER_BLOCK):
        hi = min(lo + CONSIDER_BLOCK, n_shoppers)
        out[:, lo:hi] = _first_distinct(rng, hi - lo, n_pool, k, decay)
    return out


def consider_looks(state: State, rng: np.random.Generator, n_shoppers: int) -> np.ndarray:
    """Each shopper's considered positions [K, S] on a page of ``consideration_pool``
    positions (``consider``), before a page shorter than the pool maps them to its listings
    (``thin_page_positions``)."""
    cfg = state.config.consumers
    pool = cfg.consideration_pool
    return consider(rng, n_shoppers, pool, min(cfg.consideration_set, pool), cfg.position_decay)


def thin_page_positions(state: State, looks: np.ndarray, length: int) -> np.ndarray:
    """Positions on a page of ``length`` listings of looks at a full page's positions.

    A page shorter than ``P = consideration_pool`` (a market of fewer listings) stands for a
    full one, as the simulated households and stores are a sample of a larger economy: its
    listing at rank ``r`` stands for the full page's positions ``[r P / L, (r + 1) P / L)``,
    so a look at position ``x`` is a look at rank ``floor(x L / P)``. A listing looked at
    twice is two similar sellers, two options in the logit. Shoppers thus consider ``K``
    options and top ranks draw the same share of looks in a market of any size (without
    it, a market with fewer stores than ``K`` had fewer options, and one shorter than ``P``
    spread its looks more evenly, so store numbers and online sales per household fell with
    the population; docs/model.md, 7.4 and 7.20).
    """
    pool = state.config.consumers.consideration_pool
    return looks if length >= pool else looks * length // pool


def _first_distinct(
    rng: np.random.Generator, n_shoppers: int, n_pool: int, k: int, decay: float
) -> np.ndarray:
    """The first ``k`` distinct positions each shopper looks at [k, S] (see consider)."""
    out = np.empty(k * n_shoppers, dtype=np.int64)
    bit_of = np.left_shift(np.uint64(1), np.arange(n_pool, dtype=np.uint64))
    rows = np.arange(n_shoppers)
    seen = np.zeros(n_shoppers, dtype=np.uint64)
    count = np.zeros(n_shoppers, dtype=np.int64)
    while rows.size:
        looks = _look(rng, (k + 2, rows.size), decay, n_pool)
        for look in looks:
            bit = bit_of[look]
            fresh = (seen & bit) == 0
            fresh &= count < k
            cols = np.flatnonzero(fresh)
            out[count[cols] * n_shoppers + rows[cols]] = look[cols]
            seen |= bit
            count += fresh
        short = np.flatnonzero(count < k)
        rows, seen, count = rows[short], seen[short], count[short]
    return out.reshape(k, n_shoppers)


def choose(outside: np.ndarray, values: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logit choices by inverse CDF, one uniform per shopper.

    Picking option j with chance exp(v_j) / sum exp(v) is the same as adding Gumbel shocks
    and taking the best, but takes one draw per shopper instead of one per option.

    Args:
        outside: utility of the outside option (offline) [S] (logit units), option 0.
        values: utilities of the listings considered [K, S], options 1..K.
        u: one uniform per shopper [S].

    Returns:
        (chosen option [S], 0 for the outside option; log of the sum of exp of all the
        options' utilities [S], the inclusive value).
    """
    top = np.maximum(outside, values.max(axis=0))
    weight0 = np.exp(outside - top)
    cum = np.exp(values - top)
    cum[0] += weight0
    np.cumsum(cum, axis=0, out=cum)  # cum[j - 1]: weight of options 0..j
    threshold = u * cum[-1]
    # The option picked is the number of cumulative weights the threshold has passed.
    pick = (weight0 <= threshold) + (cum <= threshold).sum(axis=0)
    return np.minimum(pick, values.shape[0]), top + np.log(cum[-1])
