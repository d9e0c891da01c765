"""The package's structure, measured: no import cycle among its modules, and no module far
beyond the size one person reads in a sitting without a reason given in its docstring.

The import graph is built with ``ast`` from every ``import`` and ``from ... import`` of the
package's own modules at any depth (a function-level import counts: it is still a dependency,
only a later one), ``TYPE_CHECKING`` blocks excluded (annotations only).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from forecast.families import CLOSED_FORM, COMPARED, FAMILY_NAMES

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "forecast"
MAX_LINES = 500
SIZE_REASON = "Longer than 500 lines because"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> list[str]:
    if node.level:
        base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    names = [f"{target}.{a.name}" for a in node.names]
    return [n for n in [*names, target] if n in MODULES][:1] or []


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            found.update(_resolve(module, path, node))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def _package_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's ``__init__`` imports its own modules; that is not a cycle."""
    return {m: {d for d in deps if not m.startswith(f"{d}.")} for m, deps in graph.items()}


def test_the_graph_sees_imports() -> None:
    graph = {m: _imports(m, p) for m, p in MODULES.items()}
    assert "forecast.errors" in graph["forecast.readpolicy"]
    assert "forecast.cli.options" in graph["forecast.cli.run"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    graph = _package_edges({m: _imports(m, p) for m, p in MODULES.items()})
    assert _cycles(graph) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_long_without_a_reason(module: str) -> None:
    path = MODULES[module]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if lines <= MAX_LINES:
        return
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert SIZE_REASON in " ".join(doc.split()), (
        f"{module}: {lines} lines; split it, or say why in its docstring ({SIZE_REASON!r} ...)"
    )


def test_the_registry_names_every_family_with_kernels() -> None:
    from forecast.models import FAMILIES

    assert tuple(FAMILIES) == FAMILY_NAMES
    assert set(CLOSED_FORM) <= set(FAMILY_NAMES) and set(COMPARED) <= set(FAMILY_NAMES)
