"""Per-household outcomes at several population sizes (docs/model.md, section on scale).

Runs the baseline at each size and seed, prints a few days' trajectory and the mean over the
last ``--tail`` days of online share, GMV, jobs and stores per household, and the ratio of each
to the mean over sizes. Example:
    .venv/bin/python experiments/scale_check.py --sizes 3000 10000 30000 --seeds 1 2 --days 365
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ecosim import EcosystemModel, load_config

OUTCOMES = ("online_share", "gmv_per_hh", "jobs_per_hh", "stores_per_10k", "fraud_rate", "trust")


def per_household(frame, n: int):
    out = frame.copy()
    out["gmv_per_hh"] = frame["gmv"] / n
    out["jobs_per_hh"] = (frame["employment_total"] - frame["employment_offline_retail"]) / n
    out["stores_per_10k"] = frame["active_merchants"] / n * 1e4
    out["trust"] = frame["consumer_trust"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[3000, 10000, 30000])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--tail", type=int, default=90)
    ap.add_argument("--config", default="configs/baseline.yaml")
    ap.add_argument("--set", nargs="*", default=[])
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    show = [d for d in (1, 3, 10, 30, 60, 90, 120, 180, 270, 365) if d <= args.days]
    table = {}
    for n in args.sizes:
        rows = []
        for seed in args.seeds:
            cfg = load_config(args.config, [f"consumers.n={n}", f"seed={seed}", *args.set])
            t0 = time.perf_counter()
            model = EcosystemModel(cfg)
            start = model.merchants.active.sum()
            model.run(args.days)
            ts = per_household(model.timeseries(), n)
            took = time.perf_counter() - t0
            if not args.quiet:
                print(f"n={n} seed={seed} start stores={start} ({took:.1f} s)")
                print(ts.loc[show, list(OUTCOMES)].round(4).to_string())
            rows.append(ts.iloc[-args.tail :][list(OUTCOMES)].mean())
        table[n] = np.mean(rows, axis=0)
    mean = np.mean(list(table.values()), axis=0)
    print(f"\nmean of the last {args.tail} days, averaged over seeds {args.seeds}")
    print("size      " + " ".join(f"{o:>15}" for o in OUTCOMES))
    for n, v in table.items():
        cells = " ".join(f"{x:9.4g} ({x / m:4.2f})" for x, m in zip(v, mean, strict=True))
        print(f"{n:<9} {cells}")


if __name__ == "__main__":
    main()
