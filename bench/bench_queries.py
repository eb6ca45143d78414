"""Queries per page: the most-used pages, each counted at small data (the shared generator's
small organisation: 2 departments, 14 actions) and at large data (its full-scale one: 50
departments, 50,000 actions, 200,000 updates, 20,000 findings). The counts must be equal:
a page whose count grows with the data runs a query per row.

Each page is requested once to warm up (session, compiled templates), then counted on the
second request right after a change anywhere (`changes.touch`: nothing a page keeps per data
version is reused, so the count is all the page's own work), as the person who uses it (a
director, an owner, an employee reading "you said, we did").

    .venv/bin/python bench/bench_queries.py
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Results, counting_queries, login  # noqa: E402
from bench.generate import BENCH_PASSWORD, app_for, copy_database  # noqa: E402


def pages(world: dict) -> dict[str, tuple[str, str]]:
    """Page name -> (who, address), in the given world."""
    department = world["department_ids"][0]
    round_id = world["latest_round_id"]
    meeting = world["meeting_ids"][str(department)]
    director = world["director_emails"][0]
    owner = world["owner_email"]
    employee = world["employee_emails"][0]
    return {
        "dashboard": (director, "/"),
        "actions list of a department": (director, f"/departments/{department}/actions"),
        "actions list, all departments": (director, "/actions"),
        "my actions": (owner, "/actions/mine"),
        "action page (owner, with update form)": (
            owner,
            f"/actions/{world['owner_open_action_id']}",
        ),
        "department results of a round": (
            director,
            f"/surveys/{round_id}/departments/{department}",
        ),
        "staff-meeting agenda": (director, f"/meetings/{meeting}"),
        "meeting mode (first item)": (director, f"/meetings/{meeting}/run/1"),
        '"you said, we did" department page': (
            employee,
            f"/you-said-we-did/{round_id}/{department}",
        ),
        '"you said, we did" overview': (employee, "/you-said-we-did"),
    }


def shape(statement: str) -> str:
    """A statement without its column list and with IN lists collapsed, to compare."""
    statement = re.sub(r"\s+", " ", statement)
    statement = re.sub(r"^SELECT .*? FROM", "SELECT … FROM", statement)
    statement = re.sub(r"(\?|%\(\w+\)s|\$\d+)(, (\?|%\(\w+\)s|\$\d+))+", "…", statement)
    statement = re.sub(r"IN \((\?|%\(\w+\)s|\$\d+)\)", "IN (…)", statement)
    return statement[:220]


def measure(name: str, tmp: Path) -> tuple[dict, dict[str, list[str]]]:
    from tracker import changes

    path, world = copy_database(name, tmp / f"{name}.db")
    app = app_for(path)
    changes.touch(app)  # renderings kept from another database are not reused
    counts = {}
    clients = {}
    for page, (email, url) in pages(world).items():
        client = clients.get(email)
        if client is None:
            client = clients[email] = app.test_client()
            login(client, email, BENCH_PASSWORD)
        warm = client.get(url)
        assert warm.status_code == 200, (name, page, url, warm.status_code)
        changes.touch(app)
        with counting_queries(app) as counter:
            response = client.get(url)
        assert response.status_code == 200, (name, page, url, response.status_code)
        counts[page] = counter.statements
    return world, counts


def main() -> int:
    results = Results("bench_queries")
    with tempfile.TemporaryDirectory() as tmp:
        small_world, small = measure("small", Path(tmp))
        large_world, large = measure("full", Path(tmp))
    scale_s, scale_l = small_world["scale"], large_world["scale"]
    print(
        f"small: {scale_s['departments']} departments, {scale_s['actions']} actions, "
        f"{scale_s['updates']} updates, {scale_s['departments'] * scale_s['rounds'] * scale_s['questions']} findings"
    )
    print(
        f"large: {scale_l['departments']} departments, {scale_l['actions']:,} actions, "
        f"{scale_l['updates']:,} updates, "
        f"{scale_l['departments'] * scale_l['rounds'] * scale_l['questions']:,} findings"
    )
    rows = []
    width = max(len(page) for page in small)
    print(f"{'page':<{width}}  small  large")
    differences = []
    for page in small:
        n_small, n_large = len(small[page]), len(large[page])
        equal = n_small == n_large
        rows.append([page, n_small, n_large, "equal" if equal else "DIFFERS"])
        results.check(
            f"queries: {page}", f"{n_small} small, {n_large} large", target="equal", ok=equal
        )
        print(f"{page:<{width}}  {n_small:5d}  {n_large:5d}{'' if equal else '   DIFFERS'}")
        if not equal:
            more = Counter(map(shape, large[page])) - Counter(map(shape, small[page]))
            fewer = Counter(map(shape, small[page])) - Counter(map(shape, large[page]))
            differences.append((page, more, fewer))
    for page, more, fewer in differences:
        print(f"\n{page}: at large data")
        for statement, times in more.items():
            print(f"  +{times} {statement}")
        for statement, times in fewer.items():
            print(f"  -{times} {statement}")
    results.table(
        "Queries per page (second request, logged in, right after a change)",
        ["page", "small data", "large data", "small vs large"],
        rows,
    )
    results.save()
    if results.failed:
        print(
            "some pages run more queries at large data: a query per row, or per batch of "
            "rows (selectinload sends one query per 500 parents)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
