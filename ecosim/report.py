"""Standard figures and a Markdown summary of a sweep (``ecosim report DIR``).

Figures (PNG, in the style of :func:`ecosim.plots.figure_style`, labels in words with units,
each with a caption saying what its bands are) written next to ``report.md``:

* ``outcomes_<output>.png``: the output (rows: final value, mean over the run) against each
  parameter (columns). Grid designs show the mean over runs with a 90% band over
  replications (and over the other parameters' levels, unless there are exactly two
  parameters: then the other one is the colour); lhs and sobol designs show each point's
  mean with the range over its replications.
* ``sobol_<output>.png``: first-order and total Sobol' indices with confidence intervals
  (sobol designs).
* ``timeseries.png``: each output over time per design point, mean and 90% band over
  replications (grid designs with at most 12 points).

Every file is written to a temporary name and renamed, like all ecosim output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ecosim.analysis import STATS, SweepResults, load_sweep
from ecosim.config import ConfigError
from ecosim.io import atomic_write, write_text
from ecosim.labels import (
    format_estimate,
    format_value,
    metric_label,
    metric_unit,
    parameter_labels,
)
from ecosim.metrics import METRICS
from ecosim.outdir import output_dir_problem
from ecosim.plots import (
    SMOOTHING_DAYS,
    figure_style,
    legend_outside,
    png_writer,
    smooth,
    start_at_zero,
    wrap_label,
    zero_based,
)

__all__ = [
    "SOBOL_CAPTION",
    "effect_caption",
    "effect_figure",
    "outcome_caption",
    "outcome_figure",
    "sobol_figure",
    "timeseries_caption",
    "timeseries_figure",
    "write_report",
]

#: Grid designs with at most this many points also get a time-series figure.
_MAX_TIMESERIES_POINTS = 12
#: Rows of per-point tables shown in the Markdown summary.
_MAX_TABLE_ROWS = 50
_BAND = ("pi", 90)  # 90% percentile interval over replications


def _fmt(x: Any) -> str:
    if hasattr(x, "item") and not isinstance(x, str):  # numpy scalars from frames
        x = x.item()
    return format_value(x)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _names(results: SweepResults) -> dict[str, str]:
    """Short labels of the sweep's parameters (``mall.commission_rate``)."""
    return parameter_labels(results.parameters)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


# --------------------------------------------------------------------------- figures
#: How each per-run statistic reads in labels.
_STAT_WORDS = {"final": "on the last day", "mean": "mean over the run"}


def _figure(
    nrows: int,
    ncols: int,
    width: float = 3.8,
    height: float = 3.0,
    sharey: Any = False,
    sharex: Any = False,
) -> tuple[Figure, Any]:
    # A bare Figure (no pyplot): no GUI backend, no global state, safe in any process.
    fig = Figure(figsize=(max(ncols * width, 4.5) + 1.6, nrows * height + 0.6))
    return fig, fig.subplots(nrows, ncols, squeeze=False, sharey=sharey, sharex=sharex)


def _caption(fig: Figure, text: str) -> None:
    """A caption under the figure (what points, lines and bands are)."""
    fig.supxlabel(text, fontsize="small", color="0.35", wrap=True)


def _save(fig: Figure, path: Path) -> Path:
    return atomic_write(path, png_writer(fig))


