"""Shared fixtures: small configurations that run in well under a second."""

from __future__ import annotations

import pytest

from ecosim import EcosystemModel, load_config

# Small populations need a stronger online pull than the calibrated baseline for enough
# orders every day.
SMALL = ["consumers.n=800", "merchants.n_initial=40", "steps=40", "consumers.offline_preference=2"]


def small_config(*overrides: str, base: str | None = "configs/baseline.yaml"):
    """The baseline shrunk to 800 households and 40 stores (more online), plus overrides."""
    return load_config(base, [*SMALL, *overrides])


@pytest.fixture
def small_model():
    """A small baseline model run for 40 days."""
    model = EcosystemModel(small_config(), rng=7)
    model.run(40)
    return model
