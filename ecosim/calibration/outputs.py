"""What a calibration writes: best parameters, a ready config, the fit table, the trial
history and two figures, all rebuilt from the study and each written atomically.

Files in the output folder (docs/calibration.md, "Outputs"):

* ``best.json``: the best trial's number, objective and parameters, and its targets' moments.
* ``calibrated.yaml``: a config with ``base:`` the scenario, the file's overrides and the
  fitted parameters (``ecosim run calibrated.yaml`` runs it).
* ``fit.csv`` and ``fit.md``: per target, the target value, the achieved mean ± sd over the
  replications at the best point, whether it is within tolerance, in or out of sample, and
  the source.
* ``trials.parquet``: one row per trial: state, objective, parameters, each target's mean and
  sd over replications, seconds.
* ``convergence.png`` (objective by trial and best so far) and ``fit.png`` (achieved vs
  target), in the figure style of :mod:`ecosim.plots`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import yaml
from matplotlib.figure import Figure
from optuna.trial import TrialState

from ecosim.calibration.moments import relative_deviation, within_tolerance
from ecosim.calibration.spec import CalibrationFile, Target
from ecosim.config import get_dotted, set_dotted
from ecosim.io import atomic_write, write_json, write_parquet, write_text
from ecosim.plots import figure_style, legend_outside, png_writer, wrap_label

__all__ = [
    "BEST",
    "CALIBRATED",
    "CONVERGENCE_FIGURE",
    "FIT_CSV",
    "FIT_FIGURE",
    "FIT_MARKDOWN",
    "MANIFEST",
    "STUDY_FILE",
    "TRIALS",
    "best_trial",
    "calibrated_document",
    "convergence_figure",
    "fit_figure",
    "fit_markdown",
    "fit_table",
    "trials_frame",
    "write_outputs",
]

MANIFEST = "calibration.json"
STUDY_FILE = "study.journal"
BEST = "best.json"
CALIBRATED = "calibrated.yaml"
FIT_CSV = "fit.csv"
FIT_MARKDOWN = "fit.md"
TRIALS = "trials.parquet"
CONVERGENCE_FIGURE = "convergence.png"
FIT_FIGURE = "fit.png"


def _moment_stats(trial: optuna.trial.FrozenTrial, target: Target) -> tuple[float, float]:
    """Mean and sd (ddof 1; 0 with one replication) of a target's moment over replications."""
    values = np.asarray(trial.user_attrs.get("moments", {}).get(target.name, []), dtype=float)
    if values.size == 0:
        return math.nan, math.nan
    sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return float(values.mean()), sd


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The complete trial with the lowest objective (the first such), or ``None``."""
    complete = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.value is not None
    ]
    return min(complete, key=lambda t: (float(t.value or 0.0), t.number)) if complete else None


def trials_frame(study: optuna.Study, cal: CalibrationFile) -> pd.DataFrame:
    """The trial history: one row per trial, in trial order.

    Columns: ``trial``, ``state`` (COMPLETE, FAIL, RUNNING...), ``objective`` (NaN unless
    complete), ``best_so_far`` (lowest objective up to this trial), one column per parameter
    (its dotted key), ``<target>_mean`` and ``<target>_sd`` (over replications, the metric's
    unit), ``run_s`` (summed seconds of the runs), ``wall_s`` (seconds from ask to tell),
    ``error`` (a failed run's message, else empty).
    """
    rows: list[dict[str, Any]] = []
    best = math.inf
    for trial in study.get_trials(deepcopy=False):
        value = float(trial.value) if trial.value is not None else math.nan
        if trial.state == TrialState.COMPLETE and value < best:
            best = value
        row: dict[str, Any] = {
            "trial": trial.number,
            "state": trial.state.name,
            "objective": value,
            "best_so_far": best if math.isfinite(best) else math.nan,
        }
        for p in cal.parameters:
            row[p.key] = float(trial.params.get(p.key, math.nan))
        for target in cal.targets:
            row[f"{target.name}_mean"], row[f"{target.name}_sd"] = _moment_stats(trial, target)
        row["run_s"] = float(trial.user_attrs.get("run_s", math.nan))
        row["wall_s"] = float(trial.user_attrs.get("wall_s", math.nan))
        row["error"] = str(trial.user_attrs.get("error", ""))
        rows.append(row)
    columns = ["trial", "state", "objective", "best_so_far"]
    columns += [p.key for p in cal.parameters]
    columns += [f"{t.name}_{s}" for t in cal.targets for s in ("mean", "sd")]
    columns += ["run_s", "wall_s", "error"]
    return pd.DataFrame(rows, columns=columns)


def fit_table(cal: CalibrationFile, trial: optuna.trial.FrozenTrial) -> pd.DataFrame:
    """Per target, the target value and what the best trial achieved over its replications.

    Columns: ``target``, ``metric``, ``statistic`` (in words), ``value`` (the target),
    ``tolerance``, ``weight``, ``achieved_mean``, ``achieved_sd`` (over replications, ddof
    1), ``relative_deviation`` ((achieved - value) / scale), ``within_tolerance`` (empty
    without a tolerance), ``sample`` (``in-sample`` if fitted, else ``out-of-sample``),
    ``source`` and ``note``.
    """
    rows = []
    for target in cal.targets:
        spec = target.spec
        mean, sd = _moment_stats(trial, target)
        rows.append(
            {
                "target": target.name,
                "metric": target.label,
                "statistic": target.describe(),
                "value": spec.value,
                "tolerance": spec.tolerance if spec.tolerance is not None else math.nan,
                "weight": spec.weight if spec.fit else 0.0,
                "achieved_mean": mean,
                "achieved_sd": sd,
                "relative_deviation": relative_deviation(mean, target),
                "within_tolerance": within_tolerance(mean, target),
                "sample": "in-sample" if spec.fit and spec.weight > 0 else "out-of-sample",
                "source": spec.source,
                "note": spec.note,
            }
        )
    return pd.DataFrame(rows)


def _num(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.4g}"


def fit_markdown(table: pd.DataFrame, cal: CalibrationFile, trial: optuna.trial.FrozenTrial) -> str:
    """The fit table as Markdown, headed by the best parameters and the objective."""
    lines = [
        f"# Calibration fit: {cal.name}",
        "",
        f"Best trial {trial.number}, objective {_num(float(trial.value or 0.0))} "
        f"(weighted sum of squared relative deviations of the fitted targets); "
        f"{cal.spec.replications} replications of {cal.steps} days per trial.",
        "",
        "| parameter | value | range |",
        "|---|---|---|",
    ]
    for p in cal.parameters:
        lines.append(f"| `{p.key}` | {trial.params[p.key]:.6g} | {p.low:g} - {p.high:g} |")
    lines += [
        "",
        "| target | statistic | target value | achieved (mean ± sd) | deviation | within "
        "tolerance | sample | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table.to_dict("records"):
        tolerance = float(row["tolerance"])
        tol = f" ± {_num(tolerance)}" if math.isfinite(tolerance) else ""
        verdict = {True: "yes", False: "no"}.get(row["within_tolerance"], "-")
        note = f" {row['note']}" if row["note"] else ""
        lines.append(
            f"| {row['target']} (`{row['metric']}`) | {row['statistic']} "
            f"| {_num(float(row['value']))}{tol} "
            f"| {_num(float(row['achieved_mean']))} ± {_num(float(row['achieved_sd']))} "
            f"| {100 * float(row['relative_deviation']):+.1f}% | {verdict} | {row['sample']} "
            f"| {row['source']}{note} |"
        )
    return "\n".join(lines) + "\n"


def calibrated_document(
    cal: CalibrationFile, params: dict[str, Any], out_dir: Path
) -> dict[str, Any]:
    """A config mapping: ``base:`` the scenario, then the overrides and the fitted values.

    Configs merge mappings key by key but replace lists whole, so a key inside a list
    (``platforms.0.mall.commission_rate``) is written as the whole list, taken from the
    calibrated configuration.

    Args:
        cal: the calibration.
        params: the fitted values (dotted key -> value).
        out_dir: the folder the document is written to (``base`` is relative to it).
    """
    fitted = cal.base.model_dump(mode="json")
    values = {**cal.spec.overrides, **params}
    for key, value in params.items():
        set_dotted(fitted, key, value)
    doc: dict[str, Any] = {}
    if cal.scenario_path is not None:
        doc["base"] = os.path.relpath(cal.scenario_path, out_dir.resolve())
    for key, value in values.items():
        parts = key.split(".")  # keys were checked by the calibration file's parser
        list_at = next((i for i, part in enumerate(parts) if part.isdigit()), None)
        if list_at is None:
            set_dotted(doc, key, value)
        else:
            head = ".".join(parts[:list_at])
            set_dotted(doc, head, get_dotted(fitted, head))
    if cal.spec.steps is not None:
        doc["steps"] = cal.spec.steps
    return doc


def _calibrated_yaml(cal: CalibrationFile, trial: optuna.trial.FrozenTrial, out_dir: Path) -> str:
    doc = calibrated_document(cal, dict(trial.params), out_dir)
    header = (
        f"# Calibrated by `ecosim calibrate {cal.path}`: trial {trial.number}, objective "
        f"{float(trial.value or 0.0):.4g}.\n# The fit table is fit.md in this folder.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False)


def convergence_figure(frame: pd.DataFrame, title: str) -> Figure:
    """Objective of each complete trial (points) and the best so far (steps), log scale."""
    with figure_style():
        fig = Figure(figsize=(7.5, 4.0))
        ax = fig.subplots()
        done = frame[frame["state"] == "COMPLETE"]
        positive = done[done["objective"] > 0]
        ax.scatter(positive["trial"], positive["objective"], s=14, alpha=0.6, label="trial")
        best = done[done["best_so_far"] > 0]
        ax.step(best["trial"], best["best_so_far"], where="post", label="best so far")
        if not positive.empty:
            ax.set_yscale("log")
        ax.set_xlabel("trial")
        ax.set_ylabel("objective (weighted squared relative deviations)")
        ax.set_title(f"Convergence: {title}")
        legend_outside(ax)
    return fig


def fit_figure(table: pd.DataFrame, title: str) -> Figure:
    """Each target's achieved mean ± sd against its value, as % deviation from the target.

    The deviations are relative (achieved - target) / |target|, so targets in different units
    share one axis; a bar marks each target's tolerance band.
    """
    with figure_style():
        fig = Figure(figsize=(8.0, 0.5 * len(table) + 1.8))
        ax = fig.subplots()
        # The target's own name: it is what fit.md and the calibration file call it.
        labels = [wrap_label(str(name).replace("_", " "), 30) for name in table["target"]]
        ys = np.arange(len(table))[::-1]
        scale = (table["value"].abs()).where(table["value"] != 0, table["tolerance"]).to_numpy()
        tol = 100 * table["tolerance"].to_numpy(dtype=float) / scale
        for y, band in zip(ys, tol, strict=True):
            if math.isfinite(band):
                ax.plot([-band, band], [y, y], color="0.8", linewidth=8, solid_capstyle="butt")
        dev = 100 * table["relative_deviation"].to_numpy(dtype=float)
        err = 100 * table["achieved_sd"].to_numpy(dtype=float) / scale
        for sample, marker in (("in-sample", "o"), ("out-of-sample", "D")):
            mask = (table["sample"] == sample).to_numpy()
            if mask.any():
                ax.errorbar(
                    dev[mask], ys[mask], xerr=err[mask], fmt=marker, capsize=3, label=sample
                )
        ax.axvline(0.0, color="0.3", linewidth=1)
        ax.set_yticks(ys, labels)
        ax.set_xlabel("(achieved - target) / |target|, %; grey: tolerance")
        ax.set_title(f"Achieved vs target: {title}")
        legend_outside(ax)
    return fig


def _write_figure(path: Path, fig: Figure) -> Path:
    return atomic_write(path, png_writer(fig))


def write_outputs(out_dir: Path, cal: CalibrationFile, study: optuna.Study) -> list[Path]:
    """Write every output file of the calibration from its study (each atomically).

    Without a complete trial only the trial history is written.

    Returns:
        The files written.
    """
    frame = trials_frame(study, cal)
    written = [write_parquet(out_dir / TRIALS, frame)]
    trial = best_trial(study)
    if trial is None:
        return written
    table = fit_table(cal, trial)
    best = {
        "trial": trial.number,
        "objective": trial.value,
        "parameters": dict(trial.params),
        "targets": {
            row["target"]: {
                "value": row["value"],
                "mean": row["achieved_mean"],
                "sd": row["achieved_sd"],
            }
            for row in table.to_dict("records")
        },
        "calibration_hash": cal.calibration_hash(),
        "replications": cal.spec.replications,
        "steps": cal.steps,
    }
    written += [
        write_json(out_dir / BEST, best),
        write_text(out_dir / CALIBRATED, _calibrated_yaml(cal, trial, out_dir)),
        atomic_write(out_dir / FIT_CSV, lambda p: table.to_csv(p, index=False)),
        write_text(out_dir / FIT_MARKDOWN, fit_markdown(table, cal, trial)),
        _write_figure(out_dir / CONVERGENCE_FIGURE, convergence_figure(frame, cal.name)),
        _write_figure(out_dir / FIT_FIGURE, fit_figure(table, cal.name)),
    ]
    return written
