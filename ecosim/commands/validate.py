"""``ecosim validate [--quick] [--case KEY ...] [--out DIR]``: the model's validation suite.

Runs each textbook or empirical result the model must reproduce (docs/validation.md) in its
degenerate configuration (configs/validation/) over several seeds, and prints a table: the
result, the configuration, the expected figure with its source, the measured figure and
pass or fail. Exits 0 only when every case passes (1 otherwise). --quick runs the seeds the
test suite uses; --out DIR also writes validation.csv and validation.md there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import subprocess
import sys
from pathlib import Path

from ecosim.commands import ExitCode, check_out_dir

__all__ = ["register", "run"]

# The case keys, listed here so that `ecosim validate --help` and a refused --case need not
# import the model (tests/test_validation.py checks they match the suite's).
CASE_KEYS = (
    "bertrand_nash",
    "nash_bargaining",
    "bullwhip",
    "lemons",
    "free_platform",
    "first_negative_rating",
    "fee_pass_through",
    "conservation",
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand."""
    p = sub.add_parser(
        "validate",
        help="run the validation suite (textbook and empirical results) and print the table",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="the test suite's seeds only (fewer runs; a few minutes)",
    )
    p.add_argument(
        "--case",
        action="append",
        choices=CASE_KEYS,
        metavar="KEY",
        help=f"run only this case (repeatable): {', '.join(CASE_KEYS)}",
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="also write validation.csv and validation.md to DIR",
    )
    p.set_defaults(func=run)


def _commit() -> str:
    """The repository's commit (with ``+changes`` when the tree differs), or ``unknown``."""
    root = Path(__file__).resolve().parent.parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def run(args: argparse.Namespace) -> int:
    """Run the cases, print the table, write the files; returns the exit status."""
    if args.out is not None:
        check_out_dir(args.out)  # before any run
    # Imported here: the model and rich are slow to import (start-up of other commands).
    from rich.console import Console
    from rich.table import Table

    from ecosim.validation import run_suite, write_results

    keys = list(dict.fromkeys(args.case or CASE_KEYS))
    err = Console(stderr=True)

    def progress(result) -> None:
        verdict = "[green]pass[/]" if result.passed else "[red]FAIL[/]"
        err.print(f"validate: {result.key}: {verdict} ({result.seconds:.0f} s)")

    started = dt.datetime.now(dt.UTC)
    commit = _commit()  # the code the cases run, before anything can change the tree
    results = run_suite(quick=args.quick, keys=keys, progress=progress)
    table = Table(title="ecosim validation" + (" (quick)" if args.quick else ""))
    for column in ("case", "result", "configuration", "expected", "source", "measured"):
        table.add_column(column, overflow="fold")
    table.add_column("seeds")
    table.add_column("pass")
    for r in results:
        table.add_row(
            r.key,
            r.result,
            r.configuration,
            r.expected,
            r.source,
            r.measured,
            " ".join(map(str, r.seeds)),
            "[green]pass[/]" if r.passed else "[red]FAIL[/]",
        )
    console = Console(width=max(Console().width, 160))
    console.print(table)
    failed = [r for r in results if not r.passed]
    for r in failed:
        console.print(f"[red]{r.key}[/] failed: " + "; ".join(r.failures))
    console.print(f"{len(results) - len(failed)} of {len(results)} cases pass")
    if args.out is not None:
        seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        command = "ecosim " + shlex.join(sys.argv[1:] if sys.argv[1:2] == ["validate"] else [])
        preamble = (
            f"Measured on {started:%Y-%m-%d %H:%M} UTC at commit {commit} "
            f"({'quick' if args.quick else 'full'} suite, {seconds:.0f} s)"
            + (f" with `{command}`" if command.strip() != "ecosim" else "")
            + f": {len(results) - len(failed)} of {len(results)} cases pass."
        )
        csv, md = write_results(results, args.out, preamble)
        print(f"{csv}\n{md}")
    return ExitCode.OK if not failed else ExitCode.FAILED
