"""Areas import each other downward only (ARCHITECTURE.md, "Who may import whom"): no two
areas import each other. Every import counts, at the top of a module or inside a function
(it runs all the same); imports under `if TYPE_CHECKING:` do not (they never run: they name
types for annotations)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

TRACKER = Path(__file__).resolve().parents[2] / "tracker"
AREAS = {p.name for p in TRACKER.iterdir() if (p / "__init__.py").exists()}

#: Pairs of areas that still import each other, to be taken apart one by one: this list may
#: only get shorter. (Longer circles through three or more areas are not checked yet.)
STILL_TWO_WAY: set[frozenset] = set()


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


def two_way_pairs() -> dict[frozenset, list[str]]:
    edges = area_imports()
    return {
        frozenset(pair): edges[pair] + edges[pair[::-1]]
        for pair in edges
        if pair[::-1] in edges and pair[0] < pair[1]
    }


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


def test_no_new_pair_of_areas_imports_each_other():
    found = two_way_pairs()
    new = {" <-> ".join(sorted(pair)): found[pair] for pair in set(found) - STILL_TWO_WAY}
    assert not new, f"areas that import each other: {new}"
    # Taken apart: strike it from STILL_TWO_WAY, so it stays apart.
    assert set(found) >= STILL_TWO_WAY, STILL_TWO_WAY - set(found)
