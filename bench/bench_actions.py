"""The department overview in the generated organisation at full scale (50,000 actions,
200,000 progress updates; 1,000 actions in the department), timed beside a bare route of the
same app that renders a template (in the same layout) with one query.

    .venv/bin/python bench/bench_actions.py

Prints the median time of each, and their ratio (target: at most 3).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Results, login  # noqa: E402
from bench.generate import BENCH_PASSWORD, app_for, copy_database  # noqa: E402

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


def main() -> int:
    results = Results("bench_actions")
    with tempfile.TemporaryDirectory() as tmp:
        path, world = copy_database("full", Path(tmp) / "bench.db")
        app = app_for(path)
        add_bare_routes(app)
        department_id = world["department_ids"][0]
        client = app.test_client()
        login(client, world["director_emails"][0], BENCH_PASSWORD)
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
    scale = world["scale"]
    print(
        f"{scale['actions']:,} actions and {scale['updates']:,} updates, "
        f"{scale['actions'] // scale['departments']:,} in the department"
    )
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name:<32} {value * 1000:8.2f} ms (median of {ROUNDS})")
    overview = medians["department overview"]
    bare = medians["bare route (layout + 1 query)"]
    ratio = results.ratio(
        "department overview (1,000 of 50,000 actions)",
        overview * 1000,
        bare * 1000,
        "bare route: layout + 1 query",
        target=f"<= {TARGET:g}x",
        ok=overview / bare <= TARGET,
    )
    print(
        f"ratio overview / bare route: {ratio:.2f} (target <= {TARGET:g}); "
        f"against the bare route without layout: "
        f"{overview / medians['bare route without layout']:.1f}"
    )
    results.save()
    if ratio > TARGET:
        print(
            f"the department overview is {ratio:.2f}x the bare route (target {TARGET:g}x)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
