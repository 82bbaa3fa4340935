"""``ecosim params [CONFIG] [--json | --markdown]``: every parameter with its value, type, unit
and meaning. ``--markdown`` prints one Markdown table per config section (key, default, unit,
range, description; plus the config's values when a config is given), as in docs/model.md."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from ecosim.commands import add_set_option
from ecosim.config import list_parameters, load_config


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``params`` subcommand."""
    p = sub.add_parser("params", help="list every parameter of a config")
    p.add_argument("config", nargs="?", help="YAML config (built-in defaults when omitted)")
    add_set_option(p)
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON instead of a table")
    fmt.add_argument(
        "--markdown",
        action="store_true",
        help="print a Markdown table per section (schema defaults, ranges; values of CONFIG)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the parameters."""
    if getattr(args, "markdown", False):
        from ecosim.docs import params_markdown

        given = args.config is not None or bool(args.set)
        print(params_markdown(load_config(args.config, args.set) if given else None), end="")
        return 0
    params = list_parameters(load_config(args.config, args.set))
    if args.json:
        print(json.dumps([asdict(p) for p in params], indent=1, default=str))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("key", "value", "type", "unit", "description", show_lines=False)
    for p in params:
        table.add_row(p.key, str(p.value), p.type, p.unit, p.description)
    Console(width=200).print(table)
    return 0
