"""Benchmark of the meeting's outputs (issue 6): the .ics invitation and the Word agenda of a
meeting with 500 agenda items, beside the printable agenda page of the same meeting, measured
side by side in one run through the test client. Target: .ics and .docx each within 3x the
time of the printable page.

    .venv/bin/python bench/bench_meetings.py [--items 500] [--rounds 10]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, time as clock, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _world(items: int):
    from flask_migrate import upgrade
    from sqlalchemy import select

    from tracker.actions.models import ActionStatus, ImprovementAction, Visibility
    from tracker.actions.queries import local_today
    from tracker.auth.models import Role
    from tracker.auth.services import create_user
    from tracker.extensions import db
    from tracker.meetings import services
    from tracker.meetings.models import Meeting, Recurrence
    from tracker.organisation.services import create_department
    from tracker.types import utcnow

    upgrade()
    ict = create_department(None, name="ICT", short_name="ICT")
    director = create_user(None, email="d@example.org", name="Diederik", role=Role.director,
                           password="bench-password", hash_method="scrypt:1024:8:1",
                           directs=[ict])
    owner = create_user(None, email="o@example.org", name="Olga", role=Role.owner,
                        password="bench-password", hash_method="scrypt:1024:8:1",
                        staff_of=[ict])
    today = local_today()
    db.session.add_all([
        ImprovementAction(department_id=ict.id, title=f"Verbeteractie {n}", description="",
                          owner_id=owner.id, deadline=today - timedelta(days=1 + n % 30),
                          status=ActionStatus.in_progress, progress=n % 100,
                          created_by_id=director.id, visibility=Visibility.public,
                          last_update_at=utcnow())
        for n in range(items)
    ])
    series = services.save_series(
        director, title="Stafoverleg ICT", department=ict, recurrence=Recurrence.weekly,
        weekday=(date.today() + timedelta(days=2)).weekday(),
        starts_on=date.today() + timedelta(days=1), start_time=clock(10),
        attendees=[director, owner],
    )
    meeting = db.session.scalar(select(Meeting).where(Meeting.series_id == series.id)
                                .order_by(Meeting.starts_at))
    services.build_agenda(director, meeting)
    db.session.commit()
    return meeting.id


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
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    from tracker import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SECRET_KEY": "bench", "TESTING": True,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                          "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
        with app.app_context():
            meeting_id = _world(args.items)
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        import re

        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
        client.post("/login", data={"email": "d@example.org", "password": "bench-password",
                                    "csrf_token": token})
        base = f"/meetings/{meeting_id}"
        urls = {"printable page": f"{base}/print/agenda", ".ics": f"{base}/invite.ics",
                ".docx": f"{base}/agenda.docx"}
        for url in urls.values():  # warm up templates and caches
            _time(client, url, 1)
        results = {name: _time(client, url, args.rounds) for name, url in urls.items()}
    reference = results["printable page"]
    print(f"meeting with {args.items} agenda items, median of {args.rounds} requests")
    ok = True
    for name, seconds in results.items():
        ratio = seconds / reference
        line = f"  {name:<15} {seconds * 1000:8.1f} ms   {ratio:5.2f}x the printable page"
        if name != "printable page":
            good = ratio <= 3
            ok = ok and good
            line += "   (target <= 3x: " + ("ok" if good else "TOO SLOW") + ")"
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
