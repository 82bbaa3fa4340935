"""Generated parts of ``docs/model.md``: the parameter and metric tables, and their check;
the calibration table, from a calibration's fit table (:func:`update_calibration_table`).

The tables are generated from the schema (rows from :mod:`ecosim.config.listing`) and from
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ecosim.config import EcosimConfig, default_categories, list_parameters
from ecosim.config.listing import SchemaRow, format_number, schema_keys, schema_rows
from ecosim.config.walk import INDEX
from ecosim.metrics import METRICS

__all__ = [
    "CALIBRATION_MARKERS",
    "METRICS_MARKERS",
    "PARAMS_MARKERS",
    "SchemaRow",
    "calibration_markdown",
    "check_docs",
    "generated_block",
    "metrics_markdown",
    "params_markdown",
    "schema_keys",
    "schema_rows",
    "update_calibration_table",
    "update_docs",
]

PARAMS_MARKERS = ("<!-- params:start -->", "<!-- params:end -->")
METRICS_MARKERS = ("<!-- metrics:start -->", "<!-- metrics:end -->")
CALIBRATION_MARKERS = ("<!-- calibration:start -->", "<!-- calibration:end -->")


# --------------------------------------------------------------------------- markdown
def _cell(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if x is None:
        return "-"
    if isinstance(x, float | int):
        return format_number(x)
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
    "contracts": "Wholesale contracts",
    "platforms": "Platforms",
    "logistics": "Logistics (couriers)",
    "services": "Service providers",
    "labour": "Labour market",
    "offline": "Offline retail",
    "budget": "Households' budgets",
    "calendar": "Calendar and festivals",
    "outputs": "Agent-level panels and event logs (docs/outputs.md)",
    "schedule": "Scheduled rule changes",
}


def _default_categories_table() -> str:
    cats = default_categories()
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
            note = " *Schedulable.*" if r.schedulable else ""
            cells += [_cell(r.unit), r.range, _cell(r.description) + note]
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
        new = re.sub(pattern, _literal(f"{start}\n{table}{end}"), new, flags=re.S)
    if new != text:
        path.write_text(new)
    return new != text


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement that inserts ``text`` as it is (backslashes included)."""
    return lambda _match: text


def _fit_number(x: Any) -> str:
    try:
        value = float(x)
    except (TypeError, ValueError):
        return "-"
    return "-" if value != value else f"{value:.3g}"  # NaN is not equal to itself


def calibration_markdown(fit_csv: str | Path) -> str:
    """The calibration table of ``docs/model.md`` from a calibration's ``fit.csv``.

    Args:
        fit_csv: the fit table written by ``ecosim calibrate`` (docs/calibration.md).

    Returns:
        A Markdown table: fact and source, target value, the baseline's mean ± sd over the
        calibration's seeds, within tolerance, in or out of sample, note.
    """
    import pandas as pd  # only this generator needs pandas; the schema tables do not

    table = pd.read_csv(fit_csv, keep_default_na=False, na_values=[""])
    lines = [
        "| fact (source) | target | baseline (mean ± sd over seeds) | within tolerance | sample "
        "| note |",
        "|---|---|---|---|---|---|",
    ]
    for row in table.to_dict("records"):
        tolerance = (
            f" ± {_fit_number(row['tolerance'])}" if _fit_number(row["tolerance"]) != "-" else ""
        )
        verdict = {True: "yes", False: "no", "True": "yes", "False": "no"}.get(
            row["within_tolerance"], "-"
        )
        lines.append(
            f"| {row['target']}: {row['source']} | {_fit_number(row['value'])}{tolerance} "
            f"| `{row['metric']}`, {row['statistic']}: {_fit_number(row['achieved_mean'])} ± "
            f"{_fit_number(row['achieved_sd'])} | {verdict} | {row['sample']} "
            f"| {row['note'] if isinstance(row['note'], str) else ''} |"
        )
    return "\n".join(lines) + "\n"


def update_calibration_table(fit_csv: str | Path, path: str | Path = "docs/model.md") -> bool:
    """Replace the block between :data:`CALIBRATION_MARKERS` of ``path`` with the fit table.

    Example (from the project root, after ``ecosim calibrate configs/calibration/seeds.yaml``):
        ``python -c "from ecosim.docs import update_calibration_table as u;
        u('results/calibration/seeds/fit.csv')"``

    Returns:
        True if the file changed.

    Raises:
        ValueError: ``path`` has no calibration markers.
    """
    path = Path(path)
    text = path.read_text()
    start, end = CALIBRATION_MARKERS
    if generated_block(text, CALIBRATION_MARKERS) is None:
        raise ValueError(f"{path}: markers {start} ... {end} not found")
    pattern = re.escape(start) + r".*?" + re.escape(end)
    table = calibration_markdown(fit_csv)
    new = re.sub(pattern, _literal(f"{start}\n{table}{end}"), text, flags=re.S)
    if new != text:
        path.write_text(new)
    return new != text
