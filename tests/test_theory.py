"""Degenerate configurations reproduce textbook results (docs/model.md, validation)."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import EcosystemModel
from ecosim.phases.strategy import best_response_prices, logit_best_margin
from ecosim.validation import load_bertrand_config, logit_market_values, logit_nash_price


def _bertrand_config(n_stores: int, *overrides: str):
    """configs/validation/bertrand.yaml: one region, one courier, one durable category,
    symmetric stores, no fees or frictions, with ``n_stores`` stores."""
    return load_bertrand_config(n_stores, list(overrides))


def _bisect(f, lo: float, hi: float) -> float:
    """Root of an increasing function on [lo, hi] by plain bisection."""
    assert f(lo) < 0 < f(hi)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


# The Bertrand-Nash prices of 2, 3 and 4 symmetric stores are a validation case
# (ecosim.validation.cases.bertrand_nash_prices, run by tests/test_validation.py).


def test_logit_nash_price_solves_its_first_order_condition():
    p = logit_nash_price(60.0, 15.0, 120.0, 0.5, 3)
    share = np.exp((120.0 - p) / 15.0) / (np.exp(0.5) + 3 * np.exp((120.0 - p) / 15.0))
    assert p - 60.0 == pytest.approx(15.0 / (1 - share), rel=1e-12)


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
    cfg = _bertrand_config(1, f"offline.markup={markup}", f"consumers.logit_scale={logit_scale}")
    model = EcosystemModel(cfg, rng=3)
    model.run(1)  # the platform's displayed ratings exist from the first day
    store = np.flatnonzero(model.merchants.active)
    model.merchants.price[store] = start
    c, mu, v_rest, v0 = logit_market_values(model)

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
    c, mu, v_rest, v0 = logit_market_values(model)
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
