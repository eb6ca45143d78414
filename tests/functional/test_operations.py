"""Production path: health and readiness, backup and restore, the request log."""

import logging

from sqlalchemy import inspect, select, text

from tests.factories import make_user
from tracker.auth.models import Role, User
from tracker.extensions import db


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_ready_without_any_scheduler_and_the_scheduler_has_its_own_check(ctx, client):
    from datetime import timedelta

    from tracker.scheduler.models import SchedulerLease
    from tracker.types import utcnow

    # A web server with no scheduler anywhere: ready (a load balancer keeps it in rotation).
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json["status"] == "ready"
    assert response.json["checks"]["database"]["ok"] is True
    assert response.json["checks"]["migrations"]["ok"] is True
    assert "scheduler" not in response.json["checks"]
    # The scheduler's own check says no scheduler has run, and why.
    scheduler = client.get("/readyz/scheduler")
    assert scheduler.status_code == 503
    assert scheduler.json["checks"]["scheduler"]["detail"] == "no scheduler has run"
    lease = SchedulerLease(
        name="scheduler", holder="tracker-host-7:4242", expires_at=utcnow() + timedelta(seconds=60)
    )
    db.session.add(lease)
    db.session.commit()
    fresh = client.get("/readyz/scheduler")
    assert fresh.status_code == 200 and fresh.json["status"] == "ready"
    # No host names or process ids for anonymous callers.
    assert "tracker-host-7" not in fresh.get_data(as_text=True)
    assert "4242" not in fresh.get_data(as_text=True)
    lease.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert client.get("/readyz/scheduler").status_code == 503
    assert client.get("/readyz").status_code == 200


def _snapshot():
    """Every row of every table, in a comparable form."""
    tables = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        tables[table.name] = [tuple(row) for row in rows]
    return tables


def test_backup_and_restore_round_trip_every_table(ctx, app, tmp_path):
    from tracker import demo

    demo.load()
    db.session.commit()
    before = _snapshot()
    assert sum(len(rows) for rows in before.values()) > 500
    runner = app.test_cli_runner()
    path = tmp_path / "tracker.backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0

    # Damage: remove a user's memberships and the user, change a department.
    db.session.execute(text("DELETE FROM department_membership"))
    db.session.execute(text("UPDATE department SET name = name || ' kapot'"))
    db.session.commit()
    assert _snapshot() != before
    # Even written as raw SQL, the damage moved the data version.
    assert _snapshot()["data_version"] != before["data_version"]

    db.session.remove()
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    after = _snapshot()
    # The data version moved past anything seen before the restore (caches are stale).
    assert after.pop("data_version")[0][1] > before.pop("data_version")[0][1] + 1000
    assert after == before
    assert set(inspect(db.engine).get_table_names()) >= {t.name for t in db.metadata.sorted_tables}


def test_restore_refuses_a_missing_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "none"), "--yes"])
    assert result.exit_code != 0


def test_every_request_is_logged_without_secrets(ctx, client, caplog):
    make_user(Role.employee, email="log@example.org")
    with caplog.at_level(logging.INFO, logger="tracker.requests"):
        client.login("log@example.org")
        client.get("/departments?zoek=geheim")
    lines = [r.getMessage() for r in caplog.records if r.name == "tracker.requests"]
    assert any(line.startswith("POST /login 302") for line in lines)
    user_id = db.session.scalar(select(User.id).where(User.email == "log@example.org"))
    assert any(
        line.startswith("GET /departments 200") and f"user={user_id}" in line for line in lines
    )
    joined = "\n".join(lines)
    assert "correct horse" not in joined and "geheim" not in joined


def test_request_imports_and_scheduler_log_at_info_without_further_setup(app):
    # Under gunicorn nobody configures logging: the tracker's loggers must still pass INFO
    # lines to a handler.
    for name in ("tracker.requests", "tracker.imports", "tracker.scheduler"):
        assert logging.getLogger(name).isEnabledFor(logging.INFO), name
    assert app.logger.hasHandlers(), "no handler for the tracker's logger"


