"""One simulation from a config to its daily metrics: the unit of work of runs and sweeps."""

from __future__ import annotations

import pandas as pd

from ecosim.config import EcosimConfig
from ecosim.model import EcosystemModel

__all__ = ["run_simulation"]


def run_simulation(
    config: EcosimConfig, steps: int | None = None, seed: int | None = None
) -> pd.DataFrame:
    """Build a model, run it and return its daily metrics.

    Args:
        config: validated configuration.
        steps: days to simulate (``config.steps`` when None).
        seed: seed of the model's generator (``config.seed`` when None).

    Returns:
        One row per day, indexed by ``day`` (1, 2, ...), one float column per metric.
    """
    model = EcosystemModel(config, rng=seed)
    model.run(steps)
    return model.timeseries()
