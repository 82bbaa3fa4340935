"""Benchmark of the sweep machinery (not a test): parallel speed-up and overhead.

Runs the same set of baseline runs (one design point, ``--runs`` replications) three ways,
``--repeat`` times each, and prints medians:

* ``direct``: a plain loop calling ``run_simulation`` in this process (modules imported
  beforehand) -- the time of the runs themselves;
* ``sweep 1``: ``run_sweep`` with one local worker process;
* ``sweep 2``: ``run_sweep`` with two local worker processes.

Targets (docs/sweeps.md): ``sweep 1 / sweep 2 >= 1.8`` on a 2-core machine, and
``sweep 1 / direct - 1 < 5%`` (what the sweep adds: worker start-up and imports, task
transfer, writing every result atomically). The machine should be otherwise idle: on a
shared machine both figures mostly measure the other load. "Runs in parallel" (summed run
time / wall time with two workers) does not depend on that load: it shows how busy the
sweep kept its workers (2.0 at best).

Usage:
    .venv/bin/python benchmarks/bench_sweep.py [--runs 16] [--steps 365] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ecosim.config import load_config  # noqa: E402
from ecosim.simulate import run_simulation  # noqa: E402
from ecosim.sweep import build_design, load_sweep_file, plan_runs, run_sweep  # noqa: E402

__all__ = ["main"]


def _sweep_file(folder: Path, runs: int, steps: int, scenario: Path) -> Path:
    path = folder / "bench.yaml"
    path.write_text(
        f"scenario: {scenario}\n"
        f"steps: {steps}\n"
        f"replications: {runs}\n"
        "seed: 20261121\n"
        "parameters:\n"
        "  platforms.0.escrow: [true]\n"
        "outputs: [gmv, hhi, employment_total, supplier_bargaining_power]\n"
    )
    return path


def _direct(sweep_path: Path, scenario: Path) -> float:
    """Wall seconds of the same runs (same seeds) in a plain in-process loop."""
    sweep = load_sweep_file(sweep_path)
    runs = plan_runs(build_design(sweep), sweep.spec.replications, sweep.spec.seed)
    config = load_config(scenario)
    start = time.perf_counter()
    for run in runs:
        run_simulation(config, steps=sweep.steps, seed=run.seed)
    return time.perf_counter() - start


def _swept(sweep_path: Path, folder: Path, workers: int) -> tuple[float, float]:
    """Wall seconds of a fresh sweep, and the summed run seconds it reports."""
    out = folder / f"out-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    summary = run_sweep(sweep_path, out, workers=workers, progress=False)
    wall = time.perf_counter() - start
    assert summary.failed == 0 and summary.missing == 0, summary
    return wall, summary.run_s


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=16, help="runs per measurement")
    parser.add_argument("--steps", type=int, default=365, help="days per run")
    parser.add_argument("--repeat", type=int, default=3, help="measurements of each kind")
    parser.add_argument("--scenario", type=Path, default=REPO / "configs" / "baseline.yaml")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        folder = Path(tmp)
        sweep_path = _sweep_file(folder, args.runs, args.steps, args.scenario.resolve())
        direct, one, two, run_one, run_two = [], [], [], [], []
        for i in range(args.repeat):
            # Interleaved, so slow drift in the machine's load hits every kind alike.
            direct.append(_direct(sweep_path, args.scenario))
            wall, runs = _swept(sweep_path, folder, 1)
            one.append(wall)
            run_one.append(runs)
            wall, runs = _swept(sweep_path, folder, 2)
            two.append(wall)
            run_two.append(runs)
            print(
                f"repeat {i + 1}: direct {direct[-1]:.1f} s, sweep 1 worker {one[-1]:.1f} s, "
                f"sweep 2 workers {two[-1]:.1f} s",
                flush=True,
            )

    med = statistics.median
    cpus = len(os.sched_getaffinity(0))
    print()
    print(f"{args.runs} baseline runs x {args.steps} days, median of {args.repeat}, {cpus} CPUs")
    print(f"  direct loop (runs only)   {med(direct):8.2f} s")
    print(f"  sweep, 1 worker           {med(one):8.2f} s   (runs inside: {med(run_one):.2f} s)")
    print(f"  sweep, 2 workers          {med(two):8.2f} s   (runs inside: {med(run_two):.2f} s)")
    print(f"  speed-up 1 -> 2 workers   {med(one) / med(two):8.2f} x   (target >= 1.8)")
    print(f"  overhead vs direct loop   {100 * (med(one) / med(direct) - 1):8.2f} %   (target < 5)")
    print(f"  overhead vs runs inside   {100 * (med(one) / med(run_one) - 1):8.2f} %")
    # Independent of other load on the machine: how busy the sweep kept its two workers.
    print(
        f"  runs in parallel, 2 wkrs  {med(r / w for r, w in zip(run_two, two, strict=True)):8.2f}"
    )
    print(f"  load average              {os.getloadavg()[0]:8.2f}   (others' work skews both)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
