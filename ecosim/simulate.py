"""One simulation from a config to its daily metrics: the unit of work of runs and sweeps."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ecosim.config import EcosimConfig
from ecosim.model import EcosystemModel

__all__ = ["run_simulation"]


def run_simulation(
    config: EcosimConfig,
    steps: int | None = None,
    seed: int | None = None,
    output_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Build a model, run it and return its daily metrics.

    Args:
        config: validated configuration.
        steps: days to simulate (``config.steps`` when None).
        seed: seed of the model's generator (``config.seed`` when None).
        output_dir: folder for the run's panels and event logs (``config.outputs``,
            docs/outputs.md); None writes none.

    Returns:
        One row per day, indexed by ``day`` (1, 2, ...), one float column per metric.
    """
    model = EcosystemModel(config, rng=seed, output_dir=output_dir)
    try:
        model.run(steps)
        model.finish_outputs()
    except BaseException:
        model.state.record.abort()
        raise
    return model.timeseries()
