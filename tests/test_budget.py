"""Households' budgets close: the consumption function C = c_y Y + c_w W (docs/model.md, 7.18)."""

from __future__ import annotations

import numpy as np
import pytest

from ecosim import EcosystemModel, load_config
from ecosim.phases.spending import steady_state_cash

SMALL = ["consumers.n=1000", "merchants.n_initial=20"]
# Next to nothing modelled to buy (rates of 1e-9 a day: stores still open by expected sales)
# and an exogenous, constant income: cash follows the consumption function alone,
# W_t = (1 - c_w) W_t-1 + (1 - c_y) Y.
NO_MODELLED_SPENDING = [
    *SMALL,
    "labour.enabled=false",
    *(f"categories.{c}.consumption_rate=1e-9" for c in range(3)),
    *(f"categories.{c}.need_rate=1e-9" for c in (3, 4)),
]


def _run(overrides: list[str], seed: int, days: int) -> EcosystemModel:
    cfg = load_config("configs/baseline.yaml", overrides)
    model = EcosystemModel(cfg, rng=seed)
    model.run(days)
    return model


def _yearly_slope(cash: np.ndarray) -> float:
    """Least-squares trend of daily mean cash, per year, relative to its mean."""
    days = np.arange(cash.size)
    slope = np.polyfit(days, cash, 1)[0]
    return float(slope * 365 / cash.mean())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cash_settles_over_three_years(seed):
    """Mean household cash has no trend in years 2 and 3 and stays near year 1's level;
    without the consumption function it grows by several times in the same run."""
    cash = _run(SMALL, seed, 3 * 365).timeseries()["household_cash"].to_numpy()
    years = cash.reshape(3, 365)
    assert abs(_yearly_slope(cash[365:])) < 0.01  # under 1% a year (measured: 0.15-0.17%)
    assert years[2].mean() == pytest.approx(years[0].mean(), rel=0.05)
    # the income it would accumulate otherwise: about 185 RMB a day against 6,000 held
    hoard = _run([*SMALL, "budget.enabled=false"], seed, 120).timeseries()["household_cash"]
    assert hoard.iloc[-1] > 3 * hoard.iloc[0]


def test_cash_follows_the_consumption_function_exactly():
    """Degenerate economy (constant income, nothing modelled to buy): every household's cash
    is W* + (W_0 - W*) (1 - c_w)^t on every day, W* = (1 - c_y) Y / c_w."""
    c_y, c_w, days = 0.6, 0.05, 200
    model = _run(
        [
            *NO_MODELLED_SPENDING,
            f"budget.income_propensity={c_y}",
            f"budget.wealth_propensity={c_w}",
        ],
        seed=4,
        days=0,
    )
    income = model.consumers.base_income.copy()
    w0 = model.ledger.balances["households"].copy()
    target = steady_state_cash(income, c_y, c_w)
    for day in range(1, days + 1):
        model.step()
        assert model.metrics["orders"] == 0 and model.today.offline_units == 0
        expected = target + (w0 - target) * (1 - c_w) ** day
        np.testing.assert_allclose(model.ledger.balances["households"], expected, rtol=1e-9)
    # after 200 days at 5% a day the gap is 3.5e-5 of the start: cash sits at W*
    np.testing.assert_allclose(model.ledger.balances["households"], target, rtol=1e-4)
    assert model.today.other_spending == pytest.approx(income.sum(), rel=1e-4)
    assert model.ledger.residual() < 1e-6 * model.ledger.balances["households"].sum()


def test_the_budget_only_takes_what_the_modelled_categories_leave():
    """With cash near its steady state (30 days of income) no purchase becomes unaffordable:
    online and offline sales are the same, day by day, with the rule on or off; money is
    conserved every day and other spending is about income minus modelled spending."""
    on, off = (_run([*SMALL, f"budget.enabled={flag}"], 5, 0) for flag in ("true", "false"))
    for day in range(60):
        on.step()
        off.step()
        assert on.ledger.residual() < 1e-6 * on.ledger.balances["households"].sum(), day
    a, b = on.timeseries(), off.timeseries()
    for metric in ("gmv", "orders", "online_share", "unemployment_rate"):
        np.testing.assert_array_equal(a[metric], b[metric])
    assert (a["other_spending"] > 0).all() and (b["other_spending"] == 0).all()
    # 60 days of income minus modelled spending is roughly what the rule spent (the rest
    # is the change of cash, small since households start at W*)
    gap = b["household_cash"].iloc[-1] - a["household_cash"].iloc[-1]
    spent = a["other_spending"].sum() / on.consumers.n
    assert gap == pytest.approx(spent, rel=1e-9)
