"""Trust that learns from the market, and Akerlof's lemons (docs/model.md, section 7.6).

Households learn from their own parcels and, every day, from the public signal of everybody's
deliveries (DeGroot-style social learning). Without escrow, reputation and enforcement and
with many opportunistic stores, fraud is public knowledge, trust falls for shoppers and
non-shoppers alike, and the online market unravels; with the institutions it does not.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import EcosystemModel, load_config
from ecosim.phases.delivery import learn_from_market
from ecosim.phases.metrics import collect
from ecosim.validation import load_validation_config

# Unravelling without the institutions, and holding with them, over seeds 1-3 is a
# validation case (ecosim.validation.cases.lemons_unravelling, configs/validation/lemons.yaml
# and lemons_control.yaml, run by tests/test_validation.py).


def test_without_social_learning_the_market_does_not_unravel():
    """The unravelling comes from what households hear of others' parcels: with the public
    signal switched off, the same market keeps a large online share despite the fraud."""
    for seed in (1, 2):
        cfg = load_validation_config("lemons", ["consumers.social_learning_weight=0"])
        model = EcosystemModel(cfg, rng=seed)
        model.run(cfg.steps)
        share = model.timeseries()["online_share"]
        start, end = share.iloc[:14].mean(), share.iloc[-30:].mean()
        assert end > 0.3 * start


def test_social_learning_is_a_degroot_step_toward_the_public_signal():
    cfg = load_config(None, ["consumers.n=50", "consumers.social_learning_weight=0.1"])
    model = EcosystemModel(cfg, rng=1)
    state = model.state
    state.day = 5
    plat = state.platforms
    plat.outcome_hist[:] = 0.0
    plat.parcel_hist[:] = 0.0
    plat.outcome_hist[0, 5] = 3.0  # three parcels went well, one refunded (1/2), one badly
    plat.outcome_hist[0, 4] = 0.5
    plat.parcel_hist[0, 4:6] = [2.0, 3.0]
    state.consumers.trust[:] = np.linspace(0.0, 1.0, 50)
    before = state.consumers.trust.copy()
    learn_from_market(state)
    assert plat.trust[0] == pytest.approx(3.5 / 5)
    np.testing.assert_allclose(state.consumers.trust, before + 0.1 * (0.7 - before))
    # nothing heard in the window: trust stays where it is
    plat.outcome_hist[:] = 0.0
    plat.parcel_hist[:] = 0.0
    kept = state.consumers.trust.copy()
    learn_from_market(state)
    np.testing.assert_array_equal(state.consumers.trust, kept)
    assert plat.trust[0] == pytest.approx(0.7)


def test_trust_metrics_are_finite_and_split_shoppers_from_everyone():
    model = EcosystemModel(load_config(None, ["consumers.n=300", "merchants.n_initial=20"]), rng=2)
    model.run(3)
    frame = model.timeseries()
    assert np.isfinite(frame[["consumer_trust", "online_shopper_trust"]]).all().all()
    state = model.state
    state.consumers.trust[:] = 0.2
    buyers = np.arange(10)
    state.consumers.trust[buyers] = 0.9
    state.consumers.last_online_day[:] = -(2**30)
    state.consumers.last_online_day[buyers] = state.day
    out = collect(state)
    assert out["online_shopper_trust"] == pytest.approx(0.9)
    assert out["consumer_trust"] == pytest.approx((10 * 0.9 + 290 * 0.2) / 300)
    state.consumers.last_online_day[:] = -(2**30)  # nobody shopped: everyone's mean
    assert collect(state)["online_shopper_trust"] == pytest.approx(out["consumer_trust"])
