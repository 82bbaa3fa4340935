"""Subcommands of the ``ecosim`` command line, one module each."""

from __future__ import annotations

import argparse

__all__ = ["add_set_option"]


def add_set_option(parser: argparse.ArgumentParser, example: str = "consumers.n=5000") -> None:
    """``--set KEY=VALUE`` (repeatable): override a config parameter by its dotted key."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override a parameter by dotted key (repeatable), e.g. {example}",
    )
