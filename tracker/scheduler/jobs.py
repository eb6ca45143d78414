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
from datetime import date, datetime, timedelta, timezone, tzinfo
from datetime import time as dt_time

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
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
    from tracker.operations.retention import apply_retention

    return {f"{kind}_removed": count for kind, count in apply_retention(now).items()}


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


class WallClockTrigger(BaseTrigger):
    """Every day (or on one weekday) at a wall-clock time of the organisation's zone, once a
    day also when the clocks change: a time in the skipped hour (02:30 in late March) runs
    just after the gap, at 03:30; a time in the repeated hour (02:30 in late October) runs
    the first time only. (APScheduler's CronTrigger with a zoneinfo zone fires twice there.)"""

    def __init__(self, hour: int, minute: int, zone: tzinfo, weekday: int | None = None):
        self.at = dt_time(hour, minute)
        self.zone = zone
        self.weekday = weekday

    def moment(self, day: date) -> datetime:
        """The day's fire time: fold=0 is the first of a repeated time, and for a skipped
        time the offset before the change, which lands just after the gap."""
        return datetime.combine(day, self.at, tzinfo=self.zone).astimezone(timezone.utc)

    def get_next_fire_time(self, previous_fire_time, now):
        after = previous_fire_time if previous_fire_time is not None else None
        day = now.astimezone(self.zone).date() - timedelta(days=1)
        for offset in range(9):
            candidate_day = day + timedelta(days=offset)
            if self.weekday is not None and candidate_day.weekday() != self.weekday:
                continue
            fire = self.moment(candidate_day)
            if fire >= now and (after is None or fire > after):
                return fire.astimezone(self.zone)
        return None

    def __str__(self) -> str:
        return f"wall clock {self.at:%H:%M}" + (
            f" on weekday {self.weekday}" if self.weekday is not None else ""
        )


def _daily(minute: int, hour_offset: int = 0):
    return lambda config, zone: WallClockTrigger(
        (int(config["SCHEDULER_HOUR"]) + hour_offset) % 24, minute, zone
    )


def _weekly(minute: int):
    return lambda config, zone: WallClockTrigger(
        int(config["SCHEDULER_HOUR"]), minute, zone, weekday=int(config["DIGEST_WEEKDAY"]) % 7
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
            _l("Delete what is past its retention period (privacy statement)"),
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
                running_since=None,
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job %s: could not record its error", name)


def _start(name: str, now: datetime) -> bool:
    """Mark the job as running, unless a run of it is under way (compare-and-set: of two at
    once, one starts). Clears a "run now" request: this run answers it. A run that started
    longer ago than OUTBOX_SENDING_TIMEOUT never finished (its process was killed) and no
    longer counts, as for the messages it had claimed."""
    outbox.insert_or_ignore(JobRun.__table__, {"name": name}, ["name"])
    db.session.commit()
    stale = now - timedelta(seconds=int(current_app.config["OUTBOX_SENDING_TIMEOUT"]))
    started = db.session.execute(
        update(JobRun)
        .where(
            JobRun.name == name,
            (JobRun.running_since.is_(None)) | (JobRun.running_since < stale),
        )
        .values(running_since=now, requested_at=None),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    return started == 1


def run_in_context(name: str, now: datetime | None = None, trigger: str = "manual") -> dict:
    """Run one job in the current app context and record it; commits. Returns what it did
    ({"queued": 3}, {"sent": 2, ...}), {"running": 1} when a run of it is still under way,
    {"skipped": 1} when another run finished the same work first, or {"error": "..."} (also
    recorded and logged)."""
    job = JOBS[name]
    now = now or utcnow()
    started = time.monotonic()
    try:
        if not _start(name, now):
            log.info("job %s (%s): a run is still under way", name, trigger)
            return {"running": 1}
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
                running_since=None,
            ),
            execution_options={"synchronize_session": False},
        ).rowcount
        if moved != 1:
            # Another run of this job finished in the meantime: its work counts, not ours.
            db.session.rollback()
            _finish(name)
            log.info("job %s: another run got there first; nothing done", name)
            return {"skipped": 1}
        db.session.commit()
    except Exception as error:  # a job's failure is recorded and shown, never fatal
        log.exception("job %s failed", name)
        _record_error(name, now, error, time.monotonic() - started, trigger)
        return {"error": str(error)}
    log.info("job %s (%s): %s", name, trigger, result)
    return result


def _finish(name: str) -> None:
    db.session.execute(
        update(JobRun).where(JobRun.name == name).values(running_since=None),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()


def request_run(name: str, now: datetime | None = None) -> None:
    """ "Run now": the active scheduler picks it up at its next tick."""
    outbox.insert_or_ignore(JobRun.__table__, {"name": name}, ["name"])
    db.session.execute(
        update(JobRun).where(JobRun.name == name).values(requested_at=now or utcnow()),
        execution_options={"synchronize_session": False},
    )


def requested_runs() -> list[str]:
    """Jobs someone asked to run now, oldest request first."""
    return list(
        db.session.scalars(
            select(JobRun.name)
            .where(JobRun.requested_at.is_not(None))
            .order_by(JobRun.requested_at)
        )
    )


def plan_first_runs(now: datetime) -> list[str]:
    """On a scheduler's very first start: jobs that never ran wait for their time instead
    of running at once (no weekly digest on the day of installation). Returns their names."""
    known = set(db.session.scalars(select(JobRun.name)))
    planned = [name for name in JOBS if name not in known and name != "deliver"]
    for name in planned:
        outbox.insert_or_ignore(JobRun.__table__, {"name": name, "last_success_at": now}, ["name"])
    db.session.commit()
    return planned


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
