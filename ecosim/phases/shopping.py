"""Phase 3, shopping: pick a platform, look at the ranked page, choose by multinomial logit.

The utility of listing j for household i, in logit units, is

    v_ij = (-a_i (1 + w_t r_ij) p_j + w_q R_c E_ij[q_j] - w_d R_c d_ij) / mu

with a_i the household's price sensitivity; t_ij its trust in the listing (its trust in
online sellers, or for a mall store that plus ``mall_assurance`` of the gap to full trust);
r_ij = (1 - t_ij)(1 - dispute_prob x refund chance) the share of the price it expects to
lose for good to a dishonest seller; E_ij[q_j] the quality it expects from the displayed
rating and the trust-discounted listed quality; d_ij the delivery days; R_c the category's
reference price (so w_q and w_d are shares of it) and mu the category's logit scale (RMB).
Offline retail is the outside option with no wait and a fixed preference. The choice is
multinomial logit, as if a Gumbel shock were added to every option and the best
chosen; it is drawn by inverse CDF, one uniform per search (:func:`choose`).

Arrays of a market's searches are laid out one row per option (or considered listing) and
one column per shopper, so that reductions over options run along axis 0, vectorized across
shoppers; shopper-independent parts of the utilities are computed once per market and day
(:func:`market_terms`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ecosim.actors.merchants import MALL
from ecosim.orders import take

if TYPE_CHECKING:
    from ecosim.model import EcosystemModel
    from ecosim.phases.ranking import Page

__all__ = ["PRIOR_RATINGS", "expected_quality", "logit_scale", "shop"]

CLICK_THROUGH = 0.2  # share of shoppers who click a sponsored listing they look at
PRIOR_RATINGS = 5.0  # weight, in ratings, a shopper gives its own prior about a listing


def logit_scale(model: EcosystemModel, category: int) -> float:
    """mu of a category (RMB): the logit scale share times its reference price."""
    cat = model.config.categories[category]
    return model.config.consumers.logit_scale * cat.reference_price


def expected_quality(shown, count, listed, trust):
    """Quality a shopper expects: the displayed rating blended with its trust-discounted prior."""
    return (count * shown + PRIOR_RATINGS * trust * listed) / (count + PRIOR_RATINGS)


def refund_chance(model: EcosystemModel, p: int) -> float:
    """Chance a dispute on platform ``p`` ends in a refund, by its escrow rule."""
    plat = model.config.platforms[p]
    return plat.dispute_buyer_bias if plat.escrow else plat.refund_without_escrow


def unrefunded_share(model: EcosystemModel, p: int) -> float:
    """Share of a bad purchase's price a shopper expects to lose for good on platform ``p``:
    it disputes with ``dispute_prob`` and then wins a refund with the platform's chance."""
    return 1 - model.config.consumers.dispute_prob * refund_chance(model, p)


def effective_trust(model: EcosystemModel, p: int, trust, mall):
    """Trust in a listing: for mall stores the tier's guarantees close ``mall_assurance`` of
    the gap between the shopper's trust and full trust."""
    assurance = model.config.platforms[p].mall_assurance
    return np.where(mall, assurance + (1 - assurance) * trust, trust)


def listing_values(model, p, c, cand, trust, alpha, region):
    """Deterministic utilities (logit units) of candidate listings ``cand`` [S, K].

    ``trust``, ``alpha`` (price sensitivity) and ``region`` are the shoppers' columns [S, 1].
    """
    cfg = model.config.consumers
    mer = model.merchants
    cat = model.config.categories[c]
    mu = logit_scale(model, c)
    shown, count = model.display[p]
    trust = effective_trust(model, p, trust, mer.tier[cand] == MALL)
    risk = (1 - trust) * unrefunded_share(model, p)
    eq = expected_quality(shown[cand], count[cand], mer.quality_listed[cand], trust)
    days = model.delivery_estimate(mer.region[cand], region, mer.courier[cand])
    price = mer.price[cand]
    ref = cat.reference_price
    return (
        -alpha * (1 + cfg.trust_weight * risk) * price
        + cfg.quality_weight * ref * eq
        - cfg.delivery_weight * ref * days
    ) / mu


