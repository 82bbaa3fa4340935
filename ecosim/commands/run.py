"""``ecosim run CONFIG``: one simulation; summary table, Parquet time series, JSON, figures."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ecosim.commands import add_set_option
from ecosim.config import config_hash, load_config, validate_value


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand."""
    p = sub.add_parser("run", help="run one simulation and write its results")
    p.add_argument("config", help="YAML config file")
    p.add_argument("--steps", type=int, help="days to simulate (config 'steps' by default)")
    p.add_argument("--seed", type=int, help="seed (config 'seed' by default)")
    add_set_option(p)
    p.add_argument("--out", default="results/run", help="output folder (default results/run)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
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


def run(args: argparse.Namespace) -> int:
    """Validate everything first, simulate, then write the outputs (each file atomically)."""
    config = load_config(args.config, args.set)  # ConfigError -> exit 2, nothing written
    # Command-line values obey the schema's ranges, like the config's own.
    for option, key in (("--steps", "steps"), ("--seed", "seed")):
        if getattr(args, key) is not None:
            validate_value(config, key, getattr(args, key), option)
    from rich.console import Console
    from rich.table import Table

    from ecosim.io import write_json, write_parquet
    from ecosim.metrics import METRICS
    from ecosim.model import EcosystemModel

    steps = config.steps if args.steps is None else args.steps
    seed = config.seed if args.seed is None else args.seed
    console = Console(width=max(Console().width, 110))  # metric names uncut in pipes and CI
    started = time.perf_counter()
    model = EcosystemModel(config, rng=seed)
    with console.status(f"simulating {steps} days ..."):
        model.run(steps)
    elapsed = time.perf_counter() - started
    frame = model.timeseries()
    summary = summarize(frame)
    out = Path(args.out)
    write_parquet(out / "timeseries.parquet", frame)
    write_json(
        out / "summary.json",
        {
            "config": str(args.config),
            "config_hash": config_hash(config),
            "seed": seed,
            "steps": steps,
            "wall_seconds": elapsed,
            "metrics": summary,
            "ledger_residual": model.ledger.residual(),
        },
    )
    figures = [] if args.no_figures else __import__("ecosim.plots").plots.write_figures(frame, out)

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
        f"{out}/summary.json and {len(figures)} figures"
    )
    return 0
