"""The package's import structure, read statically from the source (nothing is imported).

Every ``import`` statement of the ``ecosim`` package counts, wherever it is: at module level,
inside functions, and under ``if TYPE_CHECKING:``. Type-only imports count too because a
cycle of them still ties the modules together for a reader and a type checker: a phase that
names ``EcosystemModel`` in its signatures depends on the model as surely as one calling it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ecosim"

# The simulation core: no imports inside functions at all (none is optional or slow to load).
CORE = ("ecosim.model", "ecosim.state", "ecosim.demand", "ecosim.economics", "ecosim.metrics")
CORE_PACKAGES = ("ecosim.phases", "ecosim.actors")
CORE_ALSO = (
    "ecosim.ledger",
    "ecosim.goods",
    "ecosim.orders",
    "ecosim.bargaining",
    "ecosim.dates",
    "ecosim.simulate",
)


@dataclass(frozen=True)
class Import:
    """One imported name: ``from module import name`` (name None for ``import module``)."""

    importer: str
    module: str
    name: str | None
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text(), str(p)) for p in PACKAGE.rglob("*.py")}


class _Collector(ast.NodeVisitor):
    def __init__(self, importer: str, is_package: bool) -> None:
        self.importer = importer
        self.is_package = is_package
        self.depth = 0
        self.found: list[Import] = []

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append(Import(self.importer, alias.name, None, node.lineno, self.depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:  # relative: resolve against the importing package
            base = self.importer.split(".")
            base = base if self.is_package else base[:-1]
            base = base[: len(base) - node.level + 1]
            module = ".".join([*base, module] if module else base)
        for alias in node.names:
            self.found.append(
                Import(self.importer, module, alias.name, node.lineno, self.depth > 0)
            )


def imports(modules: dict[str, ast.Module]) -> list[Import]:
    out = []
    for name, tree in modules.items():
        is_package = (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()
        collector = _Collector(name, is_package)
        collector.visit(tree)
        out += [i for i in collector.found if i.module.split(".")[0] == "ecosim"]
    return out


def target(imp: Import, modules: dict[str, ast.Module]) -> str:
    """The ecosim module an import depends on (a submodule when one is imported by name)."""
    if imp.name is not None and f"{imp.module}.{imp.name}" in modules:
        return f"{imp.module}.{imp.name}"
    return imp.module


def import_graph(modules: dict[str, ast.Module]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for imp in imports(modules):
        to = target(imp, modules)
        if to != imp.importer:
            graph.add_edge(imp.importer, to, line=imp.line)
    return graph


def public_names(tree: ast.Module) -> set[str] | None:
    """The names in a module's ``__all__`` (None when it has none)."""
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                return {ast.literal_eval(e) for e in node.value.elts}
    return None


def is_core(module: str) -> bool:
    return (
        module in CORE
        or module in CORE_ALSO
        or any(module == p or module.startswith(p + ".") for p in CORE_PACKAGES)
    )


@pytest.fixture(scope="module")
def modules() -> dict[str, ast.Module]:
    return all_modules()


def test_the_package_has_no_import_cycle(modules):
    graph = import_graph(modules)
    assert graph.number_of_edges() > 50  # the collector sees the package's imports
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def module_aliases(tree: ast.Module, modules: dict[str, ast.Module]) -> dict[str, str]:
    """Local name -> ecosim module, for modules imported by name (``from ecosim import x``)."""
    return {
        (a.asname or a.name): f"{n.module}.{a.name}"
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("ecosim")
        for a in n.names
        if f"{n.module}.{a.name}" in modules
    }


def test_the_graph_sees_type_checking_and_function_imports(modules):
    """The checks bite: a type-only import and an in-function one are both edges."""
    fake = dict(modules)
    fake["ecosim.fake_a"] = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ecosim.fake_b import X\n"
    )
    fake["ecosim.fake_b"] = ast.parse("def f():\n    from ecosim.fake_a import Y\n")
    graph = import_graph(fake)
    assert graph.has_edge("ecosim.fake_a", "ecosim.fake_b")
    assert graph.has_edge("ecosim.fake_b", "ecosim.fake_a")
    assert any(len(c) > 1 for c in nx.strongly_connected_components(graph))


def test_no_private_name_is_imported_across_modules(modules):
    bad = [
        f"{i.importer}:{i.line} imports {i.name} from {i.module}"
        for i in imports(modules)
        if i.name and i.name.startswith("_") and not i.name.startswith("__")
    ]
    # module._name: a private attribute of an imported ecosim module
    for name, tree in modules.items():
        aliases = module_aliases(tree, modules)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                bad.append(f"{name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    assert not bad, bad


def test_core_modules_are_used_through_their_public_api(modules):
    """A name taken from a module of the simulation core is in that module's ``__all__``."""
    bad = []
    for imp in imports(modules):
        if not is_core(imp.module) or imp.name is None or imp.name == "*":
            continue
        if f"{imp.module}.{imp.name}" in modules:
            continue  # a submodule
        public = public_names(modules[imp.module])
        if public is not None and imp.name not in public:
            bad.append(f"{imp.importer}:{imp.line} imports {imp.name} from {imp.module}")
    # module.name, where module is a core module imported by name
    for name, tree in modules.items():
        aliases = {k: v for k, v in module_aliases(tree, modules).items() if is_core(v)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                module = aliases.get(node.value.id)
                public = public_names(modules[module]) if module else None
                submodule = f"{module}.{node.attr}" in modules
                if public is not None and node.attr not in public and not submodule:
                    bad.append(f"{name}:{node.lineno} uses {module}.{node.attr}")
    assert not bad, bad


def test_core_modules_declare_their_public_api(modules):
    missing = [
        name
        for name, tree in modules.items()
        if is_core(name) and not name.endswith(("phases", "actors")) and public_names(tree) is None
    ]
    assert not missing, missing


def test_core_modules_import_nothing_inside_functions(modules):
    bad = [
        f"{i.importer}:{i.line} imports {i.module} inside a function"
        for i in imports(modules)
        if is_core(i.importer) and i.in_function
    ]
    assert not bad, bad
