"""The layering of docs/architecture.md, checked on the source: no import cycles, no upward imports.

Every ``import`` and ``from ... import`` statement under ``src/ldr2hdr`` counts, wherever it
stands (module level, inside a function, under ``TYPE_CHECKING``): a lazy import does not make
a cycle go away, it only hides it until run time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = "ldr2hdr"
SOURCE = Path(__file__).resolve().parents[1] / "src" / PACKAGE

FLOORS = {
    1: ("domain", "runtime", "fs", "errors"),
    2: ("io", "models", "data", "metrics", "operators", "losses"),
    3: ("inference", "train", "evaluation", "gallery", "study"),
    4: ("cli",),
}
"""Floor → the top-level modules on it (docs/architecture.md, "Floors")."""

OUTSIDE_FLOORS = {
    "_version": 1,  # the version string
    "devices": 1,  # deprecated alias of runtime
    "evaluate": 3,  # deprecated alias of evaluation
    "report_figures": 3,  # deprecated alias of evaluation.figures
    "__main__": 4,  # ``python -m ldr2hdr`` runs the cli
}
"""Top-level modules that the docs' table leaves out, and the floor they behave as."""


def module_files(root: Path = SOURCE, package: str = PACKAGE) -> dict[str, Path]:
    """Dotted module name → source file, for every ``.py`` file under ``root``."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join([package, *parts])] = path
    return modules


def _is_package(name: str, modules: Mapping[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _imported(node: ast.AST, module: str, modules: Mapping[str, Path]) -> Iterable[str]:
    """The package's modules that one import statement of ``module`` loads by name."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if not isinstance(node, ast.ImportFrom):
        return
    if node.level:
        anchor = module.split(".")
        if not _is_package(module, modules):
            anchor.pop()
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        yield submodule if submodule in modules else base


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module → the other modules of the package it imports (any import, lazy ones included).

    An edge goes to the module named, not to the packages above it: ``from ldr2hdr.io.ldr
    import read_ldr`` depends on ``ldr2hdr.io.ldr``; ``from ldr2hdr.io import ldr`` too, since
    ``ldr`` is a submodule; ``from ldr2hdr.io import read_ldr`` on ``ldr2hdr.io``.
    """
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = {t for node in ast.walk(tree) for t in _imported(node, name, modules)}
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One cycle of the graph as ``[a, b, ..., a]``, or None if it is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def floor_of(module: str) -> int | None:
    """The floor of a module of the package (None for the root package ``ldr2hdr``)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    top = parts[1]
    for floor, names in FLOORS.items():
        if top in names:
            return floor
    return OUTSIDE_FLOORS.get(top)


def upward_imports(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """``"a (floor 1) imports b (floor 2)"`` for every import from a higher floor."""
    found = []
    for module, targets in sorted(graph.items()):
        own = floor_of(module)
        for target in sorted(targets):
            floor = floor_of(target)
            if own is not None and floor is not None and floor > own:
                found.append(f"{module} (floor {own}) imports {target} (floor {floor})")
    return found


MODULES = module_files()
GRAPH = import_graph(MODULES)


def test_every_top_level_module_has_a_floor() -> None:
    unplaced = sorted({m for m in MODULES if m != PACKAGE and floor_of(m) is None})
    assert not unplaced, f"add these to docs/architecture.md's floors and FLOORS: {unplaced}"


def test_the_package_has_no_import_cycle() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_no_module_imports_from_a_higher_floor() -> None:
    assert upward_imports(GRAPH) == []


def test_foundations_and_rooms_stay_below_the_pipelines() -> None:
    for module, targets in GRAPH.items():
        if floor_of(module) == 1:
            assert all(floor_of(t) in (1, None) for t in targets), (module, targets)
        if floor_of(module) == 2:
            assert all(floor_of(t) in (1, 2, None) for t in targets), (module, targets)


def test_the_graph_sees_relative_lazy_and_submodule_imports(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("def f():\n    from pkg.sub import b\n")
    (root / "sub" / "__init__.py").write_text("from . import b\nfrom .b import g\n")
    (root / "sub" / "b.py").write_text("from ..c import h\n")
    (root / "c.py").write_text("import pkg.a\n")
    graph = import_graph(module_files(root, "pkg"))
    assert graph == {
        "pkg": set(),
        "pkg.a": {"pkg.sub.b"},
        "pkg.sub": {"pkg.sub.b"},
        "pkg.sub.b": {"pkg.c"},
        "pkg.c": {"pkg.a"},
    }
    assert find_cycle(graph) == ["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]
    (root / "c.py").write_text("import numpy\n")
    assert find_cycle(import_graph(module_files(root, "pkg"))) is None


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b", "c"}, "b": {"c"}, "c": {"d"}, "d": {"b"}}, ["b", "c", "d", "b"]),
    ],
)
def test_find_cycle(graph, cycle) -> None:
    assert find_cycle(graph) == cycle


def test_upward_imports_are_named() -> None:
    graph = {"ldr2hdr.metrics": {"ldr2hdr.evaluation.scoring", "ldr2hdr.domain"}}
    assert upward_imports(graph) == [
        "ldr2hdr.metrics (floor 2) imports ldr2hdr.evaluation.scoring (floor 3)"
    ]
