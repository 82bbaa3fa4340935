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

One run's agent-level outputs (docs/outputs.md): :func:`load_run` reads the panels and
event logs of an ``ecosim run --out`` folder as pandas frames, :func:`scan` lazily through
DuckDB or Polars for runs too large for memory. Worked examples, each taking frames from
:func:`load_run` or from a model (``model.panel(...)``, ``model.events(...)``):

* :func:`first_negative_rating_study`: sales growth around a store's first negative rating,
  against stores of its category not yet negatively rated (Cabral & Hortacsu 2010).
* :func:`fee_pass_through`: the pass-through of a scheduled commission change into the
  prices of the stores it applies to, against the stores it does not.
* :func:`exit_hazards`: exit hazards by entry cohort (and any store trait).
* :func:`maker_switching`: how often a repeat purchase of a consumable goes to another
  manufacturer, for orders placed by smart devices and by searching households.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecosim.config import ConfigError
from ecosim.recorder import EVENTS, PANELS, file_name
from ecosim.sweep.store import (
    RECORDS_DIR,
    RUNS_TABLE,
    TIMESERIES_DIR,
    parquet_is_whole,
    read_manifest,
    read_records,
    runs_frame,
)

__all__ = [
    "STATS",
    "RunOutputs",
    "SweepResults",
    "exit_hazards",
    "fee_pass_through",
    "first_negative_rating_study",
    "load_run",
    "load_sweep",
    "maker_switching",
    "scan",
    "sobol_indices",
]

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


