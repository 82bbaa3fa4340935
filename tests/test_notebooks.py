"""The notebooks run against the current package (at a small scale) and are stored clean.

Each study notebook asserts the conclusions it states, so a change to the model that breaks
one of them fails here. ``ECOSIM_SMALL=1`` makes each notebook run a small population for a
short time (docs: ``experiments/README.md``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_the_quickstart_and_one_notebook_per_study_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_fees_competition_jobs.ipynb",
        "03_trust_reputation.ipynb",
        "04_iot_bargaining.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {i} has outputs; strip them"
            assert cell.execution_count is None, f"{path.name}: cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes_and_its_conclusions_hold(path, monkeypatch, tmp_path):
    monkeypatch.setenv("ECOSIM_SMALL", "1")
    monkeypatch.delenv("ECOSIM_SEED", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the small sweeps write here
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell (or assertion)
    shown = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") != "stream"]
    assert any("image/png" in o.get("data", {}) for o in shown), "the notebook draws no figure"
