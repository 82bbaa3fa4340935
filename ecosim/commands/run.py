"""``ecosim run CONFIG``: one simulation; summary table, Parquet time series, JSON, figures."""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

from ecosim.commands import MAX_STEPS, ExitCode, add_set_option, check_out_dir, int_option
from ecosim.config import EVENT_NAMES, PANEL_NAMES, config_hash, load_config, validate_value
from ecosim.io import write_parquet, write_text

__all__ = ["name_list", "register", "run", "strict_json", "summarize"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand."""
    p = sub.add_parser("run", help="run one simulation and write its results")
    p.add_argument("config", help="YAML config file")
    p.add_argument(
        "--steps",
        type=int_option(1, MAX_STEPS),
        help=f"days to simulate, 1 to {MAX_STEPS} (config 'steps' by default)",
    )
    p.add_argument("--seed", type=int_option(0), help="seed, >= 0 (config 'seed' by default)")
    add_set_option(p)
    p.add_argument("--out", default="results/run", help="output folder (default results/run)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument(
        "--panels",
        metavar="NAMES",
        help=f"panels to write, comma-separated, 'all' or 'none' ({', '.join(PANEL_NAMES)}; "
        "config outputs.panels by default: the weekly store panel)",
    )
    p.add_argument(
        "--events",
        metavar="NAMES",
        help=f"event logs to write, comma-separated, 'all' or 'none' ({', '.join(EVENT_NAMES)}; "
        "config outputs.events by default: none)",
    )
    p.set_defaults(func=run)


def summarize(frame, last: int = 30) -> dict[str, dict[str, float]]:
    """First-day, final and last-``last``-day mean value of every metric."""
    tail = frame.tail(last)
    return {
        col: {
            "first": float(frame[col].iloc[0]),
            "final": float(frame[col].iloc[-1]),
            f"mean_last_{last}d": float(tail[col].mean()),
        }
        for col in frame.columns
    }


def strict_json(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by ``None`` (JSON ``null``).

    Strict JSON has no NaN or Infinity; ``null`` in ``summary.json`` means the quantity is
    undefined for this run (e.g. a ratio with nothing to divide by).
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def name_list(text: str, names: tuple[str, ...]) -> list[str]:
    """``--panels``/``--events`` text as a list: comma-separated names, ``all`` or ``none``."""
    text = text.strip()
    if text == "all":
        return list(names)
    if text in ("none", ""):
        return []
    return [part.strip() for part in text.split(",") if part.strip()]


def run(args: argparse.Namespace) -> int:
    """Validate everything first, simulate, then write the outputs (each file atomically)."""
    config = load_config(args.config, args.set)  # ConfigError -> exit 2, nothing written
    # Command-line values obey the schema's ranges, like the config's own.
    for option, key in (("--steps", "steps"), ("--seed", "seed")):
        if getattr(args, key) is not None:
            validate_value(config, key, getattr(args, key), option)
    for option, key, text, names in (
        ("--panels", "panels", args.panels, PANEL_NAMES),
        ("--events", "events", args.events, EVENT_NAMES),
    ):
        if text is not None:
            chosen = validate_value(config, f"outputs.{key}", name_list(text, names), option)
            setattr(config.outputs, key, chosen)
    out = check_out_dir(args.out)  # a file in the way is refused now, not after simulating
    # The model, rich and numpy are imported only now: a refused command stays fast.
    from rich.console import Console
    from rich.table import Table

    from ecosim.metrics import METRICS
    from ecosim.model import EcosystemModel

    steps = config.steps if args.steps is None else args.steps
    seed = config.seed if args.seed is None else args.seed
    console = Console(width=max(Console().width, 110))  # metric names uncut in pipes and CI
    started = time.perf_counter()
    # Panels and logs are written to temporary files as the run goes, renamed at the end.
    model = EcosystemModel(config, rng=seed, output_dir=out)
    try:
        with console.status(f"simulating {steps} days ..."):
            model.run(steps)
        record_files = model.finish_outputs()
    except BaseException:
        model.state.record.abort()
        raise
    elapsed = time.perf_counter() - started
    frame = model.timeseries()
    summary = summarize(frame)
    # The date (ISO text) goes after the metrics: the index stays the day.
    write_parquet(out / "timeseries.parquet", frame.assign(date=model.dates(frame.index)))
    document = {
        "config": str(args.config),
        "config_hash": config_hash(config),
        "seed": seed,
        "steps": steps,
        "wall_seconds": elapsed,
        "metrics": summary,
        "ledger_residual": model.ledger.residual(),
    }
    text = json.dumps(strict_json(document), indent=2, sort_keys=True, allow_nan=False)
    write_text(out / "summary.json", text + "\n")
    figures = []
    if not args.no_figures:
        from ecosim.plots import write_figures  # matplotlib and seaborn: only to draw figures

        figures = write_figures(frame, out)

    table = Table(
        "metric",
        "unit",
        "day 1",
        "final day",
        "mean last 30 d",
        title=f"ecosim: {args.config}, {steps} days, seed {seed}",
    )
    for col, vals in summary.items():
        unit = METRICS.get(col, ("",))[0]
        table.add_row(
            col,
            unit,
            f"{vals['first']:.4g}",
            f"{vals['final']:.4g}",
            f"{vals['mean_last_30d']:.4g}",
        )
    console.print(table)
    console.print(
        f"simulated in {elapsed:.2f} s; wrote {out}/timeseries.parquet, "
        f"{out}/summary.json, {len(record_files)} panels and logs and {len(figures)} figures"
    )
    return ExitCode.OK
