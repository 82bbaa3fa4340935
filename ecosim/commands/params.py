"""``ecosim params [CONFIG] [--json | --markdown]``: every parameter with its value, unit,
bounds and meaning, in a table that fits the terminal. ``--markdown`` prints one Markdown table
per config section (key, default, unit, range, description; plus the config's values when a
config is given), as in docs/model.md."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from pydantic.fields import FieldInfo

from ecosim.commands import add_set_option
from ecosim.config import EcosimConfig, list_parameters, load_config, walk_schema
from ecosim.config.listing import format_range
from ecosim.labels import format_value

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["parameter_table", "register", "run"]

#: Narrowest description column (characters); narrower terminals show descriptions under keys.
_DESCRIPTION = 40


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
    config = load_config(args.config, args.set)
    if args.json:
        params = list_parameters(config)
        print(json.dumps([asdict(p) for p in params], indent=1, default=str))
        return 0
    from rich.console import Console  # rich only when a table is printed (start-up time)

    console = Console()
    console.print(parameter_table(config, console.width))
    return 0


def _show(value: Any) -> str:
    """A value as it would be written in a YAML config, numbers rounded for reading."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return format_value(value)


def _plain_range(field: FieldInfo) -> str:
    """The admissible values as ``format_range`` writes them, without Markdown escapes."""
    return format_range(field).replace("`", "").replace("\\|", "|")


def parameter_table(config: EcosimConfig, width: int) -> Table:
    """The parameters of ``config`` as a table that fits ``width`` terminal columns.

    Wide terminals get a description column; narrower ones show each description under
    its key. Nothing is cut: long cells wrap within their column.

    Args:
        config: The config whose values are listed.
        width: Terminal width (characters).
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    rows = [
        (leaf.key, _show(leaf.value), leaf.unit, _plain_range(leaf.field), leaf.description)
        for leaf in walk_schema(EcosimConfig, config)
    ]

    def fit(column: int, cap: int) -> int:
        return min(max(len(row[column]) for row in rows), cap)

    # Descriptions get a column of their own only where it can be _DESCRIPTION wide.
    fixed = fit(0, width // 3) + fit(1, 16) + fit(2, 16) + fit(3, 22) + 8
    wide = width - fixed >= _DESCRIPTION

    # Fixed widths for the short columns, the rest to the key and the description (rich
    # would otherwise crop cells rather than wrap them when the minimum widths add up).
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=True, width=width)
    if wide:
        table.add_column("key", overflow="fold", width=fit(0, width // 3))
    else:
        table.add_column("key / description", overflow="fold", ratio=1)
    roomy = wide or width >= 100
    table.add_column("value", overflow="fold", width=fit(1, 16 if roomy else 11))
    table.add_column("unit", overflow="fold", width=fit(2, 16 if roomy else 11))
    table.add_column("bounds", overflow="fold", width=fit(3, 22 if roomy else 13))
    if wide:
        table.add_column("description", overflow="fold", ratio=1)
    for key, value, unit, bounds, description in rows:
        if wide:
            table.add_row(key, value, unit, bounds, description)
        else:
            cell = Text(key)
            cell.append("\n" + description, style="dim")
            table.add_row(cell, value, unit, bounds)
    return table
