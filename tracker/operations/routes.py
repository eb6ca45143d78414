"""Health for load balancers and monitoring: /healthz (the process answers, no database),
/readyz (the database answers and the schema is at the newest migration: this web server can
serve, whether or not a scheduler runs anywhere) and /readyz/scheduler (the active
scheduler's lease was renewed recently). Anonymous answers name no host, process, path or
library version."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import text

from tracker.extensions import db
from tracker.rendering import page_context
from tracker.types import utcnow

bp = Blueprint("operations", __name__)


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")


def _migrations_at_head() -> tuple[bool, str]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    heads = set(script.get_heads())
    return current == heads, ",".join(sorted(current)) or "none"


def _scheduler_fresh() -> tuple[bool, str]:
    # The scheduler runs this area's jobs, so it is above it: it provides its lease.
    expires_at = page_context("operations.scheduler_ready").get("lease_expires_at")
    if expires_at is None:
        return False, "no scheduler has run"
    grace = timedelta(seconds=current_app.config.get("READYZ_LEASE_GRACE_SECONDS", 300))
    if expires_at + grace < utcnow():
        return False, f"last heartbeat {expires_at.isoformat()}"
    return True, f"heartbeat until {expires_at.isoformat()}"


def _answer(checks: dict):
    ready = all(check["ok"] for check in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@bp.route("/readyz")
def readyz():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
        ok, detail = _migrations_at_head()
        checks["migrations"] = {"ok": ok, "detail": detail}
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", with the reason
        db.session.rollback()
        checks["database"] = {"ok": False, "detail": type(error).__name__}
    return _answer(checks)


@bp.route("/readyz/scheduler")
def scheduler_ready():
    checks = {}
    try:
        ok, detail = _scheduler_fresh()
        checks["scheduler"] = {"ok": ok, "detail": detail}
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        checks["database"] = {"ok": False, "detail": type(error).__name__}
    return _answer(checks)


@bp.route("/metrics")
def metrics():
    from tracker.operations import metrics as prometheus

    return prometheus.answer(request.remote_addr, current_app.config["METRICS_ALLOW"])
