"""Standard figures and a Markdown summary of a sweep (``ecosim report DIR``).

Figures (PNG, seaborn style) written next to ``report.md``:

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

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ecosim.analysis import STATS, SweepResults, load_sweep
from ecosim.config import ConfigError
from ecosim.io import atomic_write, write_text
from ecosim.labels import format_estimate, format_value, parameter_labels
from ecosim.metrics import METRICS
from ecosim.outdir import output_dir_problem

__all__ = ["write_report"]

#: Grid designs with at most this many points also get a time-series figure.
_MAX_TIMESERIES_POINTS = 12
#: Rows of per-point tables shown in the Markdown summary.
_MAX_TABLE_ROWS = 50
_BAND = ("pi", 90)  # 90% percentile interval over replications


def _unit(output: str) -> tuple[str, str]:
    return METRICS.get(output, ("", ""))


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
def _figure(nrows: int, ncols: int, width: float = 3.8, height: float = 3.0) -> tuple[Any, Any]:
    # A bare Figure (no pyplot): no GUI backend, no global state, safe in any process.
    fig = Figure(figsize=(max(ncols * width, 4.5), nrows * height), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _save(fig: Any, path: Path) -> Path:
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))


def _outcome_figure(results: SweepResults, output: str, path: Path) -> Path:
    params = results.parameters
    data = results.outcomes[results.outcomes["output"] == output]
    fig, axes = _figure(len(STATS), len(params))
    unit = _unit(output)[0]
    for i, stat in enumerate(STATS):
        sub = data[data["stat"] == stat]
        for j, param in enumerate(params):
            ax = axes[i][j]
            if sub.empty:
                ax.set_axis_off()
                continue
            if results.design == "grid":
                hue = None
                others = [p for p in params if p != param]
                if len(others) == 1 and sub[others[0]].nunique() <= 8:
                    hue = _names(results)[others[0]]
                    sub = sub.assign(**{hue: sub[others[0]].astype("str")})
                if _is_numeric(sub[param]):
                    sns.lineplot(
                        sub, x=param, y="value", hue=hue, errorbar=_BAND, marker="o", ax=ax
                    )
                else:
                    cat = sub.assign(_x=sub[param].astype("str"))
                    sns.pointplot(
                        cat,
                        x="_x",
                        y="value",
                        hue=hue,
                        errorbar=_BAND,
                        ax=ax,
                        dodge=0.2 if hue else False,
                    )
            else:
                per_point = sub.groupby("point").agg(
                    x=(param, "first"),
                    mean=("value", "mean"),
                    lo=("value", "min"),
                    hi=("value", "max"),
                )
                x = per_point["x"]
                if not _is_numeric(x):
                    labels = sorted(x.astype("str").unique())
                    x = x.astype("str").map({v: k for k, v in enumerate(labels)})
                    ax.set_xticks(range(len(labels)), labels)
                yerr = [per_point["mean"] - per_point["lo"], per_point["hi"] - per_point["mean"]]
                ax.errorbar(
                    x, per_point["mean"], yerr=yerr, fmt="o", ms=3, alpha=0.6, elinewidth=0.7
                )
            ax.set_xlabel(_names(results)[param])
            ax.set_ylabel(f"{output} {stat}" + (f" ({unit})" if unit else ""))
            if ax.get_legend() is not None:
                ax.legend(
                    fontsize="small",
                    title_fontsize="small",
                    title=ax.get_legend().get_title().get_text(),
                )
    fig.suptitle(f"{output}: final value and mean over the run, per parameter")
    return _save(fig, path)


def _sobol_figure(indices: pd.DataFrame, output: str, path: Path) -> Path:
    data = indices[indices["output"] == output]
    fig, axes = _figure(1, len(STATS), width=max(3.8, 0.9 * data["parameter"].nunique() + 1.5))
    for j, stat in enumerate(STATS):
        ax = axes[0][j]
        sub = data[data["stat"] == stat].reset_index(drop=True)
        xs = range(len(sub))
        ax.bar(
            [x - 0.2 for x in xs],
            sub["S1"],
            width=0.4,
            yerr=sub["S1_conf"],
            capsize=3,
            label="first order (S1)",
        )
        ax.bar(
            [x + 0.2 for x in xs],
            sub["ST"],
            width=0.4,
            yerr=sub["ST_conf"],
            capsize=3,
            label="total (ST)",
        )
        names = parameter_labels(sub["parameter"])
        ax.set_xticks(list(xs), [names[p] for p in sub["parameter"]], rotation=30, ha="right")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_title(f"{output} ({stat})")
        ax.set_ylabel("Sobol' index")
        ax.legend(fontsize="small")
    return _save(fig, path)


def _point_label(results: SweepResults, point: int) -> str:
    row = results.runs.loc[results.runs["point"] == point].iloc[0]
    names = _names(results)
    return ", ".join(f"{names[p]}={_fmt(row[p])}" for p in results.parameters)


def _timeseries_figure(results: SweepResults, path: Path) -> Path | None:
    series = results.timeseries()
    if series.empty:
        return None
    series = series.assign(point_label=series["point"].map(lambda p: _point_label(results, int(p))))
    fig, axes = _figure(len(results.outputs), 1, width=8.0, height=2.8)
    for i, output in enumerate(results.outputs):
        ax = axes[i][0]
        sub = series[series["metric"] == output]
        sns.lineplot(
            sub, x="day", y="value", hue="point_label", errorbar=_BAND, ax=ax, legend=i == 0
        )
        unit = _unit(output)[0]
        ax.set_ylabel(output + (f" ({unit})" if unit else ""))
        if i == 0 and ax.get_legend() is not None:
            ax.legend(fontsize="x-small", title="design point", title_fontsize="x-small")
    return _save(fig, path)


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
    unit, meaning = _unit(output)
    lines = [f"### `{output}`" + (f" ({unit})" if unit else ""), ""]
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
    lines += ["", f"![{output} against the parameters](outcomes_{output}.png)", ""]
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
            _outcome_figure(results, output, out / f"outcomes_{output}.png")
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
            _sobol_figure(indices, output, out / f"sobol_{output}.png")
            lines += [f"![Sobol' indices of {output}](sobol_{output}.png)", ""]

    if (
        results.design == "grid"
        and counts["done"]
        and results.n_points <= _MAX_TIMESERIES_POINTS
        and _timeseries_figure(results, out / "timeseries.png") is not None
    ):
        lines += ["## Over time", "", "![outputs over time per design point](timeseries.png)", ""]

    lines += _failure_section(results)
    return write_text(out / "report.md", "\n".join(lines).rstrip() + "\n")
