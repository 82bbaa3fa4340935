"""``ecosim calibrate FILE [--out DIR] [--trials N] [--workers N | --scheduler ADDRESS]``.

Fits a calibration file's free parameters to its target moments by the method of simulated
moments (an Optuna study; each trial averages the same seeds' replications), locally in a
process pool or on an existing Dask cluster, and writes best.json, calibrated.yaml, fit.csv,
fit.md, trials.parquet and two figures to DIR (docs/calibration.md). Running the same command
again continues the study: finished trials count towards --trials. Exit status: 0 when the
trials are finished with at least one complete, 1 when some could not be run (or the cluster
was lost), 2 for a bad calibration file (or one that differs from the one that made DIR), an
unusable DIR or an unreachable scheduler (nothing is written then), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ecosim.commands import ExitCode, int_option

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` subcommand."""
    parser = subparsers.add_parser(
        "calibrate",
        help="fit parameters to target moments (method of simulated moments, resumable)",
        description=__doc__.split("\n\n", 1)[1].replace("``", ""),
    )
    parser.add_argument(
        "file", type=Path, metavar="FILE", help="calibration file (YAML); see docs/calibration.md"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: results/calibration/<file name>)",
    )
    parser.add_argument(
        "--trials",
        type=int_option(1, 100_000),
        default=None,
        metavar="N",
        help="trials to finish in total, counting those already in DIR (default: the file's "
        "'trials')",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int_option(1),
        default=None,
        metavar="N",
        help="local worker processes (default: usable CPUs)",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 "
        "(needs ecosim[distributed])",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the calibration; returns the exit status (see the module docstring)."""
    # Imported here: Optuna, pandas and the model are slow to import, and other subcommands
    # and refused arguments should not pay for them.
    from ecosim.calibration.runner import CalibrationError, run_calibration

    try:
        summary = run_calibration(
            args.file,
            args.out,
            trials=args.trials,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=not args.no_progress,
        )
    except CalibrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        print(
            "interrupted: finished trials are kept; run the same command again to continue",
            file=sys.stderr,
        )
        return ExitCode.INTERRUPTED
    print(summary)
    complete = summary.finished - summary.failed
    return ExitCode.OK if summary.finished >= summary.trials and complete else ExitCode.FAILED
