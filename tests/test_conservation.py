"""Money and goods are conserved every day, in any configuration."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosim import EcosystemModel
from tests.conftest import small_config


def _check_every_day(model, days):
    for _ in range(days):
        model.step()
        turnover = max(model.ledger.turnover, 1.0)
        assert model.ledger.residual() <= 1e-9 * turnover + 1e-6, model.day
        assert abs(model.goods.balance() - model.goods_in_system()) < 1e-6, model.day
        assert (model.merchants.stock >= 0).all()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    escrow=st.booleans(),
    rule=st.sampled_from(["average", "bayesian", "none"]),
    commission=st.floats(0.0, 0.3),
    annual_fee=st.floats(0.0, 20_000.0),
    opportunistic=st.floats(0.0, 0.8),
    n_platforms=st.integers(1, 3),
    seed=st.integers(0, 2**31),
)
def test_money_and_goods_conserved(
    escrow, rule, commission, annual_fee, opportunistic, n_platforms, seed
):
    overrides = [
        "consumers.n=400",
        "merchants.n_initial=30",
        f"merchants.opportunistic_share={opportunistic}",
        "merchants.entry_rate=1.0",
        "merchants.exit_window=10",
    ]
    platforms = [
        {
            "name": f"p{i}",
            "escrow": escrow,
            "reputation_rule": rule,
            "mall": {"commission_rate": commission, "annual_fee": annual_fee, "deposit": 2000.0},
            "fake_review_detection": 0.5,
            "strikes_to_delist": 2,
        }
        for i in range(n_platforms)
    ]
    cfg = small_config(*overrides, base=None)
    cfg = cfg.model_validate({**cfg.model_dump(), "platforms": platforms})
    _check_every_day(EcosystemModel(cfg, rng=seed), 30)


# The small baseline (seed 3, 60 days), checked every day, is part of a validation case
# (ecosim.validation.cases.conservation, run by tests/test_validation.py), with every run of
# the lemons and free-platform cases.
