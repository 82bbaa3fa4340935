"""docs/model.md cannot go stale: every parameter and metric is documented, and the generated
parameter and metric tables in the file equal what the generators print now."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecosim.cli import main
from ecosim.config import EcosimConfig, list_parameters, load_config
from ecosim.docs import (
    METRICS_MARKERS,
    PARAMS_MARKERS,
    check_docs,
    generated_block,
    metrics_markdown,
    params_markdown,
    schema_keys,
)
from ecosim.metrics import METRICS

DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"
REGENERATE = (
    "regenerate with `ecosim params --markdown` (params) and "
    "`python -c 'from ecosim.docs import metrics_markdown; print(metrics_markdown())'` (metrics)"
)


def _generic(key: str) -> str:
    parts = ["<i>" if p.isdigit() else p for p in key.split(".")]
    return ".".join(parts)


def test_docs_name_every_parameter_key():
    text = DOC.read_text()
    keys = set(schema_keys()) | {_generic(p.key) for p in list_parameters(EcosimConfig())}
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert not missing, f"docs/model.md lacks parameters {missing}; {REGENERATE}"


def test_docs_name_every_metric():
    text = DOC.read_text()
    missing = [m for m in METRICS if f"`{m}`" not in text]
    assert not missing, f"docs/model.md lacks metrics {missing}; {REGENERATE}"


@pytest.mark.parametrize(
    ("markers", "generator"),
    [(PARAMS_MARKERS, params_markdown), (METRICS_MARKERS, metrics_markdown)],
    ids=["params", "metrics"],
)
def test_generated_tables_are_current(markers, generator):
    block = generated_block(DOC.read_text(), markers)
    assert block is not None, f"docs/model.md lacks the markers {markers}"
    assert block == generator(), f"the table between {markers} is stale; {REGENERATE}"


def test_check_docs_passes_on_the_docs():
    assert check_docs(DOC) == []


def test_check_docs_catches_a_stale_file(tmp_path):
    text = DOC.read_text()
    stale = tmp_path / "model.md"
    stale.write_text(text.replace("`consumers.logit_scale`", "consumers.logit_scale"))
    problems = check_docs(stale)
    assert any("consumers.logit_scale" in p for p in problems)
    assert any("params:start" in p for p in problems)  # the generated table changed too
    stale.write_text(text.replace(METRICS_MARKERS[0], ""))
    assert any("metrics:start" in p for p in check_docs(stale))


def test_schema_keys_cover_every_parameter_of_a_config():
    """The generic schema rows stand for every key a real config has (lists expanded)."""
    generic = set(schema_keys())
    config = load_config("configs/scenarios/fee_rise.yaml")
    assert {_generic(p.key) for p in list_parameters(config)} <= generic
    assert "schedule.<i>.key" in generic


def test_params_markdown_command(capsys):
    assert main(["params", "--markdown"]) == 0
    assert capsys.readouterr().out == params_markdown()
    assert main(["params", "configs/baseline.yaml", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| key | default | value | unit | range | description |" in out
    assert "`platforms.0.mall.annual_fee` | 30000 | 3000 |" in out
