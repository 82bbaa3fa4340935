"""Listing parameters: ``ecosim params`` and the parameter tables of ``docs/model.md``.

Both are views of :func:`ecosim.config.walk.walk_schema`: :func:`list_parameters` gives the
leaves of one config (lists expanded per entry), :func:`schema_rows` the documentation rows
(default, unit, admissible range, description; generic ``<i>`` list positions without a config).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic.fields import FieldInfo

from ecosim.config.schema import EcosimConfig
from ecosim.config.walk import field_bounds, field_extra, walk_schema

__all__ = [
    "ParamInfo",
    "SchemaRow",
    "format_number",
    "format_range",
    "list_parameters",
    "schema_keys",
    "schema_rows",
]


@dataclass(frozen=True)
class ParamInfo:
    """One documented parameter: dotted key, value, type, unit and description."""

    key: str
    value: Any
    type: str
    unit: str
    description: str


def list_parameters(config: EcosimConfig) -> list[ParamInfo]:
    """Every leaf parameter of a config with its documentation, in schema order."""
    out: list[ParamInfo] = []
    for leaf in walk_schema(EcosimConfig, config):
        ann = leaf.field.annotation
        type_name = getattr(ann, "__name__", None) or str(ann)
        out.append(
            ParamInfo(
                leaf.key, leaf.value, type_name.replace("typing.", ""), leaf.unit, leaf.description
            )
        )
    return out


@dataclass(frozen=True)
class SchemaRow:
    """One leaf parameter of the schema, for documentation.

    Attributes:
        section: top-level section (``consumers``, ...; ``(top level)`` for root fields).
        key: dotted key; list positions are ``<i>`` unless a config expanded them.
        default: the schema default (for list items: of an item written without the key).
        unit, range, description: from the field's documentation and bounds.
        value: the value in a given config (``None`` when no config was given).
        schedulable: whether a ``schedule:`` entry may change it mid-run.
    """

    section: str
    key: str
    default: Any
    unit: str
    range: str
    description: str
    value: Any = None
    schedulable: bool = False


def format_number(x: Any) -> str:
    """A number as short as it can be written exactly enough (6 significant digits)."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)
    if isinstance(x, int):
        digits = len(str(abs(x))) - 1
        if abs(x) >= 1_000_000 and x % 10**digits == 0:
            return f"1e{digits}" if abs(x) == 10**digits else str(x)
        return str(x)
    return f"{x:.6g}"


def format_range(field: FieldInfo) -> str:
    """Admissible values of a field: an interval from its bounds, or its choices."""
    ann = field.annotation
    if typing.get_origin(ann) is Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(ann))
    if ann is bool:
        return "true \\| false"
    if ann is str:
        return "text"
    if ann is Any or ann is None:
        return "any (checked against the target key)"
    lo, lo_open, hi, hi_open = field_bounds(field)
    if lo is None and hi is None:
        return "any" if ann is not int else "any integer"
    left = "(-inf" if lo is None else ("(" if lo_open else "[") + format_number(lo)
    right = "inf)" if hi is None else format_number(hi) + (")" if hi_open else "]")
    return f"{left}, {right}"


def schema_rows(config: EcosimConfig | None = None) -> list[SchemaRow]:
    """Every leaf parameter of the schema, in schema order.

    Without a config, list sections (categories, platforms, schedule) give one generic row
    per field (``platforms.<i>.escrow``); with one, a row per entry of its lists, and each row
    carries the config's value.
    """
    return [
        SchemaRow(
            section=leaf.section or "(top level)",
            key=leaf.key,
            default=leaf.default,
            unit=leaf.unit,
            range=format_range(leaf.field),
            description=leaf.description,
            value=leaf.value,
            schedulable=bool(field_extra(leaf.field).get("schedulable")),
        )
        for leaf in walk_schema(EcosimConfig, config, empty_lists=False)
    ]


def schema_keys() -> list[str]:
    """Every generic dotted key of the schema (list positions written ``<i>``)."""
    return [r.key for r in schema_rows()]