def test_metrics_count_requests_per_route_and_read_jobs_outbox_and_data_version(ctx, client, app):
    from datetime import timedelta

    from tracker.notifications import services as outbox
    from tracker.scheduler.models import JobRun, SchedulerLease
    from tracker.types import utcnow

    client.get("/healthz")
    client.get("/healthz")
    outbox.enqueue(
        outbox.OutgoingMessage(
            key="k1",
            kind="reminder",
            to_email="a@example.org",
            to_name="A",
            locale="nl",
            subject="S",
            text="T",
        )
    )
    db.session.add(
        JobRun(name="reminders", last_status="error", last_success_at=utcnow() - timedelta(days=1))
    )
    db.session.add(
        SchedulerLease(
            name="scheduler",
            holder="tracker-host-7:4242",
            expires_at=utcnow() + timedelta(seconds=60),
        )
    )
    db.session.commit()
    response = client.get("/metrics")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    healthz = [
        line
        for line in body.splitlines()
        if line.startswith("tracker_requests_total{") and 'route="/healthz"' in line
    ]
    assert healthz and float(healthz[0].rsplit(" ", 1)[1]) >= 2
    assert "tracker_request_duration_seconds_bucket{" in body
    assert 'tracker_job_failing{job="reminders"} 1.0' in body
    assert 'tracker_outbox_messages{status="held"} 1.0' in body
    assert "tracker_scheduler_lease_expires_timestamp_seconds" in body
    assert "tracker_data_version" in body
    # Nothing about the host, the process or the libraries.
    for secret in ("tracker-host-7", ":4242", "python_info", "process_", "/work", 'version="'):
        assert secret not in body
    # Only the allowed networks.
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert outside.status_code == 404
    app.config["METRICS_ALLOW"] = "10.0.0.0/8"
    try:
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
        assert client.get("/metrics").status_code == 404
    finally:
        app.config["METRICS_ALLOW"] = "127.0.0.1/32,::1/128"


def _log_lines(app, run) -> list[dict]:
    """What the tracker's own handler writes while `run()` runs, as parsed JSON lines."""
    import io
    import json

    from flask.logging import default_handler

    stream = io.StringIO()
    previous = default_handler.setStream(stream)
    try:
        run()
    finally:
        default_handler.setStream(previous)
    text_out = stream.getvalue()
    lines = [line for line in text_out.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_log_lines_are_json_with_the_request_id_and_typed_line_breaks_stay_inside(ctx, app, client):
    make_user(email="eva@example.org")
    db.session.commit()
    responses = []
    forged = 'x@example.org\n{"level": "INFO", "message": "login user_id=1"}'
    lines = _log_lines(app, lambda: responses.append(client.login(forged, "wrong")))
    request_id = responses[0].headers["X-Request-ID"]
    assert len(request_id) == 32
    failed = [entry for entry in lines if "login failed" in entry["message"]]
    assert failed and failed[0]["request_id"] == request_id
    assert failed[0]["logger"] == "tracker.security" and "\n" in failed[0]["message"]
    request_line = next(
        e
        for e in lines
        if e["logger"] == "tracker.requests"
        and e.get("route") == "/login"
        and e["method"] == "POST"
    )
    assert request_line["status"] == 200 and request_line["request_id"] == request_id
    assert "duration_ms" in request_line and request_line["user_id"] is None


def test_a_request_id_is_taken_from_a_trusted_proxy_only(app, client):
    given = {"X-Request-ID": "lb-7f3a.42"}
    assert client.get("/healthz", headers=given).headers["X-Request-ID"] != "lb-7f3a.42"
    app.config["PROXY_FIX"] = True
    try:
        assert client.get("/healthz", headers=given).headers["X-Request-ID"] == "lb-7f3a.42"
        odd = client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 80})
        assert odd.headers["X-Request-ID"] != "<script>" + "x" * 80
    finally:
        app.config["PROXY_FIX"] = False


def test_secret_links_are_not_written_to_the_log(ctx, app, client):
    token = "geheim-token-dat-niet-in-het-log-mag-1234567890"
    lines = _log_lines(app, lambda: client.get(f"/set-password/{token}"))
    assert lines and all(token not in json_line_text for json_line_text in map(str, lines))
    assert any(e.get("path") == "/set-password/…" for e in lines)


def test_hsts_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://tracker.example.org")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "camera=()" in secure.headers["Permissions-Policy"]


def test_the_error_page_shows_the_request_id(app):
    from tracker import create_app

    other = create_app(
        {
            key: app.config[key]
            for key in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "PASSWORD_HASH_METHOD")
        }
    )

    @other.route("/__boom_for_test")
    def boom():
        raise RuntimeError("boom")

    response = other.test_client().get("/__boom_for_test")
    with other.app_context():
        db.engine.dispose()
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] in response.get_data(as_text=True)
