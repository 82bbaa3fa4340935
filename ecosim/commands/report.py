"""``ecosim report DIR [--out REPORT_DIR]``: standard figures and a Markdown summary of a sweep.

Writes, to ``DIR/report`` by default: ``report.md``; ``outcomes_<output>.png`` (each output
against each parameter, with bands over replications); ``sobol_<output>.png`` (first-order
and total Sobol' indices, sobol designs); ``timeseries.png`` (outputs over time, grid
designs of at most 12 points).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ecosim.commands import ExitCode, check_out_dir

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    parser = subparsers.add_parser(
        "report",
        help="figures and a Markdown summary of a sweep's results",
        description=__doc__.split("\n\n", 1)[1].replace("``", ""),
    )
    parser.add_argument(
        "dir", type=Path, metavar="DIR", help="a sweep's output folder (ecosim sweep --out)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="REPORT_DIR",
        help="where to write the report (default: DIR/report)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the report; returns the exit status."""
    if args.out is not None:
        check_out_dir(args.out)  # before the sweep is read and figures drawn
    # Imported here: matplotlib and seaborn are slow to import (start-up of other commands).
    from ecosim.report import write_report

    path = write_report(args.dir, args.out)
    print(path)
    return ExitCode.OK
