"""The ``ecosim`` command line: ``ecosim run|params|sweep|report|serve|bench ...``.

Each subcommand lives in ``ecosim/commands/<name>.py`` and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` to a function ``(args) -> int`` (the exit status).
Configuration problems (:class:`ecosim.config.ConfigError`) end with a one-line message on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ecosim.config import ConfigError

__all__ = ["main"]

SUBCOMMANDS = ["run", "params", "sweep", "report", "bench", "serve"]


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="ecosim", description="Agent-based simulator of e-commerce ecosystems."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"ecosim.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ecosim`` script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
