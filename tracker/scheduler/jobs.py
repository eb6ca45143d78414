"""The scheduler's jobs: when each runs and what it calls. The rules live in their areas
(`actions/reminders.py`, `cocreation/followers.py`, `meetings/agenda.py`, the outbox in
`notifications/services.py`); a job pushes an app context, calls one of them, records the run
and commits once.

Every job is idempotent through database state: messages go to the outbox under a unique
key, and a run only counts when it moves the job's `last_success_at` from the value it read
(compare-and-set), so two runs at once do the work once. Tests pass `now` to control the
clock.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from tracker.actions import reminders
from tracker.cocreation import followers
from tracker.extensions import db
from tracker.meetings import agenda
from tracker.notifications import services as outbox
from tracker.scheduler.models import JobRun
from tracker.types import utcnow

log = logging.getLogger("tracker.scheduler")


# --- What the jobs do (inside an app context) ---------------------------------------------


def _deliver(now: datetime, since: datetime | None) -> dict:
    report = outbox.deliver_due(now)
    return {
        "sent": report.sent,
        "failed": report.failed,
        "postponed": report.postponed,
        "interrupted": report.interrupted,
    }


def _build_agendas(now: datetime, since: datetime | None) -> dict:
    return {"agendas": agenda.build_due_agendas(now)}


def _housekeeping(now: datetime, since: datetime | None) -> dict:
    from tracker.auth.services import prune_login_attempts

    return {"login_attempts_removed": prune_login_attempts(now=now)}


# --- The list of jobs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    name: str
    label: object
    schedule: object
    run: Callable[[datetime, datetime | None], dict]
    #: Its messages are delivered right after it when run by the scheduler.
    sends_mail: bool
    make_trigger: Callable[[dict, tzinfo], BaseTrigger]

    def trigger(self, config: dict, zone: tzinfo) -> BaseTrigger:
        return self.make_trigger(config, zone)


def _daily(minute: int, hour_offset: int = 0):
    return lambda config, zone: CronTrigger(
        hour=(int(config["SCHEDULER_HOUR"]) + hour_offset) % 24, minute=minute, timezone=zone
    )


def _weekly(minute: int):
    return lambda config, zone: CronTrigger(
        day_of_week=int(config["DIGEST_WEEKDAY"]) % 7,
        hour=int(config["SCHEDULER_HOUR"]),
        minute=minute,
        timezone=zone,
    )


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "agendas",
            _l("Build the agendas of coming staff meetings"),
            _l("daily"),
            _build_agendas,
            False,
            _daily(0, hour_offset=-1),
        ),
        Job(
            "reminders",
            _l("Reminders to action owners (with their weekly overview)"),
            _l("daily"),
            reminders.remind_owners,
            True,
            _daily(0),
        ),
        Job(
            "escalations",
            _l("Escalations of long-overdue actions to directors"),
            _l("daily"),
            reminders.escalate_overdue,
            True,
            _daily(5),
        ),
        Job(
            "director_digest",
            _l("Weekly digest for directors"),
            _l("weekly"),
            reminders.director_digest,
            True,
            _weekly(10),
        ),
        Job(
            "followers",
            _l('Messages to followers: actions done or declined, monthly "we did"'),
            _l("daily"),
            followers.notify_followers,
            True,
            _daily(15),
        ),
        Job(
            "housekeeping",
            _l("Remove log-in attempts older than 30 days"),
            _l("daily"),
            _housekeeping,
            False,
            _daily(30),
        ),
        # Last, so a run-once delivers what the others queued.
        Job(
            "deliver",
            _l("Send the waiting mail"),
            _l("every minute"),
            _deliver,
            False,
            lambda config, zone: IntervalTrigger(minutes=1, timezone=zone),
        ),
    )
}


# --- Running one job ----------------------------------------------------------------------


def _record_error(
    name: str, now: datetime, error: Exception, duration: float, trigger: str
) -> None:
    """Best effort: the database itself may be what failed."""
    try:
        db.session.rollback()
        db.session.execute(
            update(JobRun)
            .where(JobRun.name == name)
            .values(
                last_run_at=now,
                last_status="error",
                last_message=f"{type(error).__name__}: {error}"[:2000],
                last_duration=duration,
                last_trigger=trigger,
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job %s: could not record its error", name)


def run_in_context(name: str, now: datetime | None = None, trigger: str = "manual") -> dict:
    """Run one job in the current app context and record it; commits. Returns what it did
    ({"queued": 3}, {"sent": 2, ...}), {"skipped": 1} when another run got there first, or
    {"error": "..."} (also recorded and logged)."""
    job = JOBS[name]
    now = now or utcnow()
    started = time.monotonic()
    try:
        outbox.insert_or_ignore(JobRun.__table__, {"name": name}, ["name"])
        db.session.commit()
        previous = db.session.scalar(select(JobRun.last_success_at).where(JobRun.name == name))
        result = job.run(now, previous)
        success_at = now if previous is None or now > previous else previous
        same = (
            JobRun.last_success_at.is_(None)
            if previous is None
            else JobRun.last_success_at == previous
        )
        moved = db.session.execute(
            update(JobRun)
            .where(JobRun.name == name, same)
            .values(
                last_run_at=now,
                last_success_at=success_at,
                last_status="ok",
                last_message=json.dumps(result),
                last_duration=time.monotonic() - started,
                last_trigger=trigger,
            ),
            execution_options={"synchronize_session": False},
        ).rowcount
        if moved != 1:
            # Another run of this job finished in the meantime: its work counts, not ours.
            db.session.rollback()
            log.info("job %s: another run got there first; nothing done", name)
            return {"skipped": 1}
        db.session.commit()
    except Exception as error:  # a job's failure is recorded and shown, never fatal
        log.exception("job %s failed", name)
        _record_error(name, now, error, time.monotonic() - started, trigger)
        return {"error": str(error)}
    log.info("job %s (%s): %s", name, trigger, result)
    return result


def run_job(app: Flask, name: str, now: datetime | None = None, trigger: str = "manual") -> dict:
    """Push an app context (own database session) and run one job."""
    with app.app_context():
        try:
            return run_in_context(name, now, trigger)
        finally:
            db.session.remove()


# --- For the admin page and the runner ----------------------------------------------------


def last_runs() -> dict[str, JobRun]:
    return {row.name: row for row in db.session.scalars(select(JobRun))}


def is_due(
    job: Job, last_success: datetime | None, now: datetime, config: dict, zone: tzinfo
) -> bool:
    """Was a run of this job scheduled after its last successful run, up to now? (Never run:
    yes.) However many runs were missed, the answer is one run: they are coalesced."""
    if job.name == "deliver" or last_success is None:
        return True
    after = (last_success + timedelta(microseconds=1)).astimezone(zone)
    next_fire = job.trigger(config, zone).get_next_fire_time(None, after)
    return next_fire is not None and next_fire <= now


def next_run(job: Job, now: datetime, config: dict, zone: tzinfo) -> datetime | None:
    return job.trigger(config, zone).get_next_fire_time(None, now.astimezone(zone))
