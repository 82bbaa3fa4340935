"""Read a sweep's results back as tidy pandas frames, and Sobol' indices for sobol designs.

Example:
    >>> sweep = load_sweep("results/sweeps/commission_grid")  # doctest: +SKIP
    >>> sweep.outcomes.groupby(["platforms.0.mall.commission_rate", "output"]).value.mean()
    >>> sweep.sobol()  # sobol designs: S1, ST and their confidence intervals per output

Frames (all tidy: one observation per row):

* ``runs``: one row per run, as in ``runs.parquet`` (parameters as columns named by their
  dotted keys, ``<output>_final`` and ``<output>_mean``).
* ``outcomes``: one row per run x output x statistic (``final``: value on the last day;
  ``mean``: mean over all days), done runs only, with the run's parameters.
* :meth:`SweepResults.timeseries`: one row per run x day x metric.
* :meth:`SweepResults.point_summary`: per design point, output and statistic, the mean,
  standard deviation and 5/50/95% quantiles over replications.
* :meth:`SweepResults.sobol`: first-order (``S1``) and total (``ST``) indices per output,
  statistic and parameter, with the half-width of their confidence intervals.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecosim.config import ConfigError
from ecosim.sweep.store import (
    RECORDS_DIR,
    RUNS_TABLE,
    TIMESERIES_DIR,
    parquet_is_whole,
    read_manifest,
    read_records,
    runs_frame,
)

__all__ = ["STATS", "SweepResults", "load_sweep", "sobol_indices"]

#: Per-run statistics of each output: value on the last day, mean over all days.
STATS = ("final", "mean")


@dataclass
class SweepResults:
    """A sweep's results, as returned by :func:`load_sweep`.

    Attributes:
        path: the sweep's output folder.
        manifest: the parsed ``manifest.json``.
        runs: one row per recorded run.
        outcomes: tidy outcomes of done runs (see the module docstring).
        parameters: dotted keys of the varied parameters, in file order.
        outputs: output metric names.
        design: ``grid``, ``lhs`` or ``sobol``.
    """

    path: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    outcomes: pd.DataFrame
    parameters: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    design: str = "grid"

    @property
    def n_points(self) -> int:
        """Number of design points."""
        return int(self.manifest["design"]["points"])

    @property
    def replications(self) -> int:
        """Replications per design point."""
        return int(self.manifest["design"]["replications"])

    def counts(self) -> dict[str, int]:
        """Runs in the sweep, and how many are done, failed and missing."""
        total = int(self.manifest["design"]["runs"])
        done = int((self.runs["status"] == "done").sum())
        failed = int((self.runs["status"] == "failed").sum())
        return {"runs": total, "done": done, "failed": failed, "missing": total - done - failed}

    def point_summary(self) -> pd.DataFrame:
        """Mean, sd and 5/50/95% quantiles over replications per point, output and statistic.

        Returns:
            Columns ``point``, the parameters, ``output``, ``stat``, ``n`` (done runs),
            ``mean``, ``sd``, ``q05``, ``median``, ``q95`` (in the output's unit).
        """
        keys = ["point", "output", "stat"]
        grouped = self.outcomes.groupby(keys, sort=True)["value"]
        summary = grouped.agg(n="count", mean="mean", sd="std").reset_index()
        quantiles = grouped.quantile(np.array([0.05, 0.5, 0.95])).unstack()
        quantiles.columns = ["q05", "median", "q95"]
        summary = summary.merge(quantiles.reset_index(), on=keys)
        points = self.runs[["point", *self.parameters]].drop_duplicates("point")
        summary = summary.merge(points, on="point", how="left")
        return summary[
            ["point", *self.parameters, "output", "stat", "n", "mean", "sd", "q05", "median", "q95"]
        ]

    def timeseries(
        self, metrics: list[str] | None = None, run_ids: list[str] | None = None
    ) -> pd.DataFrame:
        """Daily metrics of done runs, tidy: one row per run, day and metric.

        Args:
            metrics: metric columns to keep (default: the sweep's outputs).
            run_ids: runs to read (default: every done run).

        Returns:
            Columns ``run_id``, ``point``, ``replication``, the parameters, ``day``,
            ``metric`` and ``value``.
        """
        metrics = list(metrics or self.outputs)
        done = self.runs[self.runs["status"] == "done"]
        if run_ids is not None:
            done = done[done["run_id"].isin(run_ids)]
        frames = []
        for rec in done[["run_id", "point", "replication", *self.parameters]].itertuples(
            index=False
        ):
            path = self.path / TIMESERIES_DIR / f"{rec[0]}.parquet"
            try:
                frame = pd.read_parquet(path)
            except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
                raise ConfigError(_redo(self.path, self.manifest, path, str(exc))) from None
            missing = [m for m in metrics if m not in frame.columns]
            if missing:
                raise KeyError(f"run {rec[0]}: no metric {missing[0]!r}")
            long = (
                frame[metrics]
                .reset_index()
                .melt(id_vars="day", var_name="metric", value_name="value")
            )
            for name, value in zip(
                ["run_id", "point", "replication", *self.parameters], rec, strict=True
            ):
                long[name] = value
            frames.append(long)
        columns = ["run_id", "point", "replication", *self.parameters, "day", "metric", "value"]
        if not frames:
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)[columns]

    def sobol(self, conf_level: float = 0.95, num_resamples: int = 1000) -> pd.DataFrame:
        """First-order and total Sobol' indices per output (see :func:`sobol_indices`)."""
        return sobol_indices(self, conf_level=conf_level, num_resamples=num_resamples)


def _redo(folder: Path, manifest: dict[str, Any], path: Path, problem: str) -> str:
    """Message for a damaged file of a done run: which, and how to get it back."""
    sweep_file = manifest.get("sweep_file") or "SWEEP_FILE"
    return (
        f"{path}: {problem}; run `ecosim sweep {sweep_file} --out {folder}` again to redo "
        f"that run (a done run whose time series is damaged is run again)"
    )


def _read_runs(path: Path, manifest: dict[str, Any]) -> pd.DataFrame:
    """``runs.parquet``, or the per-run records when the table lags behind them.

    The table is rebuilt from the records every few seconds while a sweep runs, so after an
    interruption the records are the more complete source; they are also used when the
    table cannot be read.
    """
    table = None
    if (path / RUNS_TABLE).is_file():
        try:
            table = pd.read_parquet(path / RUNS_TABLE)
        except (OSError, ValueError):  # damaged: the records are the source of truth
            table = None
    n_records = (
        len(list((path / RECORDS_DIR).glob("*.json"))) if (path / RECORDS_DIR).is_dir() else 0
    )
    if table is not None and len(table) >= n_records:
        return table
    sweep = manifest["sweep"]
    parameters = [p["key"] for p in sweep["parameters"]]
    return runs_frame(list(read_records(path).values()), parameters, list(sweep["outputs"]))


def load_sweep(path: str | Path) -> SweepResults:
    """Load a sweep's output folder.

    Args:
        path: the folder ``ecosim sweep --out`` wrote.

    Returns:
        The sweep's results as tidy frames.

    Raises:
        ConfigError: the folder is not a sweep output folder, its manifest is damaged, or
            the time series of a done run is missing or damaged (naming the file).
    """
    path = Path(path)
    manifest = read_manifest(path)
    if manifest is None:
        raise ConfigError(f"{path}: not a sweep output folder (no manifest.json)")
    sweep = manifest["sweep"]
    parameters = [p["key"] for p in sweep["parameters"]]
    outputs = list(sweep["outputs"])
    runs = _read_runs(path, manifest)

    done = runs[runs["status"] == "done"]
    for run_id in done["run_id"]:
        series = path / TIMESERIES_DIR / f"{run_id}.parquet"
        if not parquet_is_whole(series):
            problem = "missing" if not series.exists() else "damaged (not a whole Parquet file)"
            raise ConfigError(_redo(path, manifest, series, f"time series of a done run {problem}"))
    id_cols = ["run_id", "point", "replication", "seed", *parameters]
    value_cols = [f"{o}_{s}" for o in outputs for s in STATS]
    outcomes = done[id_cols + value_cols].melt(
        id_vars=id_cols, value_vars=value_cols, var_name="column", value_name="value"
    )
    split = outcomes["column"].str.rsplit("_", n=1, expand=True)
    outcomes = outcomes.assign(output=split[0], stat=split[1]).drop(columns="column")
    outcomes = outcomes.sort_values(["point", "replication", "output", "stat"], kind="stable")
    outcomes = outcomes[[*id_cols, "output", "stat", "value"]].reset_index(drop=True)
    return SweepResults(
        path=path,
        manifest=manifest,
        runs=runs,
        outcomes=outcomes,
        parameters=parameters,
        outputs=outputs,
        design=sweep["design"],
    )


def sobol_indices(
    results: SweepResults,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = 12345,
) -> pd.DataFrame:
    """First-order and total Sobol' indices of a sobol sweep (``SALib.analyze.sobol``).

    Each design point's output is the mean over its done replications, which averages out
    the model's own randomness before attributing variance to the parameters.

    Args:
        results: a loaded sweep with ``design: sobol``.
        conf_level: confidence level of the bootstrap intervals (0..1).
        num_resamples: bootstrap resamples.
        seed: seed of the bootstrap (so the intervals are reproducible).

    Returns:
        Columns ``output``, ``stat``, ``parameter``, ``S1``, ``S1_conf``, ``ST``,
        ``ST_conf`` (``*_conf``: half-width of the interval). Indices are NaN for an output
        with no variance or with a design point lacking any done replication.

    Raises:
        ValueError: the sweep is not a sobol design.
    """
    if results.design != "sobol":
        raise ValueError(f"Sobol' indices need a sobol design, this sweep is {results.design!r}")
    # SALib (and the scipy it pulls in) is imported only when indices are asked for.
    from SALib.analyze import sobol

    problem = dict(results.manifest["design"]["problem"])
    n_points = results.n_points
    rows = []
    means = results.outcomes.groupby(["output", "stat", "point"])["value"].mean()
    for output in results.outputs:
        for stat in STATS:
            y = np.full(n_points, np.nan)
            try:
                per_point = means.loc[(output, stat)]
            except KeyError:  # no done run at all
                per_point = None
            if per_point is not None:
                y[per_point.index.to_numpy(dtype=int)] = per_point.to_numpy(dtype=float)
            indices: dict[str, Any] | None = None
            if np.isfinite(y).all() and np.std(y) > 0:
                with warnings.catch_warnings():
                    # Tiny designs can give zero-variance bootstrap samples; the resulting
                    # NaN intervals are reported as such, not as warnings.
                    warnings.simplefilter("ignore", RuntimeWarning)
                    indices = sobol.analyze(
                        problem,
                        y,
                        calc_second_order=False,
                        num_resamples=num_resamples,
                        conf_level=conf_level,
                        print_to_console=False,
                        seed=seed,
                    )
            for j, name in enumerate(problem["names"]):
                rows.append(
                    {
                        "output": output,
                        "stat": stat,
                        "parameter": name,
                        "S1": float(indices["S1"][j]) if indices else np.nan,
                        "S1_conf": float(indices["S1_conf"][j]) if indices else np.nan,
                        "ST": float(indices["ST"][j]) if indices else np.nan,
                        "ST_conf": float(indices["ST_conf"][j]) if indices else np.nan,
                    }
                )
    return pd.DataFrame(
        rows, columns=["output", "stat", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    )
