"""The scenario table of docs/model.md: mean of key metrics over the last days, per scenario.

Runs the baseline and every scenario in ``configs/scenarios/`` through
:func:`ecosim.simulate.run_simulation` for a few seeds (the config's own seed, then the next
ones), averages each metric over the last ``--last`` days of each run, and prints a Markdown
table: one row per metric, one column per scenario, ``mean ± sd`` across seeds (sd with
ddof = 1; a single seed prints the mean alone).

Usage:
    .venv/bin/python experiments/scenario_table.py                 # 3 seeds, 365 days
    .venv/bin/python experiments/scenario_table.py --seeds 1 --jobs 4
    .venv/bin/python experiments/scenario_table.py --csv /tmp/runs.csv   # also the raw means
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ecosim.config import load_config  # noqa: E402
from ecosim.metrics import METRICS  # noqa: E402
from ecosim.phases.labour import SECTORS  # noqa: E402
from ecosim.simulate import run_simulation  # noqa: E402

SCENARIOS = {
    "baseline": "configs/baseline.yaml",
    "fee_rise": "configs/scenarios/fee_rise.yaml",
    "no_trust_rules": "configs/scenarios/no_trust_rules.yaml",
    "two_platforms": "configs/scenarios/two_platforms.yaml",
    "high_iot": "configs/scenarios/high_iot.yaml",
    "direct_selling": "configs/scenarios/direct_selling.yaml",
}

KEY_METRICS = [
    "gmv",
    "online_share",
    "take_rate",
    "active_merchants",
    "hhi",
    "cr4",
    "price_index",
    "employment_total",
    *(f"employment_{sector}" for sector in SECTORS),
    "unemployment_rate",
    "supplier_bargaining_power",
    "manufacturer_profit_share",
    "merchant_profit_share",
    "platform_profit_share",
    "iot_order_share",
    "bullwhip_ratio",
    "consumer_trust",
    "fraud_rate",
]


def scenario_files() -> dict[str, str]:
    """The baseline plus every scenario file present (known ones first, in table order)."""
    found = {
        p.stem: str(p.relative_to(ROOT)) for p in sorted(ROOT.glob("configs/scenarios/*.yaml"))
    }
    out = {k: v for k, v in SCENARIOS.items() if k == "baseline" or k in found}
    out.update({k: v for k, v in found.items() if k not in out})
    return out


def one_run(name: str, path: str, seed: int, steps: int | None, last: int) -> dict[str, float]:
    """Mean of every metric over the last ``last`` days of one run."""
    config = load_config(ROOT / path)
    frame = run_simulation(config, steps=steps, seed=seed)
    tail = frame.tail(last).mean(numeric_only=True)
    return {"scenario": name, "seed": seed, **tail.to_dict()}


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "nan"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:#.3g}"


def _fmt_pair(mean: float, sd: float) -> str:
    """``mean ± sd`` with the sd given to the decimals of the mean."""
    m = _fmt(mean)
    if not np.isfinite(sd):
        return f"{m} ± nan"
    decimals = len(m.split(".")[1]) if "." in m else 0
    return f"{m} ± {sd:,.{decimals}f}"


def markdown_table(runs: pd.DataFrame, metrics: list[str], order: list[str]) -> str:
    """Rows: metrics (with unit); columns: scenarios; cells: mean ± sd across seeds."""
    head = "| metric | unit | " + " | ".join(order) + " |"
    lines = [head, "|---|---|" + "---:|" * len(order)]
    grouped = runs.groupby("scenario")
    for m in metrics:
        if m not in runs:
            continue
        cells = []
        for s in order:
            vals = grouped.get_group(s)[m].to_numpy(dtype=float)
            if vals.size > 1:
                cells.append(_fmt_pair(np.nanmean(vals), np.nanstd(vals, ddof=1)))
            else:
                cells.append(_fmt(float(vals[0])))
        unit = METRICS.get(m, ("",))[0]
        lines.append(f"| `{m}` | {unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per scenario (default 3)")
    parser.add_argument("--steps", type=int, default=None, help="days (config 'steps' if unset)")
    parser.add_argument("--last", type=int, default=30, help="days averaged at the end")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--scenarios", nargs="*", help="names to run (default: all)")
    parser.add_argument("--csv", help="also write the per-run means to this CSV file")
    args = parser.parse_args(argv)

    files = scenario_files()
    names = args.scenarios or list(files)
    tasks = []
    for name in names:
        base_seed = load_config(ROOT / files[name]).seed
        for i in range(args.seeds):
            tasks.append((name, files[name], base_seed + i, args.steps, args.last))
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(one_run, *zip(*tasks, strict=True)))
    else:
        rows = [one_run(*t) for t in tasks]
    runs = pd.DataFrame(rows)
    if args.csv:
        runs.to_csv(args.csv, index=False)
    seeds = sorted({int(s) for s in runs["seed"]})
    steps = args.steps or load_config(ROOT / files[names[0]]).steps
    print(
        f"Mean over the last {args.last} days of {steps}-day runs; "
        f"{args.seeds} seed(s) per scenario ({', '.join(map(str, seeds))}); "
        "cells are mean ± sd across seeds.\n"
    )
    print(markdown_table(runs, KEY_METRICS, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
