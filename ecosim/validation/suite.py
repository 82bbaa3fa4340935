"""Run the validation cases and write their table (``ecosim validate``, docs/validation.md)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from ecosim.io import atomic_write, write_text
from ecosim.validation.cases import CASES, CaseResult

__all__ = [
    "COLUMNS",
    "markdown_table",
    "results_frame",
    "run_case",
    "run_suite",
    "write_results",
]

#: Columns of the table, in order (``validation.csv`` and ``validation.md``).
COLUMNS = [
    "case",
    "result",
    "configuration",
    "expected",
    "source",
    "measured",
    "seeds",
    "passed",
    "seconds",
]


def run_case(key: str, quick: bool = False) -> CaseResult:
    """Run one case by key and time it.

    Raises:
        KeyError: no case has that key.
    """
    start = time.perf_counter()
    result = CASES[key](quick=quick)
    result.seconds = time.perf_counter() - start
    return result


def run_suite(
    quick: bool = False,
    keys: Iterable[str] | None = None,
    progress: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run the cases (all by default, in table order), calling ``progress`` after each."""
    results = []
    for key in keys or CASES:
        result = run_case(key, quick)
        if progress is not None:
            progress(result)
        results.append(result)
    return results


def results_frame(results: list[CaseResult]) -> pd.DataFrame:
    """One row per case with the columns of :data:`COLUMNS`."""
    rows = [
        {
            "case": r.key,
            "result": r.result,
            "configuration": r.configuration,
            "expected": r.expected,
            "source": r.source,
            "measured": r.measured,
            "seeds": " ".join(str(s) for s in r.seeds),
            "passed": r.passed,
            "seconds": round(r.seconds, 1),
        }
        for r in results
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def markdown_table(results: list[CaseResult]) -> str:
    """The table as Markdown, with the failed checks of each failing case listed below it."""
    frame = results_frame(results)
    header = "| " + " | ".join(COLUMNS) + " |"
    lines = [header, "|" + "---|" * len(COLUMNS)]
    for row in frame.itertuples(index=False):
        cells = [str(v).replace("|", "\\|") for v in row]  # a bar would end the cell
        cells[COLUMNS.index("passed")] = "pass" if row.passed else "**FAIL**"
        lines.append("| " + " | ".join(cells) + " |")
    for r in results:
        if r.failures:
            lines.append("")
            lines.append(f"`{r.key}` failed: " + "; ".join(r.failures))
    return "\n".join(lines) + "\n"


def write_results(
    results: list[CaseResult], out: str | Path, preamble: str = ""
) -> tuple[Path, Path]:
    """Write ``validation.csv`` and ``validation.md`` into ``out``, each atomically.

    Args:
        results: the cases' results.
        out: the folder (created if missing).
        preamble: Markdown put above the table (e.g. the date, commit and command).

    Returns:
        The paths of the CSV and Markdown files.
    """
    out = Path(out)
    frame = results_frame(results)
    csv = atomic_write(out / "validation.csv", lambda p: frame.to_csv(p, index=False))
    text = (preamble.rstrip() + "\n\n" if preamble else "") + markdown_table(results)
    md = write_text(out / "validation.md", text)
    return csv, md
