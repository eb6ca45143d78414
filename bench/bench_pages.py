"""Six pages at full scale (issue 18, point 4), each rendered alone through the test client
beside a bare route of the same app (the base layout and one query, `SELECT 1`), measured in
the same run, interleaved, as the person who uses the page:

- "you said, we did" overview: an employee;
- My actions: the owner with the most actions (owned and co-owned);
- the results of a department in the latest round, the department overview, the staff
  meeting page and an action page: that department's director.

Warm (each page once before measuring); the median of ROUNDS requests each. The reference is
the median of every bare request (requested by each page's client right after that page).
Target: every page at most 3 times the bare route.

Pages keep what only a commit can change per data version (tracker.changes, tracker.rendering),
so each page is also timed right after a change (`changes.touch`, nothing kept): recorded
beside the warm figure, without a target, so what a reader waits for after any change shows.

    .venv/bin/python bench/bench_pages.py [--rounds 15] [--page NAME ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Results, login  # noqa: E402
from bench.generate import BENCH_PASSWORD, app_for, copy_database  # noqa: E402

ROUNDS = 15
TARGET = 3.0

BARE_TEMPLATE = """{% extends "base.html" %}
{% block title %}Bare{% endblock %}
{% block content %}<h1>Bare</h1><p>{{ one }}</p>{% endblock %}"""


def add_bare_route(app) -> None:
    from flask import render_template
    from sqlalchemy import text

    from tracker.extensions import db

    # Compiled once, as the app's own templates are (render_template_string compiles anew
    # on every request, which would make the reference slower than a real page).
    template = app.jinja_env.from_string(BARE_TEMPLATE)

    def bare():
        return render_template(template, one=db.session.scalar(text("SELECT 1")))

    app.add_url_rule("/bench/bare", "bench_bare", bare)


def busiest_owner(app) -> str:
    """The e-mail address of the person with the most actions (owned or co-owned)."""
    from sqlalchemy import func, select, union_all

    from tracker.actions.models import ImprovementAction, action_co_owner
    from tracker.auth.models import User
    from tracker.extensions import db

    with app.app_context():
        people = union_all(
            select(ImprovementAction.owner_id.label("user_id")),
            select(action_co_owner.c.user_id.label("user_id")),
        ).subquery()
        return db.session.scalar(
            select(User.email)
            .join(people, people.c.user_id == User.id)
            .group_by(User.id, User.email)
            .order_by(func.count().desc(), User.id)
            .limit(1)
        )


def pages(app, world: dict) -> dict[str, tuple[str, str]]:
    """Page name -> (who, address)."""
    department = world["department_ids"][0]
    director = world["director_emails"][0]
    return {
        '"you said, we did" overview': (world["employee_emails"][0], "/you-said-we-did"),
        "my actions": (busiest_owner(app), "/actions/mine"),
        "department results of a round": (
            director,
            f"/surveys/{world['latest_round_id']}/departments/{department}",
        ),
        "department overview": (director, f"/departments/{department}/actions"),
        "staff-meeting page": (director, f"/meetings/{world['meeting_ids'][str(department)]}"),
        "action page": (director, f"/actions/{world['owner_open_action_id']}"),
    }


def timed(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        help="only pages whose name contains this (repeatable)",
    )
    args = parser.parse_args()
    from tracker import changes

    results = Results("bench_pages")
    with tempfile.TemporaryDirectory() as tmp:
        path, world = copy_database("full", Path(tmp) / "bench.db")
        app = app_for(path)
        add_bare_route(app)
        chosen = {
            name: page
            for name, page in pages(app, world).items()
            if not args.page or any(part in name for part in args.page)
        }
        clients = {}
        for email, _url in chosen.values():
            if email not in clients:
                clients[email] = app.test_client()
                login(clients[email], email, BENCH_PASSWORD)
        for email, url in chosen.values():  # warm: templates compiled, caches filled
            timed(clients[email], url)
            timed(clients[email], "/bench/bare")
        times = {name: [] for name in chosen}
        after_change = {name: [] for name in chosen}
        bare = []
        for _ in range(args.rounds):
            for name, (email, url) in chosen.items():
                changes.touch(app)
                after_change[name].append(timed(clients[email], url))
                times[name].append(timed(clients[email], url))
                bare.append(timed(clients[email], "/bench/bare"))
    scale = world["scale"]
    print(
        f"{scale['departments']} departments, {scale['rounds']} rounds, "
        f"{scale['actions']:,} actions, {scale['updates']:,} updates; "
        f"median of {args.rounds} requests each, warm"
    )
    reference = statistics.median(bare) * 1000
    width = max(len(name) for name in chosen)
    print(f"{'bare route (layout + SELECT 1)':<{width}} {reference:8.1f} ms")
    print(f"{'':<{width}} {'warm':>8}           right after a change")
    for name, values in times.items():
        figure = statistics.median(values) * 1000
        ratio = results.ratio(
            name,
            figure,
            reference,
            "bare route: layout + SELECT 1",
            target=f"<= {TARGET:g}x",
            ok=figure / reference <= TARGET,
        )
        cold = statistics.median(after_change[name]) * 1000
        results.ratio(
            f"{name}, right after a change (nothing kept)",
            cold,
            reference,
            "bare route: layout + SELECT 1",
        )
        print(
            f"{name:<{width}} {figure:8.1f} ms  {ratio:5.2f}x   {cold:8.1f} ms  "
            f"{cold / reference:5.2f}x{'' if ratio <= TARGET else f'   over {TARGET:g}x'}"
        )
    results.save()
    if results.failed:
        print(f"some pages take more than {TARGET:g}x the bare route", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
