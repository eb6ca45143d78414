"""The scheduler as users and operators meet it: the one-click link, the admin's outbox and
job pages, the opt-out, `flask scheduler --run-once` in real separate processes against the
same database and a real SMTP server, a process killed mid-delivery, and `make run`'s
development server running the scheduler exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import make_action, make_department, make_user
from tests.mailserver import free_port, mail_server  # noqa: F401 (fixture)
from tracker import clock
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.notifications import services as outbox
from tracker.notifications.models import OutboxMessage, OutboxStatus
from tracker.notifications.rendering import signed_link
from tracker.scheduler import jobs, runner
from tracker.scheduler.models import JobRun, SchedulerLease
from tracker.types import utcnow

ROOT = Path(__file__).resolve().parents[2]


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def team(ctx):
    ict = make_department("ICT", "ICT")
    director = make_user(Role.director, email="director@example.org", directs=[ict])
    owners = [
        make_user(Role.owner, email=f"owner{n}@example.org", name=f"Owner {n}", staff_of=[ict])
        for n in range(3)
    ]
    admin = make_user(Role.admin, email="admin@example.org")
    return {"ict": ict, "director": director, "owners": owners, "admin": admin}


def due_today(team) -> list:
    """One action per owner with a reminder point today (real clock): 3 and 14 days ahead."""
    today = clock.today()
    return [
        make_action(
            team["ict"],
            owner,
            title=f"Actie van {owner.name}",
            deadline=today + timedelta(days=(3, 14, 3)[n]),
        )
        for n, owner in enumerate(team["owners"])
    ]


# --- The one-click link -------------------------------------------------------------------


def test_the_update_link_needs_log_in_and_leads_to_the_update_form(team, client, app):
    [action, *_] = due_today(team)
    owner = team["owners"][0]
    link = signed_link(f"/actions/{action.id}#h-update", owner.id)
    path = link.removeprefix(app.config["BASE_URL"])
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    client.login(owner.email)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/actions/{action.id}#h-update"
    page = client.get(f"/actions/{action.id}").get_data(as_text=True)
    assert 'id="h-update"' in page


def test_a_forged_or_expired_update_link_leads_nowhere(team, client, app):
    [action, *_] = due_today(team)
    owner = team["owners"][0]
    link = signed_link(f"/actions/{action.id}", owner.id)
    client.login(owner.email)
    token = link.rsplit("/", 1)[1]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/u/{forged}").status_code == 404
    app.config["SIGNED_LINK_MAX_AGE_DAYS"] = -1
    try:
        expired = client.get(f"/u/{token}")
    finally:
        app.config["SIGNED_LINK_MAX_AGE_DAYS"] = 14
    assert expired.status_code == 410
    assert "Deze link is verlopen" in expired.get_data(as_text=True)


def test_someone_elses_link_gives_no_more_than_their_own_rights(team, client):
    from tracker.actions.models import Visibility

    action = make_action(team["ict"], team["owners"][0], visibility=Visibility.internal)
    link = signed_link(f"/actions/{action.id}", team["owners"][0].id)
    employee = make_user(Role.employee, email="nosy@example.org")
    client.login(employee.email)
    response = client.get(
        link.rsplit("/", 2)[0].removeprefix("http://127.0.0.1:5000")
        + "/u/"
        + link.rsplit("/", 1)[1]
    )
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 403


# --- The admin's pages --------------------------------------------------------------------


def test_admin_reads_the_outbox_without_a_mail_server(team, client, app):
    due_today(team)
    jobs.run_job(app, "reminders")
    client.login(team["admin"].email)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Er is geen mailserver ingesteld" in page
    assert page.count('data-status="held"') == 3
    message = outbox_rows()[0]
    detail = client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert "Beste Owner 0," in detail
    assert "Voortgang bijwerken" in detail
    # A held message cannot be "sent again" without a mail server.
    refused = client.post(f"/admin/outbox/{message.id}/retry", follow_redirects=True)
    assert "Er is geen mailserver ingesteld (MAIL_SERVER)" in refused.get_data(as_text=True)


def test_admin_sends_a_failed_message_again(team, client, app, mail_server):
    mail_server.recorder.refuse["owner0@example.org"] = "550 5.1.1 Unknown user"
    due_today(team)
    jobs.run_job(app, "reminders")
    jobs.run_job(app, "deliver")
    [failed] = [m for m in outbox_rows() if m.status is OutboxStatus.failed]
    client.login(team["admin"].email)
    page = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "550 5.1.1 Unknown user" in page
    assert page.count("data-message=") == 1
    del mail_server.recorder.refuse["owner0@example.org"]
    response = client.post(f"/admin/outbox/{failed.id}/retry", follow_redirects=True)
    assert "binnen een minuut opnieuw verstuurd" in response.get_data(as_text=True)
    jobs.run_job(app, "deliver")
    assert [m.to for m in mail_server.messages].count("owner0@example.org") == 1
    assert len(mail_server.messages) == 3


def test_admin_sees_the_jobs_and_runs_one_by_hand(team, client, app):
    due_today(team)
    client.login(team["admin"].email)
    page = client.get("/admin/jobs").get_data(as_text=True)
    for name in jobs.JOBS:
        assert f'data-job="{name}"' in page
    assert "Er draait op dit moment geen planner" in page
    # "Run now" queues the job for the scheduler and returns at once: nothing ran yet.
    response = client.post("/admin/jobs/reminders/run", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "zodra de planner weer draait" in text
    assert 'data-job-state="requested"' in text
    assert outbox_rows() == []
    assert jobs.requested_runs() == ["reminders"]
    # The scheduler's run answers the request.
    jobs.run_job(app, "reminders", trigger="manual")
    assert jobs.requested_runs() == []
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "berichten klaargezet: 3" in page and "data-job-state" not in page
    assert len(outbox_rows()) == 3
    run = db.session.get(JobRun, "reminders")
    db.session.refresh(run)
    assert run.last_trigger == "manual" and run.last_status == "ok"
    assert run.running_since is None
    assert client.post("/admin/jobs/nonsense/run").status_code == 404


def test_the_jobs_page_shows_the_active_scheduler(team, client, app):
    lease = runner.Lease(app, holder="host:1234:abcd")
    assert lease.acquire()
    client.login(team["admin"].email)
    assert "De planner draait (host:1234:abcd)." in client.get("/admin/jobs").get_data(as_text=True)


def test_owner_opts_out_of_the_weekly_overview_on_the_account_page(team, client):
    owner = team["owners"][0]
    client.login(owner.email)
    page = client.get("/account").get_data(as_text=True)
    assert "Stuur mij geen wekelijks overzicht van mijn acties" in page
    client.post(
        "/account", {"name": owner.name, "locale": "", "digest_opt_out": "y", "submit": "Opslaan"}
    )
    db.session.expire_all()
    assert db.session.get(User, owner.id).digest_opt_out is True
    client.post("/account", {"name": owner.name, "locale": "", "submit": "Opslaan"})
    db.session.expire_all()
    assert db.session.get(User, owner.id).digest_opt_out is False


# --- The lease ----------------------------------------------------------------------------


def test_only_one_holder_has_the_lease_until_it_expires_or_is_released(app, ctx):
    first, second = runner.Lease(app, "first"), runner.Lease(app, "second")
    now = utcnow()
    assert first.acquire(now)
    assert not second.acquire(now + timedelta(seconds=10))
    assert first.acquire(now + timedelta(seconds=20))  # renewed
    assert not second.acquire(now + timedelta(seconds=70))
    assert second.acquire(now + timedelta(seconds=81))  # expired: taken over
    assert not first.acquire(now + timedelta(seconds=82))
    second.release()
    assert first.acquire()
    assert db.session.scalar(select(SchedulerLease.holder)) == "first"


def test_the_lease_is_taken_by_one_of_many_at_once(app, ctx):
    taken = []

    def contender(number):
        if runner.Lease(app, f"contender-{number}").acquire():
            taken.append(number)

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 1


def test_a_standby_scheduler_takes_over_and_catches_up_once(team, app, mail_server):
    due_today(team)
    active, standby = runner.Runner(app), runner.Runner(app)
    active.tick()
    standby.tick()
    assert active.active and not standby.active
    standby.scheduled("reminders")  # its timer fires, but it is not the active one
    assert db.session.get(JobRun, "reminders") is None
    # The installation ran every job a week ago; then the active scheduler goes away (and
    # lets go of the lease) before today's runs.
    for name in jobs.JOBS:
        db.session.add(JobRun(name=name, last_success_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    active.stop()
    standby.tick()
    assert standby.active
    standby.catch_up()  # what its tick scheduled
    db.session.expire_all()
    runs = {run.name: run for run in db.session.scalars(select(JobRun))}
    assert set(runs) == set(jobs.JOBS)
    assert {run.last_trigger for run in runs.values()} == {"catch-up"}
    assert sorted(m.to for m in mail_server.messages if m.to.startswith("owner")) == [
        "owner0@example.org",
        "owner1@example.org",
        "owner2@example.org",
    ]
    standby.catch_up()  # nothing is due any more
    assert len([m for m in mail_server.messages if m.to.startswith("owner")]) == 3


def test_the_first_start_waits_for_each_jobs_time_instead_of_mailing_at_once(
    team, app, mail_server
):
    due_today(team)
    first = runner.Runner(app)
    first.tick()
    assert first.active
    first.catch_up()
    db.session.expire_all()
    runs = {run.name: run for run in db.session.scalars(select(JobRun))}
    assert set(runs) == set(jobs.JOBS)
    # Only the outbox ran; the others wait for their time (no digest on installation day).
    assert {name for name, run in runs.items() if run.last_run_at} == {"deliver"}
    assert all(run.last_success_at for run in runs.values())
    assert mail_server.messages == []
    first.stop()


# --- The command line ---------------------------------------------------------------------


def test_run_once_runs_what_is_due_and_delivers(team, app, mail_server):
    due_today(team)
    result = app.test_cli_runner().invoke(args=["scheduler", "--run-once"])
    assert result.exit_code == 0, result.output
    assert "reminders: queued=3" in result.output
    assert "deliver: sent=" in result.output
    assert sorted(
        m.to
        for m in mail_server.messages
        if "Herinnering" in m.message["Subject"] or "Deadline" in m.message["Subject"]
    ) == ["owner0@example.org", "owner1@example.org", "owner2@example.org"]
    again = app.test_cli_runner().invoke(args=["scheduler", "--run-once"])
    assert "reminders" not in again.output  # not due again today
    unknown = app.test_cli_runner().invoke(args=["scheduler", "--run-once", "--job", "nope"])
    assert unknown.exit_code != 0 and "Unknown job" in unknown.output


def test_run_once_stands_down_while_another_scheduler_is_active(team, app):
    due_today(team)
    assert runner.Lease(app, "the-active-one").acquire()
    result = app.test_cli_runner().invoke(args=["scheduler", "--run-once"])
    assert "Another scheduler is active" in result.output
    assert outbox_rows() == []


# --- Real processes against the same database ---------------------------------------------


def _environment(app, server) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "TRACKER_"))}
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="test-secret-key",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(server.port),
        MAIL_TIMEOUT="10",
        PYTHONUNBUFFERED="1",
    )
    env.pop("WERKZEUG_RUN_MAIN", None)
    return env


def _scheduler_process(app, server) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "scheduler", "--run-once"],
        cwd=ROOT,
        env=_environment(app, server),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_scheduler_processes_at_once_send_each_message_once(team, app, mail_server):
    due_today(team)
    processes = [_scheduler_process(app, mail_server) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    rows = outbox_rows()
    assert len([r for r in rows if r.kind == "reminder"]) == 3
    assert all(r.status is OutboxStatus.sent for r in rows)
    ids = Counter(m.message["Message-ID"] for m in mail_server.messages)
    assert len(mail_server.messages) == len(rows)
    assert set(ids) == {r.message_id for r in rows} and max(ids.values()) == 1
    # And once more later the same day: nothing new.
    later = _scheduler_process(app, mail_server)
    later.communicate(timeout=120)
    assert len(mail_server.messages) == len(rows)


def test_two_schedulers_ignoring_the_lease_still_send_each_message_once(team, app, mail_server):
    """The keys, not the lease, make it exactly once: two threads with their own sessions
    run every job at the same time."""
    due_today(team)
    now = utcnow()
    errors = []

    def scheduler():
        try:
            runner.run_due(app, now)
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    runner.run_due(app, now, only=["deliver"])  # what a losing run may have left
    rows = outbox_rows()
    assert len([r for r in rows if r.kind == "reminder"]) == 3
    ids = Counter(m.message["Message-ID"] for m in mail_server.messages)
    assert len(ids) == len(rows) and max(ids.values()) == 1


def test_a_process_killed_between_send_and_record_sends_no_duplicate(team, app, mail_server):
    """At most once: the message the SMTP server accepted just before the process died is
    not sent again (it is marked for the admin); the messages it had claimed but not handed
    over are sent after the restart, once."""
    due_today(team)
    process = None

    def kill_the_sender(received):
        if len(mail_server.messages) == 1:
            process.send_signal(signal.SIGKILL)
            process.wait()

    mail_server.recorder.on_data = kill_the_sender
    process = _scheduler_process(app, mail_server)
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL
    mail_server.recorder.on_data = None
    [first] = mail_server.messages
    rows = {r.message_id: r for r in outbox_rows()}
    assert rows[first.message["Message-ID"]].status is OutboxStatus.sending
    assert rows[first.message["Message-ID"]].handed_at is not None
    # The restart (after the sending time-out) recovers and sends the rest.
    restart = utcnow() + timedelta(seconds=app.config["OUTBOX_SENDING_TIMEOUT"] + 1)
    jobs.run_job(app, "deliver", restart)
    jobs.run_job(app, "deliver", restart + timedelta(minutes=5))
    ids = Counter(m.message["Message-ID"] for m in mail_server.messages)
    assert max(ids.values()) == 1
    assert set(ids) == set(rows)
    statuses = {r.message_id: r.status for r in outbox_rows()}
    assert statuses.pop(first.message["Message-ID"]) is OutboxStatus.failed
    assert set(statuses.values()) == {OutboxStatus.sent}
    failed = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.message_id == first.message["Message-ID"])
    )
    assert failed.last_error == outbox.INTERRUPTED


def _lease_holder() -> str | None:
    holder = db.session.scalar(
        select(SchedulerLease.holder).where(SchedulerLease.expires_at > utcnow())
    )
    db.session.rollback()
    return holder


def _wait_for(condition, what: str, output=lambda: ""):
    for _ in range(600):  # up to a minute
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"waited in vain for {what}\n{output()}")


def test_a_standby_scheduler_process_takes_over_when_the_active_one_stops(team, app, mail_server):
    due_today(team)
    env = {**_environment(app, mail_server), "SCHEDULER_LEASE_SECONDS": "3"}
    command = [sys.executable, "-m", "flask", "--app", "app", "scheduler"]
    # An installation whose jobs last ran a week ago (a first start would wait for their time).
    for name in jobs.JOBS:
        db.session.add(JobRun(name=name, last_success_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    first = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    second = None
    try:
        holder = _wait_for(_lease_holder, "the first scheduler to take the lease")
        assert f":{first.pid}:" in holder
        _wait_for(
            lambda: len([m for m in mail_server.messages if m.to.startswith("owner")]) == 3,
            "the first scheduler to catch up and send the reminders",
        )
        second = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        time.sleep(2)  # a few of its lease ticks: it stands by
        assert f":{first.pid}:" in _lease_holder()
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
        _wait_for(lambda: f":{second.pid}:" in (_lease_holder() or ""), "the standby to take over")
        time.sleep(2)  # its catch-up: nothing is due again
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
    assert second.returncode == 0
    assert len([m for m in mail_server.messages if m.to.startswith("owner")]) == 3
    assert _lease_holder() is None  # both let go when they stopped


class StallingMailServer:
    """Accepts SMTP connections and never answers: the worst mail server there is."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        for connection in [self.listener, *self.connections]:
            connection.close()


