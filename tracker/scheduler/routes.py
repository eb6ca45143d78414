"""The admin's list of scheduled jobs: last and next run, which scheduler is active, and a
button to run a job now."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tracker import clock
from tracker.auth.forms import ConfirmForm
from tracker.auth.models import Role
from tracker.auth.permissions import role_required
from tracker.extensions import db
from tracker.rendering import provide_page_context
from tracker.scheduler import jobs
from tracker.scheduler.models import JobRun, SchedulerLease
from tracker.scheduler.runner import current_lease
from tracker.types import utcnow

bp = Blueprint("scheduler", __name__)


@bp.record_once
def _for_operations(state) -> None:
    """Operations' health check and metrics report on the scheduler, which is above them (it
    runs their jobs) and so is not imported by them: it provides its state."""
    provide_page_context(
        state.app, "operations.scheduler_ready", lambda: {"lease_expires_at": _lease_expires()}
    )
    provide_page_context(
        state.app,
        "operations.metrics",
        lambda: {
            "job_runs": db.session.execute(
                select(JobRun.name, JobRun.last_success_at, JobRun.last_status)
            ).all(),
            "lease_expires_at": _lease_expires(),
        },
    )


def _lease_expires():
    """Until when the latest heartbeat holds the lease (None: no scheduler has run)."""
    return db.session.scalar(select(func.max(SchedulerLease.expires_at)))


RESULT_LABELS = {
    "queued": _l("messages queued"),
    "sent": _l("sent"),
    "failed": _l("failed"),
    "postponed": _l("postponed"),
    "interrupted": _l("interrupted"),
    "agendas": _l("agendas"),
    "login_attempts_removed": _l("old log-in attempts removed"),
    "audit_events_removed": _l("old audit records removed"),
    "raw_comments_removed": _l("old survey comments removed"),
    "reactions_of_people_who_left_removed": _l("comments of people who left removed"),
    "uploads_removed": _l("unconfirmed uploads removed"),
    "skipped": _l("skipped, another run did it"),
    "running": _l("still running"),
}


def describe_result(result: dict) -> str:
    if "error" in result:
        return _("Error: %(error)s", error=result["error"])
    return ", ".join(
        f"{RESULT_LABELS.get(key, key)}: {value}" for key, value in result.items()
    ) or _("nothing to do")


@bp.app_template_filter("job_result")
def job_result(stored: str | None) -> str:
    if not stored:
        return ""
    try:
        result = json.loads(stored)
    except ValueError:
        return stored
    return describe_result(result) if isinstance(result, dict) else stored


@bp.route("/admin/jobs")
@role_required(Role.admin)
def job_list():
    now = utcnow()
    zone = clock.zone()
    runs = jobs.last_runs()
    rows = [
        {
            "job": job,
            "run": runs.get(name),
            "next": jobs.next_run(job, now, current_app.config, zone),
        }
        for name, job in jobs.JOBS.items()
    ]
    lease = current_lease()
    return render_template(
        "scheduler/jobs.html",
        rows=rows,
        lease=lease,
        lease_active=lease is not None and lease.expires_at > now,
        form=ConfirmForm(),
    )


@bp.route("/admin/jobs/<job>/run", methods=["POST"])
@role_required(Role.admin)
def run_job(job: str):
    """Queue the job for the scheduler and return at once: a web request never waits for a
    job (a mail server that does not answer would hold it up for minutes)."""
    name = job
    if name not in jobs.JOBS:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("scheduler.job_list"))
    jobs.request_run(name)
    db.session.commit()
    lease = current_lease()
    if lease is not None and lease.expires_at > utcnow():
        flash(
            _(
                "%(job)s will run within a minute; this page shows when it is done.",
                job=jobs.JOBS[name].label,
            ),
            "success",
        )
    else:
        flash(
            _(
                "%(job)s will run as soon as the scheduler runs again: no scheduler is "
                "running at the moment.",
                job=jobs.JOBS[name].label,
            ),
            "warning",
        )
    return redirect(url_for("scheduler.job_list"))