def _has_data(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return bool(np.any(np.isfinite(numbers) & (numbers != 0)))


def _nothing_to_draw(ax: Axes, text: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, wrap=True)


def _ylabel(output: str, stat: str) -> str:
    unit = metric_unit(output)
    return f"{metric_label(output, unit=False)}\n{_STAT_WORDS[stat]}" + (
        f" ({unit})" if unit else ""
    )


def outcome_caption(results: SweepResults) -> str:
    """What the points, lines and bands of ``outcomes_<output>.png`` are."""
    reps = results.replications
    if results.design != "grid":
        if reps == 1:
            return "Each point is one design point (one run)."
        return (
            f"Each point is one design point: the mean of its {reps} replications; "
            "bars span the lowest to the highest replication."
        )
    params = results.parameters
    coloured = len(params) == 2 and all(results.runs[p].nunique() <= 8 for p in params)
    pooled = len(params) >= 3 or (len(params) == 2 and not coloured)
    if reps == 1 and not pooled:
        return "One run per design point: lines join the runs, no band." + (
            " Colours: the other parameter's levels." if coloured else ""
        )
    over = f"the {reps} replications" if reps > 1 else "the runs"
    if pooled:
        over += " and the other parameters' levels"
    return f"Lines: mean over {over}; bands: the middle 90% of them (5th to 95th percentile)." + (
        " Colours: the other parameter's levels." if coloured else ""
    )


def outcome_figure(results: SweepResults, output: str) -> Figure:
    """``output`` (rows: last day, mean over the run) against each parameter (columns).

    Args:
        results: A loaded sweep with at least one done run.
        output: One of the sweep's outputs.
    """
    params = results.parameters
    names = _names(results)
    data = results.outcomes[results.outcomes["output"] == output]
    with figure_style():
        fig, axes = _figure(len(STATS), len(params), sharey="row")
        for i, stat in enumerate(STATS):
            sub = data[data["stat"] == stat]
            for j, param in enumerate(params):
                ax = axes[i][j]
                if not _has_data(sub["value"]):
                    _nothing_to_draw(ax, f"zero in every run ({_STAT_WORDS[stat]})")
                    continue
                if results.design == "grid":
                    _grid_panel(ax, sub, param, params, names)
                else:
                    _sampled_panel(ax, sub, param)
                ax.set_xlabel(names[param])
                ax.set_ylabel(_ylabel(output, stat) if j == 0 else "")
                legend = ax.get_legend()
                if legend is not None:
                    title = legend.get_title().get_text()
                    legend.remove()
                    if i == 0 and j == len(params) - 1:
                        legend_outside(ax, title=title)
        fig.suptitle(f"{metric_label(output)} against the parameters")
        _caption(fig, outcome_caption(results))
    return fig


def effect_caption(
    results: SweepResults,
    x: str,
    hue: str | None = None,
    stat: str = "mean",
    where: dict[str, Any] | None = None,
) -> str:
    """What the lines and bands of :func:`effect_figure` are."""
    names = _names(results)
    fixed = where or {}
    what = "mean over each run's days" if stat == "mean" else "value on each run's last day"
    pooled = [
        p for p in results.parameters if p not in {x, hue, *fixed} and results.runs[p].nunique() > 1
    ]
    text = f"Values: {what}."
    if fixed:
        text += " Runs with " + ", ".join(f"{names[k]} = {v}" for k, v in fixed.items()) + "."
    if results.replications == 1 and not pooled:
        return text + " One run per design point: lines join the runs, no band."
    over = f"the {results.replications} replications" if results.replications > 1 else "the runs"
    if pooled:
        over += " and the levels of " + ", ".join(names[p] for p in pooled)
    return (
        text + f" Lines: mean over {over}; bands: the middle 90% of them (5th to 95th percentile)."
    )


def effect_figure(
    results: SweepResults,
    x: str,
    outputs: list[str],
    hue: str | None = None,
    stat: str = "mean",
    where: dict[str, Any] | None = None,
    title: str | None = None,
) -> Figure:
    """Several outputs against one parameter, one small panel each, bands over replications.

    The figure of a study: how ``outputs`` move with ``x``, one line per level of ``hue``.

    Args:
        results: A loaded grid sweep with at least one done run.
        x: The parameter on the horizontal axis (dotted key).
        outputs: Outputs to draw, one panel each (at most 4 per row).
        hue: A parameter whose levels get one line each (dotted key), or None.
        stat: ``"mean"`` (mean over the run's days) or ``"final"`` (last day).
        where: Only runs with these parameter values (dotted key -> value); parameters
            neither fixed here nor ``x`` nor ``hue`` are pooled (the caption says so).
        title: Figure title (default: the outputs against ``x``'s label).
    """
    names = _names(results)
    data = results.outcomes[
        (results.outcomes["stat"] == stat) & results.outcomes["output"].isin(outputs)
    ]
    for key, value in (where or {}).items():
        data = data[data[key] == value]
    if hue is not None:
        data = data.assign(**{names[hue]: data[hue].astype("str")})
    ncols = min(len(outputs), 4)
    nrows = -(-len(outputs) // ncols)
    with figure_style():
        fig, axes = _figure(nrows, ncols, width=3.2, height=2.7)
        flat = list(axes.ravel())
        for ax, output in zip(flat, outputs, strict=False):
            sub = data[data["output"] == output]
            if not _has_data(sub["value"]):
                _nothing_to_draw(ax, f"{metric_label(output, unit=False)}: zero in every run")
                continue
            hue_name = names[hue] if hue is not None else None
            if _is_numeric(sub[x]):
                sns.lineplot(sub, x=x, y="value", hue=hue_name, errorbar=_BAND, marker="o", ax=ax)
            else:
                cat = sub.assign(_x=sub[x].astype("str"))
                sns.pointplot(
                    cat,
                    x="_x",
                    y="value",
                    hue=hue_name,
                    errorbar=_BAND,
                    ax=ax,
                    dodge=0.2 if hue else False,
                )
            if zero_based(output):
                start_at_zero(ax)
            ax.set_xlabel(names[x])
            ax.set_ylabel(wrap_label(metric_label(output)))
            legend = ax.get_legend()
            if legend is not None:
                legend.remove()
        for ax in flat[len(outputs) :]:
            ax.set_axis_off()
        if hue is not None:
            legend_outside(flat[min(len(outputs), ncols) - 1], title=names[hue])
        fig.suptitle(title or f"Outcomes against {names[x]}")
        _caption(fig, effect_caption(results, x, hue, stat, where))
    return fig


def _grid_panel(
    ax: Axes, sub: pd.DataFrame, param: str, params: list[str], names: dict[str, str]
) -> None:
    hue = None
    others = [p for p in params if p != param]
    if len(others) == 1 and sub[others[0]].nunique() <= 8:
        hue = names[others[0]]
        sub = sub.assign(**{hue: sub[others[0]].astype("str")})
    if _is_numeric(sub[param]):
        sns.lineplot(sub, x=param, y="value", hue=hue, errorbar=_BAND, marker="o", ax=ax)
    else:
        cat = sub.assign(_x=sub[param].astype("str"))
        sns.pointplot(
            cat, x="_x", y="value", hue=hue, errorbar=_BAND, ax=ax, dodge=0.2 if hue else False
        )


def _sampled_panel(ax: Axes, sub: pd.DataFrame, param: str) -> None:
    per_point = sub.groupby("point").agg(
        x=(param, "first"), mean=("value", "mean"), lo=("value", "min"), hi=("value", "max")
    )
    x = per_point["x"]
    if not _is_numeric(x):
        labels = sorted(x.astype("str").unique())
        x = x.astype("str").map({v: k for k, v in enumerate(labels)})
        ax.set_xticks(range(len(labels)), labels)
    yerr = [per_point["mean"] - per_point["lo"], per_point["hi"] - per_point["mean"]]
    ax.errorbar(x, per_point["mean"], yerr=yerr, fmt="o", ms=3, alpha=0.6, elinewidth=0.7)


SOBOL_CAPTION = (
    "Bars: Sobol' indices of the per-point mean over replications; whiskers: 95% bootstrap "
    "confidence intervals (1000 resamples)."
)


def sobol_figure(indices: pd.DataFrame, output: str) -> Figure:
    """First-order and total Sobol' indices of ``output`` per parameter, with intervals.

    Args:
        indices: :meth:`ecosim.analysis.SweepResults.sobol`.
        output: One of the sweep's outputs.
    """
    data = indices[indices["output"] == output]
    with figure_style():
        fig, axes = _figure(
            1, len(STATS), width=max(3.8, 0.9 * data["parameter"].nunique() + 1.5), sharey=True
        )
        for j, stat in enumerate(STATS):
            ax = axes[0][j]
            sub = data[data["stat"] == stat].reset_index(drop=True)
            xs = range(len(sub))
            for shift, column, label in (
                (-0.2, "S1", "first order (S1)"),
                (0.2, "ST", "total (ST)"),
            ):
                ax.bar(
                    [x + shift for x in xs],
                    sub[column],
                    width=0.4,
                    yerr=sub[f"{column}_conf"],
                    capsize=3,
                    label=label,
                )
            names = parameter_labels(sub["parameter"])
            ax.set_xticks(list(xs), [names[p] for p in sub["parameter"]], rotation=30, ha="right")
            ax.axhline(0, color="0.5", lw=0.8)
            ax.set_title(_STAT_WORDS[stat].capitalize())
            ax.set_ylabel("Sobol' index" if j == 0 else "")
        legend_outside(axes[0][-1])
        fig.suptitle(f"Sensitivity of {metric_label(output, unit=False)} to the parameters")
        _caption(fig, SOBOL_CAPTION)
    return fig


def _point_label(results: SweepResults, point: int) -> str:
    row = results.runs.loc[results.runs["point"] == point].iloc[0]
    names = _names(results)
    return ", ".join(f"{names[p]}={_fmt(row[p])}" for p in results.parameters)


def timeseries_caption(results: SweepResults) -> str:
    """What the lines and bands of ``timeseries.png`` are."""
    smoothing = f"{SMOOTHING_DAYS}-day rolling means"
    if results.replications == 1:
        return f"Lines: {smoothing}, one run per design point."
    return (
        f"Lines: mean over {results.replications} replications of {smoothing}; bands: the "
        "middle 90% of the replications (5th to 95th percentile)."
    )


def timeseries_figure(results: SweepResults) -> Figure | None:
    """Each output over time, one colour per design point (None: no done run).

    Args:
        results: A loaded sweep.
    """
    series = results.timeseries()
    if series.empty:
        return None
    series = series.sort_values(["run_id", "metric", "day"])
    series["value"] = series.groupby(["run_id", "metric"])["value"].transform(smooth)
    labels = {int(p): _point_label(results, int(p)) for p in series["point"].unique()}
    series = series.assign(point_label=series["point"].map(lambda p: labels[int(p)]))
    handles: list[Any] = []
    names: list[str] = []
    with figure_style():
        fig, axes = _figure(len(results.outputs), 1, width=9.5, height=2.4, sharex=True)
        for i, output in enumerate(results.outputs):
            ax = axes[i][0]
            sub = series[series["metric"] == output]
            if not _has_data(sub["value"]):
                _nothing_to_draw(ax, f"{metric_label(output)}: zero in every run")
                continue
            sns.lineplot(sub, x="day", y="value", hue="point_label", errorbar=_BAND, ax=ax)
            ax.set_ylabel(wrap_label(metric_label(output)))
            ax.set_xlabel("Day")
            if zero_based(output):
                start_at_zero(ax)
            if not handles:
                handles, names = ax.get_legend_handles_labels()
            legend = ax.get_legend()
            if legend is not None:
                legend.remove()
            ax.margins(x=0)
        fig.suptitle("Outputs over time per design point")
        if handles:  # one legend for every panel, right of them
            fig.legend(handles, names, title="Design point", loc="outside right upper")
        _caption(fig, timeseries_caption(results))
    return fig


# --------------------------------------------------------------------------- markdown
def _parameter_rows(manifest: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for spec in manifest["sweep"]["parameters"]:
        key = spec["key"]
        if "values" in spec:
            rows.append([f"`{key}`", ", ".join(_fmt(v) for v in spec["values"])])
        else:
            kind = "integer" if spec.get("integer") else "uniform"
            rows.append([f"`{key}`", f"{kind} in [{_fmt(spec['low'])}, {_fmt(spec['high'])}]"])
    return rows


def _outcome_section(results: SweepResults, summary: pd.DataFrame, output: str) -> list[str]:
    meaning = METRICS.get(output, ("", ""))[1]
    lines = [f"### {metric_label(output)}: `{output}`", ""]
    if meaning:
        lines += [meaning.capitalize() + ".", ""]
    sub = summary[summary["output"] == output]
    if results.design == "grid":
        # Indexed lookups, not a pivot: with one replication every sd is NaN, and a pivot
        # table drops all-NaN columns.
        stats = sub.set_index(["point", "stat"])
        points = sub.drop_duplicates("point").set_index("point")
        names = _names(results)
        header = [
            "point",
            *[names[p] for p in results.parameters],
            "n",
            "final: mean ± sd",
            "mean over run: mean ± sd",
        ]
        if results.replications == 1:
            header[-2:] = ["final", "mean over run"]
        rows = []
        for point in points.index[:_MAX_TABLE_ROWS]:
            cells = [point, *[points.loc[point, p] for p in results.parameters]]
            cells.append(int(stats.loc[(point, STATS[0]), "n"]))
            for stat in STATS:
                row = stats.loc[(point, stat)]
                cells.append(format_estimate(float(row["mean"]), float(row["sd"])))
            rows.append(cells)
        lines.append(_table(header, rows))
        if len(points) > _MAX_TABLE_ROWS:
            lines += ["", f"({len(points) - _MAX_TABLE_ROWS} more points in `runs.parquet`.)"]
    else:
        data = results.outcomes[results.outcomes["output"] == output]
        rows = []
        for stat in STATS:
            v = data.loc[data["stat"] == stat, "value"]
            rows.append(
                [stat, len(v), v.mean(), v.std(), v.quantile(0.05), v.median(), v.quantile(0.95)]
            )
        lines.append(_table(["statistic", "runs", "mean", "sd", "q05", "median", "q95"], rows))
    lines += [
        "",
        f"![{metric_label(output)} against the parameters](outcomes_{output}.png)",
        "",
        outcome_caption(results),
        "",
    ]
    return lines


def _failure_section(results: SweepResults) -> list[str]:
    failed = results.runs[results.runs["status"] == "failed"]
    if failed.empty:
        return []
    lines = ["## Failed runs", "", f"{len(failed)} runs raised an error:", ""]
    rows = []
    for error, group in failed.groupby("error", sort=True):
        first = str(error).splitlines()[0][:120]
        rows.append([first, len(group), ", ".join(group["run_id"].head(3))])
    lines += [_table(["error", "runs", "e.g."], rows), ""]
    return lines


def write_report(sweep_dir: str | Path, out_dir: str | Path | None = None) -> Path:
    """Write the standard figures and ``report.md`` for a sweep.

    Args:
        sweep_dir: the sweep's output folder.
        out_dir: where to write (default ``<sweep_dir>/report``).

    Returns:
        Path of the Markdown summary.

    Raises:
        ConfigError: ``sweep_dir`` is not a sweep output folder or is damaged (naming the
            file), or ``out_dir`` cannot be written; nothing is written then.
    """
    results = load_sweep(sweep_dir)
    out = Path(out_dir) if out_dir is not None else results.path / "report"
    problem = output_dir_problem(out)
    if problem:
        raise ConfigError(f"{out}: cannot write the report there: it {problem}")
    out.mkdir(parents=True, exist_ok=True)
    manifest = results.manifest
    counts = results.counts()
    sweep = manifest["sweep"]
    name = Path(manifest["sweep_file"]).stem

    lines = [f"# Sweep report: {name}", ""]
    if manifest.get("description"):
        lines += [manifest["description"].strip(), ""]
    versions = ", ".join(f"{k} {v}" for k, v in manifest["versions"].items() if v)
    git = manifest.get("git") or {}
    commit = (git.get("commit") or "unknown")[:12] + (
        " (uncommitted changes)" if git.get("dirty") else ""
    )
    lines += [
        _table(
            ["", ""],
            [
                ["sweep file", f"`{manifest['sweep_file']}`"],
                [
                    "scenario",
                    f"`{manifest.get('scenario_file') or 'built-in defaults'}` "
                    f"(config hash {manifest['config_hash']})",
                ],
                [
                    "design",
                    f"{sweep['design']}: {results.n_points} points x "
                    f"{results.replications} replications = {counts['runs']} runs",
                ],
                [
                    "runs",
                    f"{counts['done']} done, {counts['failed']} failed, "
                    f"{counts['missing']} missing",
                ],
                ["steps", f"{sweep['steps']} days"],
                ["root seed", sweep["seed"]],
                ["git commit", commit],
                ["versions", versions],
            ],
        ),
        "",
        "## Parameters",
        "",
        _table(["parameter", "values"], _parameter_rows(manifest)),
        "",
        "## Outcomes",
        "",
        "Per run, each output is summarised by its value on the last day (`final`) and its "
        "mean over all days (`mean`); tables and figures summarise these over replications.",
        "",
    ]

    if counts["done"]:
        summary = results.point_summary()
        for output in results.outputs:
            _save(outcome_figure(results, output), out / f"outcomes_{output}.png")
            lines += _outcome_section(results, summary, output)
    else:
        lines += ["No run is done yet.", ""]

    if results.design == "sobol" and counts["done"]:
        indices = results.sobol()
        lines += [
            "## Sobol' indices",
            "",
            "First-order (S1) and total (ST) indices of each output's per-point mean over "
            "replications, ± the half-width of the 95% bootstrap interval (SALib).",
            "",
        ]
        rows = [
            [
                f"`{r.output}`",
                r.stat,
                f"`{r.parameter}`",
                format_estimate(float(r.S1), float(r.S1_conf)),  # type: ignore[arg-type]
                format_estimate(float(r.ST), float(r.ST_conf)),  # type: ignore[arg-type]
            ]
            for r in indices.itertuples(index=False)
        ]
        lines += [_table(["output", "statistic", "parameter", "S1", "ST"], rows), ""]
        for output in results.outputs:
            _save(sobol_figure(indices, output), out / f"sobol_{output}.png")
            lines += [f"![Sobol' indices of {output}](sobol_{output}.png)", "", SOBOL_CAPTION, ""]

    if results.design == "grid" and counts["done"] and results.n_points <= _MAX_TIMESERIES_POINTS:
        figure = timeseries_figure(results)
        if figure is not None:
            _save(figure, out / "timeseries.png")
            lines += [
                "## Over time",
                "",
                "![outputs over time per design point](timeseries.png)",
                "",
                timeseries_caption(results),
                "",
            ]

    lines += _failure_section(results)
    return write_text(out / "report.md", "\n".join(lines).rstrip() + "\n")
