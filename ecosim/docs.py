"""Generated parts of ``docs/model.md``: the parameter and metric tables, and their check.

The tables are generated from the schema (:mod:`ecosim.config`) and from
:data:`ecosim.metrics.METRICS`, never written by hand; ``docs/model.md`` holds a copy of each
between markers, and :func:`check_docs` reports where the file has gone stale (a parameter
key or metric name missing, or a generated block that differs from what the generators print
now). ``ecosim params --markdown`` prints :func:`params_markdown`.

Example:
    >>> "| `gmv` | RMB/day |" in metrics_markdown()
    True
    >>> "`consumers.logit_scale`" in params_markdown()
    True
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from ecosim.config import EcosimConfig, list_parameters
from ecosim.metrics import METRICS

__all__ = [
    "METRICS_MARKERS",
    "PARAMS_MARKERS",
    "SchemaRow",
    "check_docs",
    "generated_block",
    "metrics_markdown",
    "params_markdown",
    "schema_keys",
    "schema_rows",
    "update_docs",
]

PARAMS_MARKERS = ("<!-- params:start -->", "<!-- params:end -->")
METRICS_MARKERS = ("<!-- metrics:start -->", "<!-- metrics:end -->")
INDEX = "<i>"  # stands for a list position in generic keys: ``platforms.<i>.escrow``


@dataclass(frozen=True)
class SchemaRow:
    """One leaf parameter of the schema, for documentation.

    Attributes:
        section: top-level section (``consumers``, ...; ``(top level)`` for root fields).
        key: dotted key; list positions are ``<i>`` unless a config expanded them.
        default: the schema default (for list items: of an item written without the key).
        unit, range, description: from the field's documentation and bounds.
        value: the value in a given config (``None`` when no config was given).
    """

    section: str
    key: str
    default: Any
    unit: str
    range: str
    description: str
    value: Any = None


# --------------------------------------------------------------------------- schema walk
def _model_class(annotation: Any) -> type[BaseModel] | None:
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _list_item_class(annotation: Any) -> type[BaseModel] | None:
    if typing.get_origin(annotation) is list:
        (arg,) = typing.get_args(annotation) or (None,)
        return _model_class(arg)
    return None


def _range(field: Any) -> str:
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
    lo, lo_open, hi, hi_open = None, False, None, False
    for m in field.metadata:
        if getattr(m, "ge", None) is not None:
            lo, lo_open = m.ge, False
        if getattr(m, "gt", None) is not None:
            lo, lo_open = m.gt, True
        if getattr(m, "le", None) is not None:
            hi, hi_open = m.le, False
        if getattr(m, "lt", None) is not None:
            hi, hi_open = m.lt, True
    if lo is None and hi is None:
        return "any" if ann is not int else "any integer"
    left = "(-inf" if lo is None else ("(" if lo_open else "[") + _num(lo)
    right = "inf)" if hi is None else _num(hi) + (")" if hi_open else "]")
    return f"{left}, {right}"


def _num(x: Any) -> str:
    """A number as short as it can be written exactly enough (6 significant digits)."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)
    if isinstance(x, int):
        if abs(x) >= 1_000_000 and x % 10 ** (len(str(abs(x))) - 1) == 0:
            return f"1e{len(str(abs(x))) - 1}" if abs(x) == 10 ** (len(str(abs(x))) - 1) else str(x)
        return str(x)
    return f"{x:.6g}"


def _walk(
    cls: type[BaseModel], default: BaseModel | None, prefix: str, section: str, obj: Any
) -> Iterator[SchemaRow]:
    """Rows of every leaf under ``cls``; ``default`` is the instance defaults come from,
    ``obj`` the config instance values come from (or None)."""
    for name, field in cls.model_fields.items():
        key = prefix + name
        sec = section or name
        sub = _model_class(field.annotation)
        item = _list_item_class(field.annotation)
        dflt = getattr(default, name) if default is not None else field.get_default()
        val = getattr(obj, name) if obj is not None else None
        if sub is not None:
            yield from _walk(sub, dflt, key + ".", sec, val)
        elif item is not None:
            if obj is None:
                yield from _walk(item, item(), f"{key}.{INDEX}.", sec, None)
            else:
                for i, entry in enumerate(val):
                    yield from _walk(item, item(), f"{key}.{i}.", sec, entry)
        else:
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            yield SchemaRow(
                section=section or "(top level)",
                key=key,
                default=dflt,
                unit=str(extra.get("unit", "-")),
                range=_range(field),
                description=field.description or "",
                value=val,
            )


def schema_rows(config: EcosimConfig | None = None) -> list[SchemaRow]:
    """Every leaf parameter of the schema, in schema order.

    Without a config, list sections (categories, platforms, schedule) give one generic row
    per field (``platforms.<i>.escrow``); with one, a row per entry of its lists, and each row
    carries the config's value.
    """
    return list(_walk(EcosimConfig, EcosimConfig(), "", "", config))


def schema_keys() -> list[str]:
    """Every generic dotted key of the schema (list positions written ``<i>``)."""
    return [r.key for r in schema_rows()]


