"""The scheduler's state in the database: who may run jobs (a lease) and when each job last
ran (so runs missed while nothing was running are caught up once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.types import UTCDateTime


class SchedulerLease(db.Model):
    """Only the holder of an unexpired lease runs jobs; it renews it while it lives."""

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: host:pid:random of the process holding it.
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JobRun(db.Model):
    """The last run of one job."""

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The clock of the last successful run: the next run covers the days after it.
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: ok, error
    last_status: Mapped[str | None] = mapped_column(String(20))
    #: What the run did ("3 messages queued") or, after an error, the error.
    last_message: Mapped[str | None] = mapped_column(Text)
    last_duration: Mapped[float | None]
    #: manual, schedule, catch-up, once
    last_trigger: Mapped[str | None] = mapped_column(String(20))
    #: Set while a run is under way: a run that starts meanwhile is "still running".
    running_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: "Run now" on the jobs page: the scheduler runs it at its next tick (never the web
    #: request, which a slow mail server would hold up).
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
