"""Phase 6, delivery and reviews: parcels arrive, buyers see the true quality, rate, dispute;
fake reviews are bought and some detected; reputations update; stores may be delisted."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.demand import refund_chance
from ecosim.economics import book_platform_revenue, pay_platform
from ecosim.phases import services
from ecosim.phases.consumption import refill_home_stock
from ecosim.phases.strategy import close_stores

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["deliver", "enforce", "fake_reviews"]

RATING_NOISE = 0.1  # sd of a rating around the true quality (quality units)


def deliver(state: State) -> None:
    """Settle the parcels due today: release or refund escrow, rate, dispute, learn trust."""
    parcels = state.shipments.pop(state.day)
    if parcels is None:
        return
    ccfg = state.config.consumers
    rng = state.rng
    mer = state.merchants
    cons = state.consumers
    m = parcels["merchant"]
    n = m.size
    lost = parcels["lost"]
    q_true = np.where(lost, 0.0, mer.quality_true[m])
    satisfied = ~lost & (q_true >= mer.quality_listed[m] - ccfg.satisfaction_tolerance)
    dispute_p = ccfg.dispute_prob * (1 - services.dispute_cut(state)[m])
    disputed = ~satisfied & ((rng.random(n) < dispute_p) | lost)
    refund_p = np.array([refund_chance(state, p) for p in range(len(state.config.platforms))])
    refunded = disputed & (rng.random(n) < refund_p[parcels["platform"]])

    price, fee, plat = parcels["price"], parcels["fee"], parcels["platform"]
    buyers = parcels["consumer"]
    esc = parcels["escrow"]
    # Escrow: a refund returns the held money; otherwise it is released, fees to the platform.
    back = esc & refunded
    state.ledger.pay("escrow", plat[back], "households", buyers[back], price[back])
    rel = esc & ~refunded
    state.ledger.pay("escrow", plat[rel], "merchants", m[rel], price[rel] - fee[rel])
    pay_platform(state, "escrow", plat[rel], plat[rel], fee[rel], "commission")
    # Without escrow the merchant, already paid, refunds the full price itself.
    direct = ~esc & refunded
    state.ledger.pay("merchants", m[direct], "households", buyers[direct], price[direct])
    reversal = np.where(back, price - fee, 0.0) + np.where(direct, price, 0.0)
    np.add.at(mer.profit_today, m, -reversal)

    kept = ~lost & ~refunded
    state.goods.removed("lost", float(lost.sum()))
    state.goods.removed("returned", float((refunded & ~lost).sum()))
    state.goods.removed("delivered", float(kept.sum()))
    slot = parcels["slot"]
    repeat = slot >= 0
    cons.pending[buyers[repeat], slot[repeat]] = False
    got = kept & repeat
    refill_home_stock(state, buyers[got], slot[got])

    # Trust learns from experience: 1 for a good delivery, 1/2 if refunded, 0 otherwise.
    outcome = np.where(satisfied, 1.0, np.where(refunded, 0.5, 0.0))
    cons.trust[buyers] += ccfg.trust_learning_rate * (outcome - cons.trust[buyers])
    # Device owners may switch auto-reorder off after a bad experience.
    bad_iot = parcels["iot"] & ~satisfied & repeat
    off = bad_iot & (rng.random(n) < ccfg.iot_opt_out_prob)
    cons.iot_on[buyers[off], slot[off]] = False

    rated = rng.random(n) < ccfg.rating_prob
    rating = np.clip(q_true + RATING_NOISE * rng.standard_normal(n), 0.0, 1.0)
    mer.rating_sum += np.bincount(m[rated], weights=rating[rated], minlength=mer.n)
    mer.rating_count += np.bincount(m[rated], minlength=mer.n)
    state.today.genuine_rating_sum += float(rating[rated].sum())
    state.today.genuine_ratings += float(rated.sum())
    state.today.delivered += float(n)
    state.today.fraud += float((~lost & ~satisfied).sum())
    state.today.disputes += float(disputed.sum())
    state.today.delivery_days += float(parcels["days"][~lost].sum())
    state.today.arrived += float((~lost).sum())


def fake_reviews(state: State) -> None:
    """Opportunists buy five-star reviews; each platform detects some and fines the store."""
    mer = state.merchants
    cfg = state.config.merchants
    cheats = np.flatnonzero(mer.active & mer.opportunistic)
    if cheats.size == 0 or cfg.fake_reviews_per_day == 0:
        return
    # A store is policed by the first platform it lists on; where no ratings are shown,
    # fake ones are worthless and nobody buys them.
    home = np.argmax(mer.listed[cheats], axis=1)
    shown = np.array([p.reputation_rule != "none" for p in state.config.platforms])[home]
    cheats, home = cheats[shown], home[shown]
    bought = state.rng.poisson(cfg.fake_reviews_per_day, cheats.size).astype(float)
    cost = bought * cfg.fake_review_cost
    state.ledger.pay("merchants", cheats, "world", 0, cost)
    mer.profit_today[cheats] -= cost
    detect = np.array([p.fake_review_detection for p in state.config.platforms])[home]
    caught = state.rng.binomial(bought.astype(np.int64), detect).astype(float)
    mer.rating_sum[cheats] += bought - caught  # fake ratings are 1.0 each
    mer.rating_count[cheats] += bought - caught
    state.today.fake_reviews += float(bought.sum())
    hit = caught > 0
    if hit.any():
        # one strike and one fine per detected review
        rows, plats = cheats[hit], home[hit]
        mer.strikes[rows] += caught[hit].astype(np.int32)
        penalty = np.array([p.fake_review_penalty for p in state.config.platforms])
        fines = penalty[plats] * caught[hit]
        from_deposit = np.minimum(fines, mer.deposit[rows])
        state.ledger.pay("escrow", plats, "platforms", plats, from_deposit)
        mer.deposit[rows] -= from_deposit
        rest = fines - from_deposit
        state.ledger.pay("merchants", rows, "platforms", plats, rest)
        mer.profit_today[rows] -= rest
        # Booked as one amount per fine, whichever account it was paid from.
        book_platform_revenue(state, plats, fines, "fines")


def enforce(state: State) -> None:
    """Delist stores with too many detections or, with enough ratings, too low a rating."""
    mer = state.merchants
    for p, plat in enumerate(state.config.platforms):
        live = mer.active & mer.listed[:, p]
        mean = mer.rating_sum / np.maximum(mer.rating_count, 1)
        low = (mer.rating_count >= plat.delisting_min_ratings) & (mean < plat.delisting_threshold)
        out = live & ((mer.strikes >= plat.strikes_to_delist) | low)
        if out.any():
            mer.listed[out, p] = False
    gone = mer.active & ~mer.listed.any(axis=1)
    if gone.any():
        close_stores(state, np.flatnonzero(gone), forfeit=True)
