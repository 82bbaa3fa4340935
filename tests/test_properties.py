"""Configs drawn from the schema's own ranges either fail validation cleanly or run cleanly.

Hypothesis draws values for numeric parameters from each field's declared range, extremes
included (the schema walk gives the ranges, so a new field is covered as soon as it exists),
on a small population over 20 days. A drawn config must either be refused with a
:class:`ConfigError` or run with every metric finite on every day, money and goods balanced,
and a summary that serialises as strict JSON.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosim import EcosystemModel
from ecosim.commands.run import summarize
from ecosim.config import ConfigError, EcosimConfig, load_config, walk_schema
from ecosim.config.walk import INDEX, field_bounds

STEPS = 20
N_CATEGORIES = len(EcosimConfig().categories)

#: Sizes kept small so that each example runs in well under a second; they are drawn from
#: these ranges instead of the schema's.
SIZES = {
    "consumers.n": (50, 300),
    "merchants.n_initial": (1, 30),
    "manufacturers.per_category": (1, 3),
    "logistics.n_firms": (1, 3),
    "services.providers_per_type": (0, 2),
    "regions.n_urban": (1, 3),
    "regions.n_rural": (0, 3),
}
#: Not model parameters of a run (the horizon and seed are fixed per example), or a day
#: number that only has to lie within the horizon.
SKIPPED = {"steps", "seed", "schedule.<i>.day"}


def _numeric_fields() -> list[tuple[str, type, float, float]]:
    fields = []
    for leaf in walk_schema(EcosimConfig):
        if leaf.field.annotation not in (int, float) or leaf.key in SKIPPED:
            continue
        lo, _, hi, _ = field_bounds(leaf.field)
        lo, hi = SIZES.get(leaf.key, (lo, hi))
        fields.append((leaf.key, leaf.field.annotation, lo, hi))
    return fields


NUMERIC = _numeric_fields()


def _value(kind: type, lo: float, hi: float) -> st.SearchStrategy:
    """A value in [lo, hi], the extremes drawn often."""
    inner = st.integers(int(lo), int(hi)) if kind is int else st.floats(lo, hi)
    return st.one_of(st.just(kind(lo)), st.just(kind(hi)), inner)


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, object]:
    """A dict of dotted keys: one or two platforms, every size, and up to 12 numeric
    parameters (list entries picked at random)."""
    chosen = draw(st.lists(st.sampled_from(NUMERIC), min_size=1, max_size=12, unique=True))
    n_platforms = draw(st.integers(1, 2))
    out: dict[str, object] = {"platforms": [{"name": f"p{i}"} for i in range(n_platforms)]}
    for key, kind, lo, hi in [f for f in NUMERIC if f[0] in SIZES] + chosen:
        if key.startswith("schedule."):
            continue
        if INDEX in key:
            count = N_CATEGORIES if key.startswith("categories.") else n_platforms
            key = key.replace(INDEX, str(draw(st.integers(0, count - 1))))
        out[key] = draw(_value(kind, lo, hi))
    return out


def check_run(values: dict[str, object], seed: int = 1) -> None:
    """Refused cleanly, or every day's metrics finite, books balanced, summary strict JSON."""
    try:
        config = load_config(None, values)
    except ConfigError as exc:
        assert str(exc)  # a message, not an empty error
        return
    model = EcosystemModel(config, rng=seed)
    for _ in range(STEPS):
        model.step()
        turnover = max(model.ledger.turnover, 1.0)
        assert model.ledger.residual() <= 1e-9 * turnover + 1e-6, ("ledger", model.day)
        assert abs(model.goods.balance() - model.goods_in_system()) < 1e-6, ("goods", model.day)
    frame = model.timeseries()
    values_ok = np.isfinite(frame.to_numpy(dtype=float))
    bad = sorted(
        {col for col in frame.columns if not values_ok[:, frame.columns.get_loc(col)].all()}
    )
    assert not bad, f"metrics not finite: {bad}"
    json.dumps(
        {"metrics": summarize(frame), "ledger_residual": model.ledger.residual()},
        allow_nan=False,
    )
    assert math.isfinite(model.ledger.residual())


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(values=overrides())
def test_configs_from_the_schema_ranges_run_cleanly_or_are_refused(values):
    check_run(values)


def test_every_numeric_field_is_drawn():
    """The strategy covers every numeric parameter the schema has (except the skipped)."""
    keys = {key for key, *_ in NUMERIC}
    assert "labour.wage" in keys and "platforms.<i>.bayesian_prior_weight" in keys
    assert all(lo <= hi for _, _, lo, hi in NUMERIC)


@pytest.mark.parametrize(
    "values",
    [
        {"merchants.initial_cash": 0.0},
        {"merchants.n_initial": 1},
        {"merchants.initial_markup": 10.0},
        {"consumers.consideration_set": 100, "consumers.consideration_pool": 1000},
        {"labour.wage": 1.0},
    ],
    ids=["zero-cash", "one-store", "huge-markup", "many-slots", "tiny-wage"],
)
def test_known_extremes_run_cleanly(values):
    check_run({"consumers.n": 300, "merchants.n_initial": 20, **values})


def test_lone_store_without_outside_option_runs_cleanly():
    check_run(
        {
            "consumers.n": 50,
            "merchants.n_initial": 5,
            "manufacturers.per_category": 1,
            "offline.markup": 3.0,
            "consumers.logit_scale": 0.02,
        }
    )
