"""The department overview with 50,000 actions and 200,000 progress updates, timed beside a
bare route of the same app that renders a template (in the same layout) with one query.

    .venv/bin/python bench/bench_actions.py [actions] [updates]

Prints the median time of each, and their ratio (target: at most 3).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import BENCH_PASSWORD, create_database, populate  # noqa: E402

ROUNDS = 40
TARGET = 3.0

BARE_TEMPLATE = """{% extends "base.html" %}
{% block title %}Bare{% endblock %}
{% block content %}<h1>Bare</h1><ul>{% for d in departments %}<li>{{ d.name }}</li>{% endfor %}</ul>
{% endblock %}"""


def add_bare_routes(app) -> None:
    from flask import render_template_string
    from sqlalchemy import select

    from tracker.extensions import db
    from tracker.organisation.models import Department

    def bare():
        departments = db.session.scalars(select(Department).order_by(Department.name)).all()
        return render_template_string(BARE_TEMPLATE, departments=departments)

    def bare_no_layout():
        departments = db.session.scalars(select(Department).order_by(Department.name)).all()
        return render_template_string(
            "<ul>{% for d in departments %}<li>{{ d.name }}</li>{% endfor %}</ul>",
            departments=departments,
        )

    app.add_url_rule("/bench/bare", "bench_bare", bare)
    app.add_url_rule("/bench/bare-no-layout", "bench_bare_no_layout", bare_no_layout)


def timed(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def main() -> None:
    actions = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    updates = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        app = create_database(str(Path(tmp) / "bench.db"))
        add_bare_routes(app)
        started = time.perf_counter()
        with app.app_context():
            world = populate(actions, updates)
        print(f"generated {actions} actions and {updates} updates "
              f"in {time.perf_counter() - started:.1f} s")
        department_id = world["department_ids"][0]
        client = app.test_client()
        response = client.post("/login", data={"email": world["director_emails"][0],
                                               "password": BENCH_PASSWORD})
        assert response.status_code == 302, "log-in failed"
        urls = {
            "department overview": f"/departments/{department_id}/actions",
            "bare route (layout + 1 query)": "/bench/bare",
            "bare route without layout": "/bench/bare-no-layout",
        }
        for url in urls.values():  # warm up: templates compiled, caches filled
            for _ in range(5):
                timed(client, url)
        times = {name: [] for name in urls}
        for _ in range(ROUNDS):
            for name, url in urls.items():
                times[name].append(timed(client, url))
        medians = {name: statistics.median(values) for name, values in times.items()}
        for name, value in medians.items():
            print(f"{name:<32} {value * 1000:8.2f} ms (median of {ROUNDS})")
        overview = medians["department overview"]
        bare = medians["bare route (layout + 1 query)"]
        ratio = overview / bare
        print(f"ratio overview / bare route: {ratio:.2f} (target <= {TARGET:g}); "
              f"against the bare route without layout: "
              f"{overview / medians['bare route without layout']:.1f}")
        if ratio > TARGET:
            sys.exit(f"the department overview is {ratio:.2f}x the bare route (target {TARGET:g}x)")


if __name__ == "__main__":
    main()
