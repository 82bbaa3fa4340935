"""Degenerate configurations reproduce textbook results (docs/model.md, validation)."""

from __future__ import annotations

import numpy as np

from ecosim import EcosystemModel, load_config

N_STORES = 4


def _bertrand_config():
    """One region, one courier, one durable category, symmetric stores, no fees or frictions."""
    return load_config(
        None,
        {
            "consumers.n": 3000,
            "consumers.price_sensitivity_sd": 0.0,
            "consumers.initial_trust": 1.0,
            "consumers.trust_learning_rate": 0.0,
            # every shopper considers exactly the market's stores: the textbook logit over
            # all of them (a larger set or pool would count a thin market's stores more than
            # once, docs/model.md 7.4)
            "consumers.consideration_set": N_STORES,
            "consumers.consideration_pool": N_STORES,
            "consumers.multihoming_share": 0.0,
            "consumers.offline_preference": 0.0,
            "categories": [
                {
                    "name": "gadget",
                    "kind": "durable",
                    "reference_price": 100.0,
                    "unit_cost": 60.0,
                    "need_rate": 0.05,
                    "quality_sd": 0.0,
                }
            ],
            "regions.n_urban": 1,
            "regions.n_rural": 0,
            "merchants.n_initial": N_STORES,
            "merchants.mall_share": 0.0,
            "merchants.opportunistic_share": 0.0,
            "merchants.pricing": "best_response",
            "merchants.price_adjust_rate": 0.5,
            "merchants.price_update_interval": 1,
            "merchants.ad_bid_share": 0.0,
            "merchants.fixed_cost": 0.0,
            "merchants.entry_rate": 0.0,
            "merchants.exit_window": 120,
            "merchants.initial_cash": 1e7,
            "manufacturers.cost_sd": 0.0,
            "manufacturers.initial_wholesale_markup": 0.0,
            "manufacturers.per_category": 1,
            "logistics.n_firms": 1,
            "logistics.price_per_parcel": 0.0,
            "logistics.price_sd": 0.0,
            "logistics.congestion_days": 0.0,
            "platforms.0.marketplace.payment_fee": 0.0,
            "platforms.0.ranking.sponsored_slots": 0,
            "platforms.0.reputation_rule": "none",
        },
    )


def _nash_price(c, mu, v_rest, v0, n):
    """Solve p - c = mu / (1 - s(p)) with s(p) = e^{v(p)} / (e^{v0} + n e^{v(p)})."""
    p = c + mu
    for _ in range(500):
        v = (v_rest - p) / mu
        s = np.exp(v) / (np.exp(v0) + n * np.exp(v))
        p = c + mu / (1 - s)
    return p


def test_logit_bertrand_nash_price():
    cfg = _bertrand_config()
    model = EcosystemModel(cfg, rng=3)
    model.run(60)
    cat = cfg.categories[0]
    ccfg = cfg.consumers
    mu = ccfg.logit_scale * cat.reference_price
    ref = cat.reference_price
    days = cfg.logistics.base_days
    v_rest = ccfg.quality_weight * ref * cat.quality_mean - ccfg.delivery_weight * ref * days
    v0 = (-model.offline_price[0] + ccfg.quality_weight * ref * cat.quality_mean) / mu
    p_star = _nash_price(cat.unit_cost, mu, v_rest, v0, N_STORES)
    prices = model.merchants.price[model.merchants.active]
    assert prices.size == N_STORES
    np.testing.assert_allclose(prices, p_star, rtol=0.01)
    # and the markup is mu / (1 - s), strictly above the monopolistic-competition floor mu
    assert (prices - cat.unit_cost > mu).all()
