"""``ecosim sweep FILE [--out DIR] [--workers N] [--scheduler ADDRESS]``: run a sweep.

Runs every design point x replication of a sweep file, locally in a process pool or on an
existing Dask cluster, and writes ``runs.parquet``, ``timeseries/`` and ``manifest.json`` to
DIR. Running the same command again runs only what is missing. Exit status: 0 when every run
is recorded as done, 1 when some failed or could not be run (or the cluster was lost), 2 for
a bad sweep file (or one that differs from the one that made DIR), an unusable or busy DIR
or an unreachable scheduler (nothing is written then), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ecosim.commands import ExitCode, int_option

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` subcommand."""
    parser = subparsers.add_parser(
        "sweep",
        help="run a parameter sweep from a sweep file (resumable)",
        description=__doc__.split("\n\n", 1)[1].replace("``", ""),
    )
    parser.add_argument(
        "file", type=Path, metavar="FILE", help="sweep file (YAML); see docs/sweeps.md"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: results/sweeps/<file name>)",
    )
    parser.add_argument(
        "--workers",
        type=int_option(1),
        default=None,
        metavar="N",
        help="local worker processes (default: usable CPUs); with --scheduler, a cap on runs "
        "in flight",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 "
        "(needs ecosim[distributed])",
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="run again the runs recorded as failed"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the sweep; returns the exit status (see the module docstring)."""
    # Imported here: the sweep machinery (pandas, numpy, SALib) is slow to import, and other
    # subcommands and refused arguments should not pay for it.
    from ecosim.sweep.runner import SweepError, run_sweep

    try:
        summary = run_sweep(
            args.file,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            retry_failed=args.retry_failed,
            progress=not args.no_progress,
        )
    except SweepError as exc:  # refusals before any work are ConfigErrors: exit status 2
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        print(
            "interrupted: finished runs are recorded; run the same command again to resume",
            file=sys.stderr,
        )
        return ExitCode.INTERRUPTED
    print(summary)
    return ExitCode.OK if summary.total_done == summary.total else ExitCode.FAILED
