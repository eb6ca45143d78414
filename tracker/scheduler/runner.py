"""Running the jobs: APScheduler 3 in one process (`flask --app app scheduler`, or inside
`make run`'s development server), or every due job once (`--run-once`, for cron).

Only one scheduler is active at a time: the one holding the lease row in the database
(`SchedulerLease`), taken with one atomic UPDATE ... WHERE expired OR mine (INSERT when the
row is missing) and renewed every third of its lifetime. Others stand by and take over when
it expires. Whoever takes the lease first catches up, once, every job whose scheduled time
passed since its last successful run (recorded in `JobRun`), so runs missed while nothing
was running are made up once, not once per missed interval. Jobs are idempotent anyway
(outbox keys, compare-and-set on the last run): the lease keeps the work in one place, the
keys keep it exactly once.

create_app() never starts a scheduler: gunicorn workers and tests do not run one.
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import socket
import sys
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import or_, select, update

from tracker import clock
from tracker.extensions import db
from tracker.notifications.services import insert_or_ignore
from tracker.scheduler import jobs
from tracker.scheduler.models import JobRun, SchedulerLease
from tracker.types import utcnow

log = logging.getLogger("tracker.scheduler")

LEASE_NAME = "scheduler"


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Lease:
    """The database row that makes one scheduler the active one. Uses its own short
    transactions (never the session's), so a job's transaction is not involved."""

    def __init__(self, app: Flask, holder: str | None = None, name: str = LEASE_NAME):
        self.app = app
        self.holder = holder or new_holder()
        self.name = name

    @property
    def seconds(self) -> int:
        return int(self.app.config["SCHEDULER_LEASE_SECONDS"])

    def acquire(self, now: datetime | None = None) -> bool:
        """Take or renew the lease; True when this holder has it until now + its lifetime."""
        now = now or utcnow()
        table = SchedulerLease.__table__
        with self.app.app_context(), db.engine.begin() as connection:
            taken = (
                connection.execute(
                    update(table)
                    .where(
                        table.c.name == self.name,
                        or_(table.c.expires_at < now, table.c.holder == self.holder),
                    )
                    .values(holder=self.holder, expires_at=now + timedelta(seconds=self.seconds))
                ).rowcount
                == 1
            )
            if not taken:
                taken = insert_or_ignore(
                    table,
                    {
                        "name": self.name,
                        "holder": self.holder,
                        "expires_at": now + timedelta(seconds=self.seconds),
                    },
                    ["name"],
                    executor=connection,
                )
        return taken

    def release(self) -> None:
        table = SchedulerLease.__table__
        with self.app.app_context(), db.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.name == self.name, table.c.holder == self.holder)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )


def current_lease() -> SchedulerLease | None:
    """The lease row, for the admin page (in the caller's app context)."""
    return db.session.get(SchedulerLease, LEASE_NAME)


def organisation_zone(app: Flask) -> ZoneInfo:
    with app.app_context():
        return clock.zone()


def due_jobs(app: Flask, now: datetime | None = None) -> list[str]:
    """Jobs whose scheduled time passed since their last successful run, in run order."""
    now = now or utcnow()
    zone = organisation_zone(app)
    with app.app_context():
        last = {row.name: row.last_success_at for row in db.session.scalars(select(JobRun))}
        db.session.remove()
    return [
        name
        for name, job in jobs.JOBS.items()
        if jobs.is_due(job, last.get(name), now, app.config, zone)
    ]


def run_due(
    app: Flask,
    now: datetime | None = None,
    only=(),
    trigger: str = "once",
    lease: Lease | None = None,
) -> dict[str, dict]:
    """Run every due job (or just `only`, due or not) once, the outbox last."""
    names = [n for n in jobs.JOBS if n in only] if only else due_jobs(app, now)
    results = {}
    for name in names:
        if lease is not None and not lease.acquire():
            log.warning("lost the scheduler lease; stopping this run")
            break
        results[name] = jobs.run_job(app, name, now, trigger)
    return results


def run_once(app: Flask, now: datetime | None = None, only=()) -> dict[str, dict] | None:
    """`flask scheduler --run-once`: with the lease, run what is due and release it.
    None when another scheduler is active (holds the lease)."""
    lease = Lease(app)
    if not lease.acquire():
        return None
    try:
        return run_due(app, now, only, "once", lease)
    finally:
        lease.release()


class Runner:
    """A long-running scheduler. Blocking for `flask scheduler`, in a background thread
    for `make run`. One worker thread: jobs run one after the other."""

    def __init__(self, app: Flask, blocking: bool = False):
        self.app = app
        self.lease = Lease(app)
        self.active = False
        zone = organisation_zone(app)
        options = {
            "timezone": zone,
            # Jobs one after the other; the lease is renewed beside them, so a long job
            # does not let it expire; mail has its own thread, so a mail server that does
            # not answer holds up the outbox only, never the other jobs.
            "executors": {
                "default": ThreadPoolExecutor(1),
                "mail": ThreadPoolExecutor(1),
                "lease": ThreadPoolExecutor(1),
            },
            "job_defaults": {"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
        }
        self.scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(**options)
        for job in jobs.JOBS.values():
            self.scheduler.add_job(
                self.scheduled,
                job.trigger(app.config, zone),
                args=[job.name],
                id=job.name,
                name=job.name,
                executor=_executor(job.name),
            )
        # Renew (or try to take) the lease; catch up when it is taken.
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=max(self.lease.seconds // 3, 1), timezone=zone),
            id="lease",
            name="lease",
            next_run_time=datetime.now(zone),
            executor="lease",
        )

    def tick(self) -> None:
        try:
            held = self.lease.acquire()
        except Exception:  # the database is away: try again at the next tick
            log.exception("scheduler lease: the database cannot be reached")
            held = False
        if held and not self.active:
            log.info("scheduler %s is the active one; catching up", self.lease.holder)
            self.active = True
            self.scheduler.add_job(
                self.catch_up, id="catch-up", name="catch-up", replace_existing=True
            )
        elif not held and self.active:
            log.warning("scheduler %s lost the lease; standing by", self.lease.holder)
            self.active = False
        if self.active:
            self.run_requested()

    def run_requested(self) -> None:
        """Jobs an admin asked to run now (the jobs page): each on its own thread's queue."""
        try:
            with self.app.app_context():
                names = jobs.requested_runs()
                db.session.remove()
        except Exception:  # the database is away: the next tick asks again
            log.exception("scheduler: could not read the requested runs")
            return
        for name in names:
            if name in jobs.JOBS:
                self._queue(name, "manual")

    def _queue(self, name: str, trigger: str) -> None:
        """Run `name` soon on its thread, once even when asked twice before it starts (now,
        in this thread, when the scheduler is not running: a direct call)."""
        if not self.scheduler.running:
            self.run(name, trigger)
            return
        self.scheduler.add_job(
            self.run,
            args=[name, trigger],
            id=f"now-{name}",
            name=f"now-{name}",
            executor=_executor(name),
            replace_existing=True,
        )

    def catch_up(self) -> None:
        """Every job whose time passed since its last successful run, once. On the very
        first start, jobs that never ran wait for their time."""
        with self.app.app_context():
            planned = jobs.plan_first_runs(utcnow())
            db.session.remove()
        if planned:
            log.info("first start: %s wait for their time", ", ".join(planned))
        for name in due_jobs(self.app):
            if not self.lease.acquire():
                self.active = False
                return
            if _executor(name) == "default":
                self.run(name, "catch-up")
            else:
                self._queue(name, "catch-up")

    def scheduled(self, name: str) -> None:
        if not self.lease.acquire():
            self.active = False
            return
        self.run(name, "schedule")

    def run(self, name: str, trigger: str) -> None:
        jobs.run_job(self.app, name, trigger=trigger)
        if jobs.JOBS[name].sends_mail:
            # What it queued goes out at once, on the mail thread.
            self._queue("deliver", trigger)

    def start(self) -> None:
        log.info("scheduler %s starting", self.lease.holder)
        atexit.register(self.stop)
        self.scheduler.start()

    def stop(self) -> None:
        """Let a running job finish, then let go of the lease (a standby takes over)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        try:
            self.lease.release()
        except Exception:  # at exit the database may be gone; the lease expires by itself
            log.debug("lease not released", exc_info=True)


def _executor(name: str) -> str:
    return "mail" if name == "deliver" else "default"


_started_lock = threading.Lock()
_started: Runner | None = None


def serving_process() -> bool:
    """True in the process of `flask run` that serves requests: without the reloader the
    only one; with it the child (WERKZEUG_RUN_MAIN is set there), not the watching parent.
    False for every other flask command and for gunicorn, which import app.py too."""
    import click
    from flask.helpers import get_debug_flag

    context = click.get_current_context(silent=True)
    if context is None or context.info_name != "run":
        return False
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        return True
    reload = context.params.get("reload")
    return not (get_debug_flag() if reload is None else reload)


def start_in_dev_server(app: Flask) -> Runner | None:
    """For `make run` (TRACKER_SCHEDULER=1): one background scheduler in the process that
    serves, also with the reloader; never twice in one process."""
    global _started
    if not serving_process():
        return None
    with _started_lock:
        if _started is None:
            _started = Runner(app, blocking=False)
            _started.start()
            print(
                f" * Scheduler running in this process (pid {os.getpid()}); "
                "jobs and outbox at /admin/jobs",
                file=sys.stderr,
                flush=True,
            )
    return _started