def test_a_mail_server_that_never_answers_holds_up_only_the_outbox(team, app, monkeypatch):
    """The outbox has its own thread and the SMTP time-out ends its wait; meanwhile a job
    asked for on the jobs page runs (the page itself only queued it)."""
    stalling = StallingMailServer()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", stalling.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 8)
    monkeypatch.setitem(app.config, "SCHEDULER_LEASE_SECONDS", 3)  # a tick every second
    due_today(team)
    jobs.run_job(app, "reminders")  # three messages wait in the outbox
    scheduler = runner.Runner(app)
    scheduler.start()
    try:
        _wait_for(
            lambda: stalling.connections and _running("deliver"),
            "the outbox job to hang on the mail server",
        )
        jobs.request_run("housekeeping")
        db.session.commit()
        _wait_for(
            lambda: _last_run("housekeeping") is not None,
            "the requested job to run beside the hanging outbox",
        )
        assert _running("deliver"), "the outbox was still waiting for the mail server"
        # The time-out ends the wait: the messages are postponed, not lost.
        _wait_for(lambda: not _running("deliver"), "the SMTP time-out to end the wait")
        rows = outbox_rows()
        assert rows and all(r.status is not OutboxStatus.sent for r in rows)
        assert any("timed out" in (r.last_error or "").lower() for r in rows)
    finally:
        scheduler.stop()
        stalling.close()


