"""Benchmark of the meeting's outputs (issue 6): the .ics invitation and the Word agenda of a
department's staff meeting in the shared generator's full-scale organisation (its agenda has
some 650 items: overdue, proposed, stuck, done and declined actions of a department with 1,000
actions, and findings to act on), beside the printable agenda page of the same meeting,
measured side by side in one run through the test client. Target: .ics and .docx each within
3x the time of the printable page.

    .venv/bin/python bench/bench_meetings.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Results, login  # noqa: E402
from bench.generate import BENCH_PASSWORD, app_for, copy_database  # noqa: E402

TARGET = 3.0


def _time(client, url: str, rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200 and body, (url, response.status_code)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    results = Results("bench_meetings")

    from sqlalchemy import func, select

    from tracker.extensions import db
    from tracker.meetings.models import AgendaItem

    with tempfile.TemporaryDirectory() as tmp:
        path, world = copy_database("full", Path(tmp) / "bench.db")
        app = app_for(path)
        meeting_id = world["meeting_ids"][str(world["department_ids"][0])]
        with app.app_context():
            items = db.session.scalar(
                select(func.count(AgendaItem.id)).where(AgendaItem.meeting_id == meeting_id)
            )
        client = app.test_client()
        login(client, world["director_emails"][0], BENCH_PASSWORD)
        base = f"/meetings/{meeting_id}"
        urls = {
            "printable page": f"{base}/print/agenda",
            ".ics": f"{base}/invite.ics",
            ".docx": f"{base}/agenda.docx",
        }
        for url in urls.values():  # warm up templates and caches
            _time(client, url, 1)
        timings = {name: [] for name in urls}
        for _ in range(args.rounds):  # interleaved, so all see the same machine state
            for name, url in urls.items():
                timings[name].append(_time(client, url, 1))
    medians = {name: statistics.median(values) for name, values in timings.items()}
    reference = medians["printable page"]
    print(f"meeting with {items} agenda items, median of {args.rounds} requests")
    for name, seconds in medians.items():
        line = f"  {name:<15} {seconds * 1000:8.1f} ms   {seconds / reference:5.2f}x the printable page"
        if name != "printable page":
            good = seconds / reference <= TARGET
            results.ratio(
                f"meeting {name} ({items} agenda items)",
                seconds * 1000,
                reference * 1000,
                "printable agenda page",
                target=f"<= {TARGET:g}x",
                ok=good,
            )
            line += "   (target <= 3x: " + ("ok" if good else "TOO SLOW") + ")"
        print(line)
    results.save()
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
