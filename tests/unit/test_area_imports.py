"""Areas import each other downward only (ARCHITECTURE.md, "Who may import whom"): no two
areas import each other, nor does any longer circle of areas (a imports b, b imports c, c
imports a). Every import counts, at the top of a module or inside a function
(it runs all the same); imports under `if TYPE_CHECKING:` do not (they never run: they name
types for annotations)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

TRACKER = Path(__file__).resolve().parents[2] / "tracker"
AREAS = {p.name for p in TRACKER.iterdir() if (p / "__init__.py").exists()}


def _imported_modules(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "tracker":  # from tracker import actions
            return [f"tracker.{alias.name}" for alias in node.names]
        return [node.module]
    return []


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Name | ast.Attribute) and (
        getattr(test, "id", None) == "TYPE_CHECKING"
        or getattr(test, "attr", None) == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Every import in the module, except those under `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if _is_type_checking(node):
            yield from (i for n in node.orelse for i in _imports_in(n))
            continue
        yield from _imports_in(node)


def _imports_in(node: ast.AST):
    yield from _imported_modules(node)
    yield from _imports(node)


def area_imports() -> dict[tuple[str, str], list[str]]:
    """(importing area, imported area) -> where."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(TRACKER.rglob("*.py")):
        area = path.relative_to(TRACKER).parts[0]
        if area not in AREAS:
            continue
        for module in _imports(ast.parse(path.read_text(), str(path))):
            parts = module.split(".")
            if parts[0] == "tracker" and len(parts) > 1 and parts[1] in AREAS - {area}:
                found[area, parts[1]].append(str(path.relative_to(TRACKER.parent)))
    return found


def circles(edges) -> list[list[str]]:
    """The circles in a graph of (importer, imported) edges: each strongly connected group
    of two or more areas (Tarjan), sorted, with one circle through it as proof."""
    graph: dict[str, set[str]] = defaultdict(set)
    for importer, imported in edges:
        graph[importer].add(imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(area: str) -> None:
        index[area] = low[area] = len(index)
        stack.append(area)
        for other in sorted(graph[area]):
            if other not in index:
                visit(other)
                low[area] = min(low[area], low[other])
            elif other in stack:
                low[area] = min(low[area], index[other])
        if low[area] == index[area]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == area:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for area in sorted(graph):
        if area not in index:
            visit(area)
    return sorted(groups)


def _circle_through(group: list[str], edges) -> list[str]:
    """One circle inside a strongly connected group, to name in the failure: a path from its
    first area back to itself."""
    start, inside = group[0], set(group)
    paths = {start: [start]}
    todo = [start]
    while todo:
        area = todo.pop(0)
        for importer, imported in sorted(edges):
            if importer != area or imported not in inside:
                continue
            if imported == start:
                return paths[area] + [start]
            if imported not in paths:
                paths[imported] = paths[area] + [imported]
                todo.append(imported)
    return group


def test_the_scan_sees_imports_in_functions_and_skips_type_checking():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from tracker.auth.models import User\n"
        "def f():\n    from tracker.actions import queries\n"
        "from tracker import surveys\n"
    )
    assert list(_imports(tree)) == ["typing", "tracker.actions", "tracker.surveys"]
    assert ("surveys", "organisation") in area_imports()


def test_auth_and_organisation_do_not_import_each_other():
    edges = area_imports()
    # People, roles and their memberships are the lower area; departments build on them.
    assert ("organisation", "auth") in edges
    assert ("auth", "organisation") not in edges, edges.get(("auth", "organisation"))


def test_the_circle_finder_finds_pairs_and_longer_circles():
    edges = {("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "f"), ("f", "e"), ("d", "g")}
    assert circles(edges) == [["a", "b", "c"], ["e", "f"]]
    assert _circle_through(["a", "b", "c"], edges) == ["a", "b", "c", "a"]
    assert circles({("a", "b"), ("b", "c"), ("a", "c")}) == []


def test_no_areas_import_each_other_in_a_circle():
    edges = area_imports()
    found = {}
    for group in circles(edges):
        circle = _circle_through(group, edges)
        found[" -> ".join(circle)] = {
            f"{a} -> {b}": sorted(set(edges[a, b])) for a, b in zip(circle, circle[1:])
        }
    assert not found, f"areas that import each other in a circle: {found}"


def test_nothing_imports_public():
    assert not [pair for pair in area_imports() if pair[1] == "public"]


#: Modules directly in tracker/ that assemble the application from its areas (the app
#: factory, the command line, the demo, the model registry): they may import any area.
ASSEMBLY = {"__init__.py", "cli.py", "demo.py", "models.py"}


def test_shared_modules_import_no_area():
    """The shared helpers directly in tracker/ (clock, formatting, rendering, forms, ...) sit
    under every area: one importing an area would close a circle through it (organisation ->
    clock -> organisation). An area hands them what they need at set-up instead."""
    found = {}
    for path in sorted(TRACKER.glob("*.py")):
        if path.name in ASSEMBLY:
            continue
        for module in _imports(ast.parse(path.read_text(), str(path))):
            parts = module.split(".")
            if parts[0] == "tracker" and len(parts) > 1 and parts[1] in AREAS:
                found.setdefault(path.name, []).append(module)
    assert not found, found
