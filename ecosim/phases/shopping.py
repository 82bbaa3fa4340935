"""Phase 3, shopping: pick a platform, look at the ranked page, choose by multinomial logit.

The utility of listing j for household i, in logit units, is

    v_ij = (-a_i (1 + w_t r_i) p_j + w_q E_i[q_j] - w_d d_ij) / mu

with a_i the household's price sensitivity, r_i = (1 - trust_i)(1 - refund chance) the share
of the price it expects to lose to a dishonest seller, E_i[q_j] the quality it expects from
the displayed rating and the listed quality, d_ij the delivery days and mu the category's
logit scale (RMB). Offline retail is the outside option with no wait and a fixed preference.
A Gumbel shock is added to every option and the best is chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

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


def listing_values(model, p, c, cand, trust, alpha, region):
    """Deterministic utilities (logit units) of candidate listings ``cand`` [S, K].

    ``trust``, ``alpha`` (price sensitivity) and ``region`` are the shoppers' columns [S, 1].
    """
    cfg = model.config.consumers
    mer = model.merchants
    cat = model.config.categories[c]
    mu = logit_scale(model, c)
    shown, count = model.display[p]
    risk = (1 - trust) * (1 - refund_chance(model, p))
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
        if page.merchants.size:
            v = listing_values(model, p, c, page.merchants[None, :k], trust, alpha, region)
            iv[p, c] = np.logaddexp.reduce(v, axis=1)[0]
    return iv


def _choose_platform(model, needs, pages) -> np.ndarray:
    """Platform of each shopping need: the home platform, or for multi-homers the best one."""
    home = model.consumers.home[needs["consumer"]].astype(np.int64)
    multi = np.flatnonzero(home < 0)
    if multi.size:
        iv = _inclusive_values(model, pages)
        n_p = iv.shape[0]
        shock = model.rng.gumbel(size=(multi.size, n_p))
        util = iv[:, needs["category"][multi]].T + shock
        best = np.argmax(util, axis=1)
        has_any = np.isfinite(util).any(axis=1)
        home[multi] = np.where(has_any, best, -1)
    return home


def _charge_clicks(model, p: int, page: Page, pos: np.ndarray, cand: np.ndarray) -> None:
    """Pay-per-click: a sponsored listing pays its slot price for the expected clicks,
    ``CLICK_THROUGH`` of the shoppers who saw it (expected, so no random draw is spent)."""
    sponsored = pos < page.n_sponsored
    bill = np.bincount(
        cand[sponsored], weights=CLICK_THROUGH * page.cpc[pos[sponsored]],
        minlength=model.merchants.n,
    )
    payers = np.flatnonzero(bill > 0)
    model.ledger.pay("merchants", payers, "platforms", p, bill[payers])
    model.merchants.profit_today[payers] -= bill[payers]
    model.platforms.revenue_today[p] += bill[payers].sum()
    model.today["ad_revenue"] += float(bill[payers].sum())


def shop(model: EcosystemModel, needs: dict, pages: dict[tuple[int, int], Page]):
    """Run the day's searches.

    Returns:
        (online orders with merchant and platform set, offline purchases) as order batches.
    """
    cfg = model.config.consumers
    rng = model.rng
    platform = _choose_platform(model, needs, pages)
    needs = dict(needs, platform=platform)
    chosen = np.full(platform.size, -1, dtype=np.int64)
    surplus = 0.0
    n_c = len(model.config.categories)
    group = np.where(platform >= 0, platform * n_c + needs["category"], -1)
    order = np.argsort(group, kind="stable")
    keys, starts = np.unique(group[order], return_index=True)
    bounds = [*starts[1:], order.size] if starts.size else []
    for key, lo, hi in zip(keys, starts, bounds, strict=True):
        idx = order[lo:hi]
        c = int(needs["category"][idx[0]])
        shoppers = needs["consumer"][idx]
        cons = model.consumers
        alpha = cons.price_sensitivity[shoppers]
        v0 = offline_value(model, c, alpha)
        page = pages.get((int(key) // n_c, c)) if key >= 0 else None
        if page is None or page.merchants.size == 0:
            continue  # offline is the only option; chosen stays -1
        p = int(key) // n_c
        n_pool = page.merchants.size
        k = min(cfg.consideration_set, n_pool)
        if k < n_pool:
            # Exponential race: the k smallest Exp(1)/weight keys are a weighted draw without
            # replacement, weight exp(-decay * rank) favouring the top of the page.
            keys_ = rng.standard_exponential((idx.size, n_pool), dtype=np.float32)
            keys_ *= np.exp(cfg.position_decay * np.arange(n_pool, dtype=np.float32))
            pos = np.argpartition(keys_, k - 1, axis=1)[:, :k]
        else:
            pos = np.broadcast_to(np.arange(n_pool), (idx.size, n_pool))
        cand = page.merchants[pos]
        v = listing_values(
            model,
            p,
            c,
            cand,
            cons.trust[shoppers][:, None],
            alpha[:, None],
            cons.region[shoppers][:, None],
        )
        allv = np.concatenate([v0[:, None], v], axis=1)
        pick = np.argmax(allv + rng.gumbel(size=allv.shape), axis=1)
        online = pick > 0
        chosen[idx[online]] = cand[online, pick[online] - 1]
        mu = logit_scale(model, c)
        gain = np.logaddexp.reduce(allv, axis=1) - v0
        surplus += float((mu / alpha * gain).sum())
        if page.n_sponsored:
            _charge_clicks(model, p, page, pos, cand)
    model.today["consumer_surplus"] += surplus
    online = chosen >= 0
    orders = take(needs, online)
    orders["merchant"] = chosen[online]
    offline = take(needs, ~online)
    return orders, offline
