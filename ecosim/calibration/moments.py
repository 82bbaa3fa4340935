"""Simulated moments and the objective of a calibration (docs/calibration.md, "Objective").

A run's daily metrics (one row per day, indexed by day 1, 2, ...) give one value per target:
the mean or a quantile of the metric (or the daily sum of several) over the target's window
of days, or the ratio of its sum over the window to the sum of the same or other metrics
over a second window. A trial averages each moment over its
replications; the objective is the weighted sum of squared relative deviations of those means
from the targets, over the fitted targets only:

    J(theta) = sum_i w_i * ((mean_r m_i(theta, seed_r) - v_i) / s_i) ** 2

where ``s_i = |v_i|`` (or the tolerance when ``v_i = 0``). J is dimensionless; J = 0 is a
perfect fit, and a target off by 10% of its value adds ``0.01 * w_i``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ecosim.calibration.spec import Target

__all__ = ["moment", "moments", "objective", "relative_deviation", "within_tolerance"]


def _window(frame: pd.DataFrame, metrics: Sequence[str], first: int, last: int) -> pd.Series:
    """The daily sum of ``metrics`` on days ``first..last``."""
    column = frame[list(metrics)].astype("float64").sum(axis=1)
    return column.loc[(column.index >= first) & (column.index <= last)]


def moment(frame: pd.DataFrame, target: Target) -> float:
    """A target's statistic in one run.

    Args:
        frame: the run's daily metrics, indexed by day (1-based).
        target: the target (metric, statistic, window).

    Returns:
        The statistic in the metric's unit (a ratio: a share); NaN when the window holds no
        day; a ratio whose denominator sums to zero is 0 (the metrics' own empty case).
    """
    spec = target.spec
    values = _window(frame, target.metrics, target.first, target.last)
    if values.empty:
        return float("nan")
    if spec.statistic == "quantile":
        return float(values.quantile(float(spec.q or 0.0)))
    if spec.statistic == "ratio":
        of = _window(frame, target.of_metrics, int(target.of_first or 1), int(target.of_last or 0))
        total = float(of.sum())
        return float(values.sum()) / total if total != 0 else 0.0
    return float(values.mean())


def moments(frame: pd.DataFrame, targets: Sequence[Target]) -> list[float]:
    """Every target's statistic in one run, in the order of ``targets``."""
    return [moment(frame, target) for target in targets]


def relative_deviation(achieved: float, target: Target) -> float:
    """``(achieved - value) / scale``: signed, 0.1 means 10% of the target value too high."""
    return (achieved - target.spec.value) / target.scale


def within_tolerance(achieved: float, target: Target) -> bool | None:
    """Whether ``|achieved - value| <= tolerance``; ``None`` when the target has no tolerance."""
    if target.spec.tolerance is None:
        return None
    return bool(abs(achieved - target.spec.value) <= target.spec.tolerance)


def objective(means: Sequence[float], targets: Sequence[Target]) -> float:
    """The weighted sum of squared relative deviations over the fitted targets.

    Args:
        means: each target's moment averaged over the trial's replications, in the order of
            ``targets``.
        targets: every target of the calibration (those with ``fit: false`` are skipped).

    Returns:
        The objective (dimensionless, >= 0); ``inf`` when a fitted moment is not finite.
    """
    total = 0.0
    for achieved, target in zip(means, targets, strict=True):
        if not (target.spec.fit and target.spec.weight > 0):
            continue
        if not np.isfinite(achieved):
            return float("inf")
        total += target.spec.weight * relative_deviation(achieved, target) ** 2
    return total
