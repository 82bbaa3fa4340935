"""Degenerate configurations reproduce textbook results (docs/model.md, validation)."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import EcosystemModel, load_config
from ecosim.phases.strategy import best_response_prices, logit_best_margin

N_STORES = 4


def _bertrand_config(n_stores: int = N_STORES, **extra):
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
            "consumers.consideration_set": n_stores,
            "consumers.consideration_pool": n_stores,
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
            "merchants.n_initial": n_stores,
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
            "logistics.parcels_per_courier_day": 10_000.0,  # no queue: never beyond capacity
            "platforms.0.marketplace.payment_fee": 0.0,
            "platforms.0.ranking.sponsored_slots": 0,
            "platforms.0.reputation_rule": "none",
            **extra,
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
    cost, mu, v_rest, v0 = _values(model)
    p_star = _nash_price(cost, mu, v_rest, v0, N_STORES)
    prices = model.merchants.price[model.merchants.active]
    assert prices.size == N_STORES
    np.testing.assert_allclose(prices, p_star, rtol=0.01)
    # and the markup is mu / (1 - s), strictly above the monopolistic-competition floor mu
    assert (prices - cost > mu).all()


def _bisect(f, lo: float, hi: float) -> float:
    """Root of an increasing function on [lo, hi] by plain bisection."""
    assert f(lo) < 0 < f(hi)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


def _values(model):
    """(unit cost, mu, utility of a listing before its price, offline utility) of the
    one-category market of ``_bertrand_config``, in RMB and logit units."""
    cfg = model.config
    cat = cfg.categories[0]
    ccfg = cfg.consumers
    mu = ccfg.logit_scale * cat.reference_price
    ref = cat.reference_price
    days = cfg.logistics.base_days
    v_rest = ccfg.quality_weight * ref * cat.quality_mean - ccfg.delivery_weight * ref * days
    v0 = (-model.offline_price[0] + ccfg.quality_weight * ref * cat.quality_mean) / mu
    return cat.unit_cost, mu, v_rest, v0


@pytest.mark.parametrize(
    ("markup", "logit_scale", "start"),
    [(0.5, 0.15, 100.0), (0.5, 0.15, 200.0), (3.0, 0.02, 75.0)],
    ids=["outside-option", "from-above", "no-usable-outside-option"],
)
def test_monopoly_best_response_is_the_logit_monopoly_price(markup, logit_scale, start):
    """A lone store against offline retail: its best response, from any current price, is
    the logit monopoly price, which solves p - c = mu / (1 - s(p)) (solved here by
    bisection). With a steep offline price and near-deterministic choice its share at the
    current price is 1 to double precision, and the price is still finite: the old rule
    c + mu / (1 - s) at the current share divided by zero there."""
    cfg = _bertrand_config(1, **{"offline.markup": markup, "consumers.logit_scale": logit_scale})
    model = EcosystemModel(cfg, rng=3)
    model.run(1)  # the platform's displayed ratings exist from the first day
    store = np.flatnonzero(model.merchants.active)
    model.merchants.price[store] = start
    c, mu, v_rest, v0 = _values(model)

    def condition(p):
        odds = np.exp((v_rest - p) / mu - v0)  # s / (1 - s)
        return p - c - mu * (1 + odds)

    expected = _bisect(condition, c, c + 1e4)
    got = best_response_prices(model.state, store)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    if logit_scale == 0.02:  # the share at the current price rounds to 1
        assert np.exp((v_rest - start) / mu - v0) > 1e17


def test_best_response_to_a_fixed_rival_price():
    """Two stores, the rival's price held: each store's best response solves its own
    first-order condition with its share recomputed at its candidate price."""
    model = EcosystemModel(_bertrand_config(2), rng=3)
    model.run(1)
    stores = np.flatnonzero(model.merchants.active)
    model.merchants.price[stores] = [80.0, 130.0]
    c, mu, v_rest, v0 = _values(model)
    got = best_response_prices(model.state, stores)
    for i, rival in enumerate([130.0, 80.0]):

        def condition(p, rival=rival):
            odds = np.exp((v_rest - p) / mu) / (np.exp(v0) + np.exp((v_rest - rival) / mu))
            return p - c - mu * (1 + odds)

        assert got[i] == pytest.approx(_bisect(condition, c, c + 1e4), rel=1e-9)
    # the dearer rival leaves the cheap store more share, so it asks more
    assert got[0] > got[1]


@pytest.mark.parametrize("locked", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("log_odds", [-800.0, -3.0, 0.0, 4.0, 60.0, 900.0])
def test_best_margin_solves_its_first_order_condition(log_odds, locked):
    """m = mu / ((1 - s(m))(1 - L)), s(m) / (1 - s(m)) = b e^(-m/mu), in logs (b up to
    e^900, beyond floating point)."""
    mu = 7.0
    m = logit_best_margin(np.array([log_odds]), np.array([mu]), np.array([locked]))[0]
    r = 1 / (1 - locked)
    assert np.isfinite(m) and m >= mu * r
    # m / (mu r) - 1 = b e^(-m / mu), compared in logs where the right side is tiny
    gap = m / (mu * r) - 1
    if log_odds > -700:
        assert np.log(gap) == pytest.approx(log_odds - m / mu, abs=1e-9)
    else:
        assert gap < 1e-12
