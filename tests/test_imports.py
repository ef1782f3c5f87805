"""Dependencies between the project's modules run one way.

Every import counts, a function-level one too: an import moved into a function still makes two
modules depend on each other, it only hides the cycle from Python's loader.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ctpat", "events")


def project_modules() -> dict[str, Path]:
    """Every module of the project's packages but their migrations, by dotted name."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imported_names(name: str, path: Path) -> Iterator[str]:
    """The dotted names ``path`` imports anywhere in it (``from a import b`` gives ``a.b``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports."""
    modules = project_modules()

    def module_of(dotted: str) -> str | None:
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    return {
        name: {
            target
            for imported in imported_names(name, path)
            if (target := module_of(imported)) not in (None, name)
        }
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_imports_have_no_cycle():
    assert cycles(import_graph()) == []


def test_imports_ctpat_never_imports_events():
    """The partner registry exists whether or not a seminar runs."""
    graph = import_graph()
    assert {
        (module, target)
        for module, targets in graph.items()
        if module.startswith("ctpat")
        for target in targets
        if target.startswith("events")
    } == set()


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ],
    ids=["two", "three", "none"],
)
def test_imports_cycle_finder(graph, expected):
    assert cycles(graph) == expected


def test_imports_graph_sees_function_level_imports(tmp_path, monkeypatch):
    package = tmp_path / "ctpat"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "one.py").write_text("def f():\n    from ctpat.two import g\n")
    (package / "two.py").write_text("from . import one\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)

    assert cycles(import_graph()) == [["ctpat.one", "ctpat.two"]]