# --------------------------------------------------------------------------- markdown
def _cell(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if x is None:
        return "-"
    if isinstance(x, float | int):
        return _num(x)
    if isinstance(x, list):
        return "[" + ", ".join(_cell(v) for v in x) + "]"
    return str(x).replace("|", "\\|")


_SECTION_TITLES = {
    "(top level)": "Run",
    "regions": "Regions",
    "categories": "Product categories",
    "consumers": "Consumers (households)",
    "merchants": "Merchants (stores)",
    "manufacturers": "Manufacturers",
    "platforms": "Platforms",
    "logistics": "Logistics (couriers)",
    "services": "Service providers",
    "labour": "Labour market",
    "offline": "Offline retail",
    "schedule": "Scheduled rule changes",
}


def _default_categories_table() -> str:
    cats = EcosimConfig().categories
    fields = list(type(cats[0]).model_fields)
    lines = [
        "Built-in categories (used when a config has no `categories` list):",
        "",
        "| " + " | ".join(fields) + " |",
        "|" + "---|" * len(fields),
    ]
    for c in cats:
        lines.append("| " + " | ".join(_cell(getattr(c, f)) for f in fields) + " |")
    return "\n".join(lines)


def params_markdown(config: EcosimConfig | None = None) -> str:
    """Markdown: one table per config section (key, default, unit, range, description).

    Args:
        config: when given, a ``value`` column with its values is added and list sections
            are expanded per entry.

    Returns:
        The tables, each under a ``####`` heading, separated by blank lines.
    """
    rows = schema_rows(config)
    sections: dict[str, list[SchemaRow]] = {}
    for r in rows:
        sections.setdefault(r.section, []).append(r)
    head = ["key", "default", *(["value"] if config is not None else []), "unit", "range"]
    head.append("description")
    out: list[str] = []
    for section, items in sections.items():
        title = _SECTION_TITLES.get(section, section)
        label = "top-level keys" if section == "(top level)" else f"`{section}`"
        out.append(f"#### {title}: {label}")
        out.append("")
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for r in items:
            cells = [f"`{r.key}`", _cell(r.default)]
            if config is not None:
                cells.append(_cell(r.value))
            cells += [_cell(r.unit), r.range, _cell(r.description)]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
        if section == "categories" and config is None:
            out.append(_default_categories_table())
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def metrics_markdown() -> str:
    """Markdown table of every metric of :data:`ecosim.metrics.METRICS`: name, unit, formula."""
    lines = ["| metric | unit | formula |", "|---|---|---|"]
    for name, (unit, formula) in METRICS.items():
        lines.append(f"| `{name}` | {_cell(unit)} | {_cell(formula)} |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- check
def generated_block(text: str, markers: tuple[str, str]) -> str | None:
    """The text between a pair of markers (stripped of surrounding blank lines), or None."""
    start, end = markers
    match = re.search(re.escape(start) + r"\n?(.*?)\n?" + re.escape(end), text, re.S)
    return None if match is None else match.group(1).strip("\n") + "\n"


def _generic(key: str) -> str:
    return re.sub(r"\.\d+(?=\.)", "." + INDEX, key)


def check_docs(path: str | Path = "docs/model.md") -> list[str]:
    """Problems that make ``path`` stale; an empty list when it is up to date.

    Checks that every parameter key of the schema (generic form, ``platforms.<i>.escrow``)
    and every metric name occurs in backticks, and that the text between the params and
    metrics markers equals what :func:`params_markdown` and :func:`metrics_markdown` print.
    """
    path = Path(path)
    if not path.is_file():
        return [f"{path}: file not found"]
    text = path.read_text()
    problems: list[str] = []
    keys = set(schema_keys())
    # every key of the defaults too (lists expanded), folded to the generic form
    keys |= {_generic(p.key) for p in list_parameters(EcosimConfig())}
    for key in sorted(keys):
        if f"`{key}`" not in text:
            problems.append(f"{path}: parameter `{key}` is not documented")
    for name in METRICS:
        if f"`{name}`" not in text:
            problems.append(f"{path}: metric `{name}` is not documented")
    for markers, generator in ((PARAMS_MARKERS, params_markdown), (METRICS_MARKERS, None)):
        block = generated_block(text, markers)
        expected = params_markdown() if generator is not None else metrics_markdown()
        if block is None:
            problems.append(f"{path}: markers {markers[0]} ... {markers[1]} not found")
        elif block != expected:
            problems.append(
                f"{path}: the table between {markers[0]} and {markers[1]} differs from the "
                "generator's output; regenerate it (ecosim params --markdown, "
                "ecosim.docs.metrics_markdown())"
            )
    return problems


def update_docs(path: str | Path = "docs/model.md") -> bool:
    """Rewrite the generated tables of ``path`` in place; True if anything changed.

    Example (from the project root, after changing the schema or ``METRICS``):
        ``python -c "from ecosim.docs import update_docs; update_docs()"``
    """
    path = Path(path)
    text = path.read_text()
    new = text
    for (start, end), table in (
        (PARAMS_MARKERS, params_markdown()),
        (METRICS_MARKERS, metrics_markdown()),
    ):
        pattern = re.escape(start) + r".*?" + re.escape(end)
        new = re.sub(pattern, lambda _m, s=start, e=end, t=table: f"{s}\n{t}{e}", new, flags=re.S)
    if new != text:
        path.write_text(new)
    return new != text
