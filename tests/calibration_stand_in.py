"""A stand-in model for the calibration tests, in a module of its own so that the pool
processes that import it load only numpy and pandas (not the test module's imports)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def linear_simulation(config, steps=None, seed=None) -> pd.DataFrame:
    """gmv = 100 * offline_preference + (seed % 10) + day - 1; take_rate = the marketplace's
    payment fee; online_share = 0.1."""
    steps = steps or config.steps
    index = pd.RangeIndex(1, steps + 1, name="day")
    noise = float(seed % 10)
    gmv = 100.0 * config.consumers.offline_preference + noise + np.arange(steps)
    return pd.DataFrame(
        {
            "gmv": gmv,
            "take_rate": np.full(steps, config.platforms[0].marketplace.payment_fee),
            "online_share": np.full(steps, 0.1),
        },
        index=index,
    )