def offline_value(model, c, alpha):
    """Deterministic utility (logit units) of buying category ``c`` offline, per shopper."""
    cfg = model.config.consumers
    cat = model.config.categories[c]
    mu = logit_scale(model, c)
    q_off = cat.quality_mean + model.config.offline.quality
    value = -alpha * model.offline_price[c] + cfg.quality_weight * cat.reference_price * q_off
    return value / mu + cfg.offline_preference


def _inclusive_values(model, pages: dict[tuple[int, int], Page]) -> np.ndarray:
    """Log-sum of the top page's utilities for a typical household, per (platform, category)."""
    n_p, n_c = len(model.config.platforms), len(model.config.categories)
    iv = np.full((n_p, n_c), -np.inf)
    k = model.config.consumers.consideration_set
    trust, alpha, region = model.typical_shopper()
    for (p, c), page in pages.items():
        if page.merchants.size:  # the first niche's page stands for the market
            v = listing_values(model, p, c, page.merchants[:1, :k], trust, alpha, region)
            iv[p, c] = np.logaddexp.reduce(v, axis=1)[0]
    return iv


def _choose_platform(model, needs, pages) -> np.ndarray:
    """Platform of each shopping need: the home platform, or for multi-homers the best one."""
    cons = model.consumers
    home = cons.home[needs["consumer"]].astype(np.int64)
    multi = np.flatnonzero(home < 0)
    rate = model.config.consumers.platform_switch_rate
    switch = np.empty(0, dtype=np.int64)
    if len(model.config.platforms) > 1 and rate > 0:
        # single-homers occasionally reconsider where to shop, and move for good
        switch = np.flatnonzero((home >= 0) & (model.rng.random(home.size) < rate))
    pick = np.concatenate([multi, switch])
    if pick.size:
        iv = _inclusive_values(model, pages)
        n_p = iv.shape[0]
        shock = model.rng.gumbel(size=(pick.size, n_p))
        util = iv[:, needs["category"][pick]].T + shock
        best = np.argmax(util, axis=1)
        has_any = np.isfinite(util).any(axis=1)
        home[pick] = np.where(has_any, best, -1)
        moved = switch[has_any[multi.size :]]
        model.today["platform_switches"] += float(
            (cons.home[needs["consumer"][moved]] != home[moved]).sum()
        )
        cons.home[needs["consumer"][moved]] = home[moved]
    return home


def _charge_clicks(model, p: int, page: Page, pos: np.ndarray) -> None:
    """Pay-per-click: a sponsored listing pays its slot price for the expected clicks,
    ``CLICK_THROUGH`` of the shoppers who saw it (expected, so no random draw is spent).

    ``pos`` holds the page positions looked at, in any layout: a store has one position on
    a page, so its bill adds up equal amounts and the order of the looks does not matter.
    """
    seen = pos[pos < page.n_sponsored]
    bill = np.bincount(
        page.merchants[0, seen],  # sponsored slots are the same on every niche's page
        weights=CLICK_THROUGH * page.cpc[seen],
        minlength=model.merchants.n,
    )
    pay_clicks(model, p, bill)


def pay_clicks(model: EcosystemModel, p: int, bill: np.ndarray) -> None:
    """Stores pay platform ``p`` their click bills (RMB, one entry per merchant row)."""
    payers = np.flatnonzero(bill > 0)
    model.ledger.pay("merchants", payers, "platforms", p, bill[payers])
    model.merchants.profit_today[payers] -= bill[payers]
    model.platforms.revenue_today[p] += bill[payers].sum()
    model.today["ad_revenue"] += float(bill[payers].sum())


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


def market_terms(model: EcosystemModel, p: int, c: int, listings: np.ndarray) -> MarketTerms:
    """Per-listing utility terms of ``listings`` (merchant rows) in market (p, c)."""
    cfg = model.config.consumers
    mer = model.merchants
    ref = model.config.categories[c].reference_price
    mu = logit_scale(model, c)
    shown, count = model.display[p]
    n = count[listings]
    denom = n + PRIOR_RATINGS
    days = model.delivery_estimate(
        mer.region[listings][:, None],
        np.arange(model.n_regions)[None, :],
        mer.courier[listings][:, None],
    )
    rated = cfg.quality_weight * ref * (n * shown[listings] / denom)
    base = (rated[:, None] - cfg.delivery_weight * ref * days) / mu
    trust_coef = cfg.quality_weight * ref * PRIOR_RATINGS * mer.quality_listed[listings]
    trust_coef = trust_coef / denom / mu
    assurance = np.where(mer.tier[listings] == MALL, model.config.platforms[p].mall_assurance, 0)
    risk_factor = cfg.trust_weight * unrefunded_share(model, p)
    return MarketTerms(mer.price[listings], trust_coef, base, assurance, risk_factor, mu)