# ---------------------------------------------------------------------------- one run's panels
@dataclass
class RunOutputs:
    """The files of one ``ecosim run --out`` folder (see docs/outputs.md).

    Attributes:
        path: the run's output folder.
    """

    path: Path

    def available(self) -> list[str]:
        """Names of the panels and logs the folder holds."""
        return [n for n in (*PANELS, *EVENTS) if (self.path / file_name(n)).is_file()]

    def timeseries(self) -> pd.DataFrame:
        """The daily metrics, indexed by ``day``."""
        return pd.read_parquet(self.path / "timeseries.parquet")

    def panel(self, name: str = "stores", columns: list[str] | None = None) -> pd.DataFrame:
        """A panel (``stores``, ``manufacturers``, ``couriers``, ``platforms``,
        ``households``), optionally only some columns."""
        return self._read(name, PANELS, columns)

    def events(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """An event log (``orders``, ``deliveries``, ``ratings``, ...)."""
        return self._read(name, EVENTS, columns)

    def _read(self, name: str, names: tuple[str, ...], columns: list[str] | None) -> pd.DataFrame:
        if name not in names:
            raise KeyError(f"unknown name {name!r}; one of {', '.join(names)}")
        path = self.path / file_name(name)
        if not path.is_file():
            raise ConfigError(
                f"{path}: not found; run `ecosim run ... --out {self.path}` with "
                f"--{'panels' if name in PANELS else 'events'} {name}"
            )
        return pd.read_parquet(path, columns=columns)


def load_run(path: str | Path) -> RunOutputs:
    """The panels, logs and daily metrics of an ``ecosim run --out`` folder.

    Raises:
        ConfigError: the folder has no ``timeseries.parquet`` (not a run folder).
    """
    path = Path(path)
    if not (path / "timeseries.parquet").is_file():
        raise ConfigError(f"{path}: not a run output folder (no timeseries.parquet)")
    return RunOutputs(path)


def scan(path: str | Path, name: str, engine: str = "duckdb") -> Any:
    """A panel or log of a run folder, read lazily for runs too large for memory.

    Args:
        path: the run's output folder.
        name: the panel or log (``stores``, ``orders``...).
        engine: ``duckdb`` (a relation: ``.filter(...)``, ``.aggregate(...)``, ``.df()``)
            or ``polars`` (a LazyFrame: ``.filter(...)``, ``.group_by(...)``, ``.collect()``).
            Installed with ``pip install ecosim[big]``.
    """
    file = Path(path) / file_name(name)
    if engine == "duckdb":
        import duckdb

        return duckdb.read_parquet(str(file))
    if engine == "polars":
        import polars

        return polars.scan_parquet(file)
    raise ValueError(f"engine must be 'duckdb' or 'polars', got {engine!r}")


def _wide(stores: pd.DataFrame, value: str) -> pd.DataFrame:
    """Stores x panel days of one column (NaN where the store has no row)."""
    return stores.pivot(index="store", columns="day", values=value).sort_index(axis=1)


def first_negative_rating_study(
    stores: pd.DataFrame,
    ratings: pd.DataFrame,
    threshold: float = 0.4,
    window: int = 4,
) -> pd.DataFrame:
    """Sales growth around each store's first negative genuine rating, against a control
    group: the stores of its category without a negative rating up to the end of its window.

    The outcome is ``log((1 + post) / (1 + pre))`` with ``pre`` and ``post`` a store's mean
    orders per panel period over the ``window`` periods before and after the period of the
    rating (that period itself left out). Only stores open over the whole window count.

    Args:
        stores: the store panel.
        ratings: the ratings log.
        threshold: a genuine rating below this value (0..1) is negative.
        window: panel periods on each side.

    Returns:
        One row per treated store: ``store``, ``category``, ``event_day`` (panel day of the
        rating's period), ``growth`` (the store's), ``control_growth`` (mean of its control
        group), ``controls`` (their number) and ``effect`` (difference; Cabral & Hortacsu
        2010 find it negative on eBay).
    """
    orders = _wide(stores, "orders")
    days = orders.columns.to_numpy()
    category = stores.groupby("store")["category"].first().reindex(orders.index).to_numpy()
    bad = ratings[(~ratings["fake"]) & (ratings["value"] < threshold)]
    first_bad = bad.groupby("store")["day"].min().reindex(orders.index)
    # the panel period holding each first negative rating (inf: never)
    first_day = first_bad.fillna(np.inf).to_numpy()
    event_col = np.searchsorted(days, first_day)
    values = orders.to_numpy()
    stores_index = orders.index.to_numpy()
    rows = []
    for col in np.unique(event_col[np.isfinite(first_day)]):
        if col - window < 0 or col + window >= days.size:
            continue
        pre = values[:, col - window : col].mean(axis=1)
        post = values[:, col + 1 : col + 1 + window].mean(axis=1)
        growth = np.log1p(post) - np.log1p(pre)  # NaN unless open over the whole window
        clean = first_day > days[col + window]
        for i in np.flatnonzero((event_col == col) & np.isfinite(first_day)):
            if not np.isfinite(growth[i]):
                continue
            peers = clean & (category == category[i]) & np.isfinite(growth)
            if not peers.any():
                continue
            control = float(growth[peers].mean())
            rows.append(
                {
                    "store": int(stores_index[i]),
                    "category": int(category[i]),
                    "event_day": int(days[col]),
                    "growth": float(growth[i]),
                    "control_growth": control,
                    "controls": int(peers.sum()),
                    "effect": float(growth[i]) - control,
                }
            )
    columns = ["store", "category", "event_day", "growth", "control_growth", "controls", "effect"]
    return pd.DataFrame(rows, columns=columns)


_FEE_KEY = re.compile(r"^platforms\.(\d+)\.(marketplace|mall)\.(commission_rate|payment_fee)$")


def fee_pass_through(
    stores: pd.DataFrame, rules: pd.DataFrame, window: int = 4, other_fees: float = 0.0
) -> pd.DataFrame:
    """Pass-through of the first scheduled fee change into the prices of the stores it
    applies to (its platform and tier), against the other stores of that platform.

    Each store's price change is ``dlog p`` between the last panel day before the change
    and ``window`` panel periods after it. The cost of a sale scales with ``1 / (1 - t)``
    (t the fee rate), so a full pass-through moves a treated store's log price by
    ``dlog(1 / (1 - t))`` more than the controls'.

    Args:
        stores: the store panel.
        rules: the rules log (``outputs.events`` with ``rules``).
        window: panel periods after the change.
        other_fees: the rest of the treated tier's fee rate (share of price), e.g. the
            payment fee when the commission changes.

    Returns:
        One row per store open on both days: ``store``, ``tier``, ``treated``, ``dlog_price``
        and, for treated stores, ``pass_through`` (their ``dlog_price`` minus the controls'
        mean, over the fee's ``dlog(1 / (1 - t))``; 1 is full pass-through).
    """
    changes = rules[rules["key"].str.match(_FEE_KEY)]
    if changes.empty:
        raise ValueError("the rules log holds no change of a commission or payment fee")
    change = changes.iloc[0]
    found = _FEE_KEY.fullmatch(str(change["key"]))
    if found is None:  # cannot happen: the changes were filtered by this pattern
        raise ValueError(f"not a fee key: {change['key']}")
    platform, tier_name, _ = found.groups()
    old, new = float(change["old"]), float(change["new"])
    price = _wide(stores, "price")
    days = price.columns.to_numpy()
    before = np.searchsorted(days, int(change["day"])) - 1
    after = before + window
    if before < 0 or after >= days.size:
        raise ValueError("the store panel does not cover the window around the change")
    first = stores.groupby("store")[["platform", "tier"]].first().reindex(price.index)
    values = price.to_numpy()
    dlog = np.log(values[:, after]) - np.log(values[:, before])
    tier = 1 if tier_name == "mall" else 0
    same_platform = first["platform"].to_numpy() == int(platform)
    treated = same_platform & (first["tier"].to_numpy() == tier)
    keep = same_platform & np.isfinite(dlog)
    control = float(np.nanmean(dlog[keep & ~treated])) if (keep & ~treated).any() else 0.0
    dlog_fee = np.log(1 - old - other_fees) - np.log(1 - new - other_fees)
    out = pd.DataFrame(
        {
            "store": price.index.to_numpy()[keep],
            "tier": first["tier"].to_numpy()[keep],
            "treated": treated[keep],
            "dlog_price": dlog[keep],
        }
    )
    out["pass_through"] = np.where(out["treated"], (out["dlog_price"] - control) / dlog_fee, np.nan)
    return out


def exit_hazards(
    stores: pd.DataFrame,
    exits: pd.DataFrame,
    by: list[str] | None = None,
    cohort_days: int = 30,
    age_days: int = 30,
) -> pd.DataFrame:
    """Exit hazards by entry cohort and age, from the store panel and the exits log.

    A store enters at its ``entry_day`` (cohort ``entry_day // cohort_days``; the initial
    stores are cohort 0) and is at risk until its exit or the panel's last day.

    Args:
        stores: the store panel.
        exits: the exits log.
        by: further store columns to group by (e.g. ``["opportunistic"]``).
        cohort_days: days per entry cohort.
        age_days: days per age bin.

    Returns:
        One row per group, cohort and age bin: ``at_risk`` (store-days at risk), ``exits``
        and ``hazard`` (exits per store and ``age_days`` days).
    """
    by = list(by or [])
    traits = stores.groupby("store")[["entry_day", *by]].first()
    end = int(stores["day"].max())
    exit_day = exits.groupby("store")["day"].min().reindex(traits.index)
    exited = exit_day.notna().to_numpy()
    stop = np.where(exited, exit_day.fillna(end).to_numpy(), end).astype(np.int64)
    start = traits["entry_day"].to_numpy().astype(np.int64)
    duration = np.maximum(stop - start, 0)
    n_bins = int(duration.max() // age_days) + 1
    edges = np.arange(n_bins) * age_days
    # store-days at risk in each age bin, and the bin of each exit
    at_risk = np.clip(duration[:, None] - edges[None, :], 0, age_days)
    exit_bin = np.minimum(duration // age_days, n_bins - 1)
    frame = traits.assign(cohort=start // cohort_days, exited=exited, exit_bin=exit_bin)
    rows = []
    for key, group in frame.groupby([*by, "cohort"], sort=True):
        idx = traits.index.get_indexer(group.index)
        risk = at_risk[idx].sum(axis=0)
        count = np.bincount(exit_bin[idx][exited[idx]], minlength=n_bins)
        key = key if isinstance(key, tuple) else (key,)
        for b in np.flatnonzero(risk > 0):
            rows.append(
                {
                    **dict(zip([*by, "cohort"], key, strict=True)),
                    "age": int(edges[b]),
                    "at_risk": float(risk[b]),
                    "exits": int(count[b]),
                    "hazard": float(count[b] / risk[b] * age_days),
                }
            )
    return pd.DataFrame(rows, columns=[*by, "cohort", "age", "at_risk", "exits", "hazard"])


def maker_switching(orders: pd.DataFrame, stores: pd.DataFrame) -> pd.DataFrame:
    """Switching between manufacturers in households' repeat purchases of a category.

    Each order after a household's first of a category is a repeat; it is a switch when
    its store's manufacturer differs from that of the household's previous order of the
    category.

    Args:
        orders: the orders log.
        stores: the store panel (for each store's manufacturer).

    Returns:
        One row for orders placed by smart devices (``iot`` True) and one for searched
        orders: ``repeats``, ``switches`` and ``switch_rate``.
    """
    maker = stores.groupby("store")["manufacturer"].first()
    frame = orders[["day", "household", "category", "store", "iot"]].copy()
    frame["maker"] = maker.reindex(frame["store"]).to_numpy()
    frame = frame.dropna(subset=["maker"]).sort_values(
        ["household", "category", "day"], kind="stable"
    )
    same = (frame["household"].to_numpy()[1:] == frame["household"].to_numpy()[:-1]) & (
        frame["category"].to_numpy()[1:] == frame["category"].to_numpy()[:-1]
    )
    repeat = np.r_[False, same]
    switch = np.r_[False, same & (frame["maker"].to_numpy()[1:] != frame["maker"].to_numpy()[:-1])]
    frame = frame.assign(repeat=repeat, switch=switch)
    out = frame[frame["repeat"]].groupby("iot")[["repeat", "switch"]].sum()
    out = out.rename(columns={"repeat": "repeats", "switch": "switches"}).reset_index()
    out["switch_rate"] = out["switches"] / out["repeats"]
    return out
