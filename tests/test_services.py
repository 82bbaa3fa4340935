"""Service providers as a sector: free tools and paid services, providers as firms
(docs/model.md, section 7.12)."""

from __future__ import annotations

import ast
from pathlib import Path

import ecosim

PACKAGE = Path(ecosim.__file__).parent
SERVICE_MODULES = ("phases/services.py", "actors/services.py")
# Numbers that are not behaviour: identities, counts and indices.
NEUTRAL = {0, 1, -1}


def _numeric_literals(path: Path) -> list[tuple[int, object]]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        number = isinstance(node, ast.Constant) and type(node.value) in (int, float)
        if number and node.value not in NEUTRAL:
            found.append((node.lineno, node.value))
    return found


def test_services_code_holds_no_behavioural_number():
    """Every number the services phase and the providers' creation act on is a schema field
    (with unit, range and source), so it can be swept and is documented."""
    for module in SERVICE_MODULES:
        assert _numeric_literals(PACKAGE / module) == [], module


def test_the_literal_check_can_fail(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("LIFT = 0.3\n\ndef f(x):\n    return min(x, 0.9) + 1\n")
    assert _numeric_literals(sample) == [(1, 0.3), (4, 0.9)]
