"""Phase 6, delivery and reviews: parcels arrive, buyers see the true quality, rate, dispute;
fake reviews are bought and some detected; reputations update; stores may be delisted.

Trust learns twice (docs/model.md, section 7.6): from a household's own parcels
(:func:`deliver`, weight ``trust_learning_rate`` per parcel) and, every day, from what the
public hears of everybody's deliveries (:func:`learn_from_market`, DeGroot-style social
learning with weight ``social_learning_weight`` per day).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ecosim.demand import refund_chance
from ecosim.economics import book_platform_revenue, pay_platform
from ecosim.phases import services
from ecosim.phases.consumption import refill_home_stock
from ecosim.phases.ranking import recent_sum
from ecosim.phases.strategy import close_stores

if TYPE_CHECKING:
    from ecosim.state import State

__all__ = ["deliver", "enforce", "fake_reviews", "learn_from_market", "public_signal"]


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

    # Trust learns from experience: 1 for a good delivery, refunded_outcome (1/2) if
    # refunded, 0 otherwise.
    outcome = np.where(satisfied, 1.0, np.where(refunded, ccfg.refunded_outcome, 0.0))
    cons.trust[buyers] += ccfg.trust_learning_rate * (outcome - cons.trust[buyers])
    cons.last_online_day[buyers] = state.day
    # ...and the public hears of it: each platform's outcomes and parcels today
    ring = state.day % state.platforms.outcome_hist.shape[1]
    n_p = state.platforms.n
    state.platforms.outcome_hist[:, ring] += np.bincount(plat, weights=outcome, minlength=n_p)
    state.platforms.parcel_hist[:, ring] += np.bincount(plat, minlength=n_p)
    # Device owners may switch auto-reorder off after a bad experience.
    bad_iot = parcels["iot"] & ~satisfied & repeat
    off = bad_iot & (rng.random(n) < ccfg.iot_opt_out_prob)
    cons.iot_on[buyers[off], slot[off]] = False

    rated = rng.random(n) < ccfg.rating_prob
    rating = np.clip(q_true + ccfg.rating_noise * rng.standard_normal(n), 0.0, 1.0)
    state.record.deliveries(state.day, parcels, satisfied, disputed, refunded, rated, rating)
    mer.rating_sum += np.bincount(m[rated], weights=rating[rated], minlength=mer.n)
    mer.rating_count += np.bincount(m[rated], minlength=mer.n)
    state.today.genuine_rating_sum += float(rating[rated].sum())
    state.today.genuine_ratings += float(rated.sum())
    state.today.delivered += float(n)
    state.today.fraud += float((~lost & ~satisfied).sum())
    state.today.disputes += float(disputed.sum())
    state.today.delivery_days += float(parcels["days"][~lost].sum())
    state.today.arrived += float((~lost).sum())


def public_signal(state: State) -> tuple[np.ndarray, np.ndarray]:
    """What the public hears of each platform's recent deliveries.

    Returns:
        (share of the last ``public_signal_window`` days' deliveries on each platform that
        went well, scoring a good parcel 1, a refunded one 1/2 and a fraud, a loss or an
        unrefunded dispute 0, as own experience does; parcels delivered in the window). A
        platform without deliveries in the window has no signal: its share is NaN.
    """
    plat = state.platforms
    window = state.config.consumers.public_signal_window
    outcomes = recent_sum(plat.outcome_hist, state.day, window)
    parcels = recent_sum(plat.parcel_hist, state.day, window)
    share = np.divide(outcomes, parcels, out=np.full(plat.n, np.nan), where=parcels > 0)
    return share, parcels


def learn_from_market(state: State) -> None:
    """Social learning: every household's trust moves toward the public signal.

    Each day ``t_i <- t_i + w (s_i - t_i)`` with ``w = social_learning_weight`` (DeGroot
    1974: beliefs are repeatedly averaged with what others report). A platform's public trust
    ``platforms.trust`` is its signal (:func:`public_signal`), kept from the last day it had
    deliveries. ``s_i`` is the public trust of the household's home platform, or for a
    multi-homer the platforms' public trust weighted by their deliveries in the window (so a
    platform whose parcels go badly loses the trust of its own shoppers first). The update
    is one vectorized operation over households; households who never shop online hear the
    news too, so fraud keeps them offline as well.
    """
    plat = state.platforms
    share, parcels = public_signal(state)
    heard = np.isfinite(share)
    plat.trust[heard] = share[heard]
    # clear the ring's next slot, tomorrow's totals
    nxt = (state.day + 1) % plat.outcome_hist.shape[1]
    plat.outcome_hist[:, nxt] = 0.0
    plat.parcel_hist[:, nxt] = 0.0
    weight = state.config.consumers.social_learning_weight
    if weight == 0 or not heard.any():
        return
    trust = state.consumers.trust
    if plat.n == 1:
        trust += weight * (plat.trust[0] - trust)
        return
    market = float(np.average(plat.trust, weights=parcels))
    signal = np.append(plat.trust, market)[state.consumers.home]  # home -1: the market (last)
    trust += weight * (signal - trust)


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
    state.record.fake_ratings(state.day, cheats, bought, caught)
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