def _running(name: str) -> bool:
    running = db.session.scalar(select(JobRun.running_since).where(JobRun.name == name))
    db.session.rollback()
    return running is not None


def _last_run(name: str):
    last = db.session.scalar(select(JobRun.last_run_at).where(JobRun.name == name))
    db.session.rollback()
    return last


# --- make run: the scheduler inside the development server --------------------------------


@pytest.mark.parametrize("reload", [True, False], ids=["reloader", "no-reloader"])
def test_the_development_server_runs_the_scheduler_exactly_once(app, ctx, reload):
    # Jobs that last ran a week ago: the first tick catches each up once.
    for name in jobs.JOBS:
        db.session.add(JobRun(name=name, last_success_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    port = free_port()
    env = _environment(app, type("NoServer", (), {"port": 1})())
    env.pop("MAIL_SERVER")
    env["TRACKER_SCHEDULER"] = "1"
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "app",
        "run",
        "--port",
        str(port),
        "--reload" if reload else "--no-reload",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True
    )
    reader.start()
    try:
        for _ in range(600):  # up to a minute for the server and the first lease tick
            holder = db.session.scalar(select(SchedulerLease.holder))
            db.session.rollback()
            if holder and _serving(port):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the development server did not start a scheduler:\n" + "".join(lines))
        for _ in range(600):  # the active scheduler catches up: every job runs once
            runs = db.session.scalars(
                select(JobRun.last_trigger).where(JobRun.last_run_at.is_not(None))
            ).all()
            db.session.rollback()
            if len(runs) == len(jobs.JOBS):  # every job has finished a run
                break
            time.sleep(0.1)
        assert set(runs) == {"catch-up"}
        # A while for a second (wrong) scheduler to show itself.
        time.sleep(1.5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        reader.join(timeout=10)
    started = [line for line in lines if "Scheduler running in this process" in line]
    assert len(started) == 1, "".join(lines)
    pid = int(started[0].split("pid ")[1].split(")")[0])
    assert f":{pid}:" in holder
    assert (pid != process.pid) is reload  # with the reloader: in the serving child


def _serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_create_app_never_starts_a_scheduler(app):
    assert runner._started is None
    assert not runner.serving_process()
