"""The daily reminder run over 50,000 open actions with nothing to send, timed beside one bare
SQL query that selects the due actions (the same condition, as a plain string, in the same
database and run); then 1,000 messages delivered to a local SMTP server (aiosmtpd), counting
the SMTP connections.

The actions are the shared generator's full-scale organisation (a copy of its SQLite
database), every one of them opened and given a deadline without a reminder point on the
day of the run.

    .venv/bin/python bench/bench_reminders.py [messages]

Prints the median time of each, their ratio (target: at most 3) and the connections used.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Results  # noqa: E402
from bench.generate import app_for, copy_database  # noqa: E402

ROUNDS = 15
TARGET = 3.0
OPEN = ["proposed", "planned", "in_progress"]


def quiet_day() -> date:
    """A Tuesday (no weekly overview) a little ahead."""
    day = date.today() + timedelta(days=7)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def quiet_offset(rng: random.Random) -> int:
    """Days from the run's day to a deadline without a reminder point on that day."""
    while True:
        days = rng.randint(-60, 200)
        if days in (14, 3, 0) or (days < 0 and -days % 7 == 0):
            continue
        return days


def open_everything(today: date) -> None:
    """Every generated action open, with a quiet deadline, nobody stuck, no pending request."""
    from sqlalchemy import bindparam, delete, select, update

    from tracker.actions.models import ActionStatus, DeadlineRequest, ImprovementAction
    from tracker.extensions import db

    table = ImprovementAction.__table__
    ids = db.session.scalars(select(table.c.id).order_by(table.c.id)).all()
    statuses = [ActionStatus.proposed, ActionStatus.planned, ActionStatus.in_progress]
    rng = random.Random(5)
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("action_id"))
        .values(
            deadline=bindparam("new_deadline"),
            status=bindparam("new_status"),
            closed_on=None,
            stuck=False,
        ),
        [
            {
                "action_id": i,
                "new_deadline": today + timedelta(days=quiet_offset(rng)),
                "new_status": statuses[n % 3],
            }
            for n, i in enumerate(ids)
        ],
    )
    db.session.execute(delete(DeadlineRequest))
    db.session.commit()


BARE_QUERY = """
SELECT improvement_action.id FROM improvement_action
WHERE improvement_action.status IN ('proposed', 'planned', 'in_progress')
  AND ((deadline >= :first14 AND deadline <= :today14)
    OR (deadline >= :first3 AND deadline <= :today3)
    OR (deadline >= :first0 AND deadline <= :today0)
    OR (deadline <= :overdue
        AND CAST(julianday(:today) - julianday(deadline) AS INTEGER) % 7 < 1))
"""


def bench_reminders(app, results: Results) -> None:
    from sqlalchemy import func, select, text, update

    from tracker.actions.models import OPEN_STATUSES, ImprovementAction
    from tracker.extensions import db
    from tracker.scheduler import jobs
    from tracker.scheduler.models import JobRun

    today = quiet_day()
    with app.app_context():
        open_everything(today)
        open_count = db.session.scalar(
            select(func.count(ImprovementAction.id)).where(
                ImprovementAction.status.in_(OPEN_STATUSES)
            )
        )
        print(f"{open_count} open actions (the generated organisation, all opened)")

    zone = ZoneInfo("Europe/Amsterdam")
    now = datetime(today.year, today.month, today.day, 7, tzinfo=zone).astimezone(timezone.utc)
    yesterday = now - timedelta(days=1)
    parameters = {
        "today": today.isoformat(),
        "overdue": (today - timedelta(days=7)).isoformat(),
        **{f"first{d}": (today + timedelta(days=d)).isoformat() for d in (14, 3, 0)},
        **{f"today{d}": (today + timedelta(days=d)).isoformat() for d in (14, 3, 0)},
    }

    def reminder_run() -> float:
        with app.app_context():  # untimed: the last run was yesterday, as every morning
            db.session.execute(update(JobRun).values(last_success_at=yesterday))
            db.session.commit()
        started = time.perf_counter()
        result = jobs.run_job(app, "reminders", now, "bench")
        elapsed = time.perf_counter() - started
        assert result == {"queued": 0}, result
        return elapsed

    def bare_query() -> float:
        with app.app_context():
            started = time.perf_counter()
            rows = db.session.execute(text(BARE_QUERY), parameters).all()
            elapsed = time.perf_counter() - started
            db.session.remove()
        assert rows == [], rows[:3]
        return elapsed

    reminder_run()  # warm up: the job's row exists, templates and caches are loaded
    bare_query()
    runs, bares = [], []
    for _ in range(ROUNDS):  # interleaved, so both see the same machine state
        runs.append(reminder_run())
        bares.append(bare_query())
    run, bare = statistics.median(runs), statistics.median(bares)
    print(f"reminder run, nothing to send   median {run * 1000:8.1f} ms")
    print(f"bare SQL query, due actions     median {bare * 1000:8.1f} ms")
    ratio = results.ratio(
        f"reminder run over {open_count:,} open actions, nothing to send",
        run * 1000,
        bare * 1000,
        "bare SQL query of the due actions",
        target=f"<= {TARGET:g}x",
        ok=run / bare <= TARGET,
    )
    print(f"ratio {ratio:.2f} (target <= {TARGET:.0f}) {'OK' if ratio <= TARGET else 'TOO SLOW'}")


def bench_delivery(app, messages: int, results: Results) -> None:
    from tests.mailserver import MailServer
    from tracker.extensions import db
    from tracker.notifications import services

    server = MailServer().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    try:
        with app.app_context():
            for number in range(messages):
                services.enqueue(
                    services.OutgoingMessage(
                        key=f"bench:{number}",
                        kind="reminder",
                        to_email=f"p{number}@bench.example",
                        to_name=f"Persoon {number}",
                        locale="nl",
                        subject="Herinnering: deadline",
                        text="Beste collega,\n\nDe deadline nadert.\n",
                        html="<p>Beste collega,</p>",
                    )
                )
            db.session.commit()
            started = time.perf_counter()
            report = services.deliver_due()
            elapsed = time.perf_counter() - started
        assert report.sent == messages == len(server.messages), (report, len(server.messages))
        results.check(
            f"{messages} messages delivered to a local SMTP server",
            f"{report.sent} sent over {server.connections} SMTP connection(s), "
            f"{report.sent / elapsed:.0f}/s",
            target="all sent, one connection per batch",
            ok=server.connections <= -(-messages // app.config["OUTBOX_BATCH_SIZE"]),
        )
        print(
            f"delivered {report.sent} messages in {elapsed:.1f} s "
            f"({report.sent / elapsed:.0f}/s) over {server.connections} SMTP connection(s) "
            f"(batch size {app.config['OUTBOX_BATCH_SIZE']})"
        )
    finally:
        server.stop()


def main() -> int:
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    results = Results("bench_reminders")
    with tempfile.TemporaryDirectory() as tmp:
        path, _world = copy_database("full", Path(tmp) / "bench.db")
        app = app_for(path)
        bench_reminders(app, results)
        bench_delivery(app, messages, results)
    results.save()
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
