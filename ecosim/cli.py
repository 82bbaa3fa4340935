"""The ``ecosim`` command line: ``ecosim run|params|sweep|calibrate|validate|report|...``.

Each subcommand lives in ``ecosim/commands/<name>.py`` and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` to a function ``(args) -> int`` (the exit status,
an :class:`ecosim.commands.ExitCode`). Bad input (:class:`ecosim.config.ConfigError`) ends
with a one-line message on stderr and exit status 2, never a traceback; Ctrl-C with 130.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ecosim.commands import EXIT_STATUS_HELP, ExitCode
from ecosim.config import ConfigError

__all__ = ["build_parser", "main"]

SUBCOMMANDS = ["run", "params", "sweep", "calibrate", "report", "bench", "serve", "validate"]


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="ecosim",
        description="Agent-based simulator of e-commerce ecosystems.",
        epilog=EXIT_STATUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        # Each subcommand imports its heavy dependencies itself, so `ecosim --help` and a
        # refused argument stay fast.
        importlib.import_module(f"ecosim.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ecosim`` script; returns the exit status (see ``ExitCode``)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse printed help (0) or why an argument is bad (2)
        return exc.code if isinstance(exc.code, int) else ExitCode.BAD_INPUT
    try:
        return int(args.func(args) or ExitCode.OK)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