def candidate_values(terms: MarketTerms, pos, trust, alpha, region) -> np.ndarray:
    """Utilities (logit units) of the listings at page positions ``pos`` [K, S].

    ``trust``, ``alpha`` (price sensitivity) and ``region`` are the shoppers' values [S].
    Arrays are laid out one row per option and one column per shopper, so that reductions
    over options run along axis 0, vectorized across shoppers.
    """
    n_regions = terms.base.shape[1]
    base = terms.base.ravel()[pos * n_regions + region]
    assurance = terms.assurance[pos]
    trust_in = assurance + (1 - assurance) * trust
    price_coef = alpha * (1 + terms.risk_factor * (1 - trust_in)) / terms.mu
    return base + trust_in * terms.trust_coef[pos] - price_coef * terms.price[pos]


def _look(rng: np.random.Generator, shape: tuple[int, int], decay: float, n_pool: int):
    """Page positions looked at, independently with chance proportional to exp(-decay * rank):
    a geometric distribution truncated to the pool, drawn by its inverse CDF."""
    u = rng.random(shape)
    # P(rank <= j) = (1 - q^(j+1)) / (1 - q^n_pool) with q = exp(-decay); uniform when 0.
    pos = u * n_pool if decay <= 0 else np.log1p(u * np.expm1(-decay * n_pool)) / -decay
    return np.minimum(pos.astype(np.int64), n_pool - 1)


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


CONSIDER_BLOCK = 16_384  # shoppers per block in :func:`consider`


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


def shop(model: EcosystemModel, needs: dict, pages: dict[tuple[int, int], Page]):
    """Run the day's searches, one market (platform, category) at a time.

    Per market the consideration sets are drawn first (:func:`consider`), then one uniform
    per shopper for its choice (:func:`choose`), in the order of the needs. The reference path
    (``ecosim.phases.reference``) takes the choice uniforms one shopper at a time, in the same
    order, so with full consideration sets (nothing to draw there) the two agree exactly.

    Returns:
        (online orders with merchant and platform set, offline purchases) as order batches.
    """
    cfg = model.config.consumers
    cons = model.consumers
    rng = model.rng
    platform = _choose_platform(model, needs, pages)
    needs = dict(needs, platform=platform)
    chosen = np.full(platform.size, -1, dtype=np.int64)
    surplus = 0.0
    n_c = len(model.config.categories)
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
        v0 = offline_value(model, c, alpha)
        n_pool = page.length
        k = min(cfg.consideration_set, n_pool)
        pos = consider(rng, idx.size, n_pool, k, cfg.position_decay)
        if page.n_niches == 1:
            listings, local = page.merchants[0], pos
        else:  # each shopper searches its own niche's page: map positions to listings
            niche = rng.integers(0, page.n_niches, idx.size)
            listings, inverse = np.unique(page.merchants, return_inverse=True)
            local = inverse.reshape(page.merchants.shape)[niche[None, :], pos]
        terms = market_terms(model, p, c, listings)
        v = candidate_values(terms, local, trust, alpha, cons.region[shoppers])
        pick, inclusive = choose(v0, v, rng.random(idx.size))
        online = np.flatnonzero(pick > 0)
        chosen[idx[online]] = listings[local[pick[online] - 1, online]]
        surplus += float((logit_scale(model, c) / alpha * (inclusive - v0)).sum())
        if page.n_sponsored:
            _charge_clicks(model, p, page, pos)
    model.today["consumer_surplus"] += surplus
    online = chosen >= 0
    orders = take(needs, online)
    orders["merchant"] = chosen[online]
    offline = take(needs, ~online)
    return orders, offline
