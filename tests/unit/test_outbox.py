"""The outbox and SMTP delivery, against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import socket
import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.mailserver import MailServer, mail_server  # noqa: F401 (fixture)
from tracker.extensions import db
from tracker.notifications import services
from tracker.notifications.models import OutboxMessage, OutboxStatus
from tracker.notifications.rendering import message_id_for

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def message(
    key="reminder:user:1:2026-03-02",
    to="eva@example.org",
    name="Eva de Vries",
    subject="Deadline today: terugbellen",
    **extra,
) -> services.OutgoingMessage:
    return services.OutgoingMessage(
        key=key,
        kind="reminder",
        to_email=to,
        to_name=name,
        locale="nl",
        subject=subject,
        text="Hallo Eva,\n\nDe deadline is vandaag.\n",
        html="<p>Hallo Eva,</p>",
        **extra,
    )


def stored(key=None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if key:
        query = query.where(OutboxMessage.key == key)
    return list(db.session.scalars(query))


def test_enqueue_stores_a_key_once(ctx, mail_server):
    assert services.enqueue(message(), NOW) is True
    assert services.enqueue(message(subject="something else"), NOW) is False
    db.session.commit()
    rows = stored()
    assert len(rows) == 1
    assert rows[0].subject == "Deadline today: terugbellen"
    assert rows[0].status is OutboxStatus.pending
    assert rows[0].message_id == message_id_for("reminder:user:1:2026-03-02")
    assert services.existing_keys(["reminder:user:1:2026-03-02", "other"]) == {
        "reminder:user:1:2026-03-02"
    }


def test_without_a_mail_server_messages_are_held_in_the_outbox(ctx, app):
    assert app.config["MAIL_SERVER"] is None
    services.enqueue(message(), NOW)
    db.session.commit()
    report = services.deliver_due(NOW + timedelta(hours=1))
    assert report.sent == 0 and report.connections == 0
    [row] = stored()
    assert row.status is OutboxStatus.held
    assert row.last_error == services.NO_MAIL_SERVER


def test_each_message_is_delivered_once_over_one_connection(ctx, mail_server):
    for number in range(3):
        services.enqueue(message(key=f"k{number}", to=f"p{number}@example.org"), NOW)
    db.session.commit()
    report = services.deliver_due(NOW)
    assert (report.sent, report.failed, report.postponed, report.connections) == (3, 0, 0, 1)
    assert mail_server.connections == 1
    assert sorted(m.to for m in mail_server.messages) == [
        "p0@example.org",
        "p1@example.org",
        "p2@example.org",
    ]
    assert all(row.status is OutboxStatus.sent and row.sent_at == NOW for row in stored())
    again = services.deliver_due(NOW + timedelta(hours=1))
    assert again.sent == 0
    assert len(mail_server.messages) == 3


def test_the_message_is_multipart_with_stable_headers_and_attachment(ctx, mail_server, app):
    app.config["MAIL_DEFAULT_SENDER"] = "Gemeente Zuiderveen <tracker@zuiderveen.example>"
    try:
        services.enqueue(
            message(
                attachments=[
                    services.Attachment(
                        "deadlines.ics", "text/calendar", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
                    )
                ]
            ),
            NOW,
        )
        db.session.commit()
        services.deliver_due(NOW)
    finally:
        app.config["MAIL_DEFAULT_SENDER"] = "Tracker <tracker@localhost>"
    [received] = mail_server.messages
    email = received.message
    assert received.mail_from == "tracker@zuiderveen.example"
    assert received.rcpt_tos == ["eva@example.org"]
    assert received.tls is False
    assert email["To"] == "Eva de Vries <eva@example.org>"
    assert email["From"] == "Gemeente Zuiderveen <tracker@zuiderveen.example>"
    assert email["Subject"] == "Deadline today: terugbellen"
    assert email["Message-ID"] == message_id_for("reminder:user:1:2026-03-02")
    assert email["Auto-Submitted"] == "auto-generated"
    assert "De deadline is vandaag." in received.text()
    assert "<p>Hallo Eva,</p>" in received.html()
    [attachment] = list(email.iter_attachments())
    assert attachment.get_filename() == "deadlines.ics"
    assert attachment.get_content_type() == "text/calendar"


def test_titles_and_names_cannot_inject_headers(ctx, mail_server):
    services.enqueue(
        message(
            subject="Terugbellen\r\nBcc: spy@evil.example\r\n\r\nnep-inhoud",
            name="Eva\nBcc: spy2@evil.example",
        ),
        NOW,
    )
    db.session.commit()
    assert services.deliver_due(NOW).sent == 1
    [received] = mail_server.messages
    assert received.rcpt_tos == ["eva@example.org"]
    assert received.message["Bcc"] is None
    header_block = received.raw.replace(b"\r\n", b"\n").split(b"\n\n")[0]
    assert not [line for line in header_block.splitlines() if line.lower().startswith(b"bcc")]
    assert received.message["Subject"] == "Terugbellen Bcc: spy@evil.example nep-inhoud"
    assert "\n" not in received.message["To"]
    assert received.message["To"].addresses[0].addr_spec == "eva@example.org"


def test_a_permanent_refusal_fails_that_message_only(ctx, mail_server):
    mail_server.recorder.refuse["gone@example.org"] = "550 5.1.1 No such user here"
    services.enqueue(message(key="a", to="first@example.org"), NOW)
    services.enqueue(message(key="b", to="gone@example.org"), NOW)
    services.enqueue(message(key="c", to="last@example.org"), NOW)
    db.session.commit()
    report = services.deliver_due(NOW)
    assert (report.sent, report.failed, report.connections) == (2, 1, 1)
    rows = {row.key: row for row in stored()}
    assert rows["b"].status is OutboxStatus.failed
    assert rows["b"].last_error.startswith("550")
    assert rows["a"].status is rows["c"].status is OutboxStatus.sent
    assert sorted(m.to for m in mail_server.messages) == ["first@example.org", "last@example.org"]
    # Failed for good: a later run does not try again.
    assert services.deliver_due(NOW + timedelta(days=1)).failed == 0
    assert len(mail_server.messages) == 2


def test_a_temporary_refusal_is_retried_with_back_off(ctx, mail_server):
    mail_server.recorder.refuse["busy@example.org"] = "451 4.3.0 Try again later"
    services.enqueue(message(key="busy", to="busy@example.org"), NOW)
    services.enqueue(message(key="fine", to="fine@example.org"), NOW)
    db.session.commit()
    first = services.deliver_due(NOW)
    assert (first.sent, first.postponed) == (1, 1)
    [busy] = stored("busy")
    assert busy.status is OutboxStatus.pending
    assert busy.attempts == 1
    assert busy.last_error.startswith("451")
    assert busy.next_attempt_at == NOW + timedelta(seconds=60)
    # Not due yet: nothing is tried.
    assert services.deliver_due(NOW + timedelta(seconds=30)).postponed == 0
    # Still refused at the second attempt: the wait doubles.
    services.deliver_due(NOW + timedelta(seconds=60))
    [busy] = stored("busy")
    assert busy.attempts == 2
    assert busy.next_attempt_at == NOW + timedelta(seconds=60 + 120)
    del mail_server.recorder.refuse["busy@example.org"]
    assert services.deliver_due(NOW + timedelta(seconds=180)).sent == 1
    assert [m.to for m in mail_server.messages].count("busy@example.org") == 1
    assert [m.to for m in mail_server.messages].count("fine@example.org") == 1


def test_server_down_during_a_run_then_back_everything_arrives_once(ctx, mail_server):
    for number in range(4):
        services.enqueue(message(key=f"k{number}", to=f"p{number}@example.org"), NOW)
    db.session.commit()
    mail_server.stop()
    down = services.deliver_due(NOW)
    assert (down.sent, down.postponed, down.connections) == (0, 4, 0)
    rows = stored()
    assert all(r.status is OutboxStatus.pending and r.attempts == 1 for r in rows)
    assert all("Connection" in r.last_error or "Errno" in r.last_error for r in rows)
    mail_server.start()  # same port, same recorder
    assert services.deliver_due(NOW + timedelta(seconds=30)).sent == 0  # back-off
    back = services.deliver_due(NOW + timedelta(minutes=2))
    assert back.sent == 4
    assert sorted(m.to for m in mail_server.messages) == [f"p{n}@example.org" for n in range(4)]
    assert services.deliver_due(NOW + timedelta(hours=2)).sent == 0
    assert len(mail_server.messages) == 4


@pytest.fixture
def silent_server(app):
    """Accepts connections and never answers: every SMTP command times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT")}
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=listener.getsockname()[1], MAIL_TIMEOUT=0.5
    )
    yield accepted
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()
    app.config.update(saved)


def test_a_time_out_is_a_temporary_failure(ctx, silent_server):
    services.enqueue(message(), NOW)
    db.session.commit()
    report = services.deliver_due(NOW)
    assert report.postponed == 1 and report.sent == 0
    [row] = stored()
    assert row.status is OutboxStatus.pending
    assert "timed out" in row.last_error.lower() or "timeout" in row.last_error.lower()
    assert len(silent_server) == 1


def test_interrupted_runs_are_recovered_at_most_once(ctx, mail_server, app):
    """A run that died left one message claimed but not handed over (certainly not sent)
    and one handed over (maybe sent): the first goes out, the second is not sent again."""
    services.enqueue(message(key="claimed", to="claimed@example.org"), NOW)
    services.enqueue(message(key="handed", to="handed@example.org"), NOW)
    db.session.commit()
    claimed = services.claim(NOW, 10)
    assert [m.key for m in claimed] == ["claimed", "handed"]
    assert services._hand_over(claimed[1], NOW)
    # Another run before the timeout leaves them alone: their run may still be alive.
    assert services.deliver_due(NOW + timedelta(minutes=5)).sent == 0
    later = NOW + timedelta(seconds=app.config["OUTBOX_SENDING_TIMEOUT"] + 1)
    report = services.deliver_due(later)
    assert (report.recovered, report.interrupted, report.sent) == (1, 1, 1)
    assert [m.to for m in mail_server.messages] == ["claimed@example.org"]
    [handed] = stored("handed")
    assert handed.status is OutboxStatus.failed
    assert handed.last_error == services.INTERRUPTED
    # An admin decides to send it again: same Message-ID.
    services.retry(handed, later)
    db.session.commit()
    assert services.deliver_due(later).sent == 1
    assert mail_server.messages[-1].message["Message-ID"] == message_id_for("handed")


def test_a_claim_taken_away_is_not_sent_by_the_old_run(ctx, mail_server, app):
    services.enqueue(message(key="slow"), NOW)
    db.session.commit()
    [claimed] = services.claim(NOW, 10)
    # What the old (slow) run holds in memory.
    old = SimpleNamespace(id=claimed.id, claim_token=claimed.claim_token)
    later = NOW + timedelta(seconds=app.config["OUTBOX_SENDING_TIMEOUT"] + 1)
    services.recover_interrupted(later)
    db.session.commit()
    [new] = services.claim(later, 10)
    assert new.claim_token != old.claim_token
    assert services._hand_over(old, later) is False
    assert services._hand_over(new, later) is True


def test_concurrent_claims_never_share_a_message(app, mail_server):
    with app.app_context():
        for number in range(40):
            services.enqueue(message(key=f"k{number}", to=f"p{number}@example.org"), NOW)
        db.session.commit()
        db.session.remove()
    claims: list[list[str]] = []
    errors = []

    def claimer():
        with app.app_context():
            try:
                for _ in range(10):
                    claims.append([m.key for m in services.claim(NOW, 5)])
            except Exception as error:  # SQLite may refuse a concurrent writer: no claim
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = [key for claim in claims for key in claim]
    assert len(keys) == len(set(keys))
    assert len(keys) == 40 or errors


def test_gives_up_after_the_maximum_attempts(ctx, mail_server, app):
    mail_server.recorder.refuse["busy@example.org"] = "452 4.2.2 Mailbox full"
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    try:
        services.enqueue(message(to="busy@example.org"), NOW)
        db.session.commit()
        services.deliver_due(NOW)
        services.deliver_due(NOW + timedelta(hours=1))
    finally:
        app.config["OUTBOX_MAX_ATTEMPTS"] = 12
    [row] = stored()
    assert row.status is OutboxStatus.failed
    assert row.last_error.startswith(services.GAVE_UP)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_logs_in_when_a_user_name_is_configured(ctx, app):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.mailserver import Recorder, free_port

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    recorder = Recorder()
    port = free_port()
    # Plain-text AUTH on loopback only, for the test (production servers require TLS first).
    # Only PLAIN, so that each delivery run logs in exactly once.
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        auth_required=True,
        auth_require_tls=False,
        authenticator=authenticator,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    saved = {
        k: app.config.get(k)
        for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_TIMEOUT")
    }
    try:
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_USERNAME="tracker",
            MAIL_PASSWORD="wrong",
            MAIL_TIMEOUT=5,
        )
        services.enqueue(message(), NOW)
        db.session.commit()
        refused = services.deliver_due(NOW)
        assert (refused.sent, refused.postponed) == (0, 1)  # a login failure is not the message's
        [row] = stored()
        assert row.status is OutboxStatus.pending and row.last_error.startswith("535")
        app.config["MAIL_PASSWORD"] = "s3cret"
        assert services.deliver_due(NOW + timedelta(minutes=5)).sent == 1
    finally:
        controller.stop()
        app.config.update(saved)
    assert logins == [(b"tracker", b"wrong"), (b"tracker", b"s3cret")]
    assert len(recorder.messages) == 1


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1 that the client trusts (SSL_CERT_FILE)."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(str(cert), str(key))
    return server_context


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_starttls_and_ssl_connections(ctx, app, certificate, mode):
    from aiosmtpd.controller import Controller

    from tests.mailserver import Recorder, free_port

    recorder, port = Recorder(), free_port()
    if mode == "ssl":
        controller = Controller(recorder, hostname="127.0.0.1", port=port, ssl_context=certificate)
    else:
        controller = Controller(
            recorder,
            hostname="127.0.0.1",
            port=port,
            tls_context=certificate,
            require_starttls=True,
        )
    controller.start()
    saved = {
        k: app.config.get(k)
        for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_TIMEOUT")
    }
    try:
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_TIMEOUT=5,
            MAIL_USE_TLS=mode == "starttls",
            MAIL_USE_SSL=mode == "ssl",
        )
        services.enqueue(message(), NOW)
        db.session.commit()
        report = services.deliver_due(NOW)
    finally:
        controller.stop()
        app.config.update(saved)
    assert report.sent == 1, stored()[0].last_error
    [received] = recorder.messages
    assert received.tls is True
    assert received.rcpt_tos == ["eva@example.org"]


# --- The one mail helper ------------------------------------------------------------------


def test_mail_person_writes_in_their_language_and_skips_deactivated_people(ctx):
    from flask_babel import gettext as _

    from tests.factories import make_user

    english = make_user(email="eva@example.org", name="Eva")
    english.locale = "en"
    dutch = make_user(email="jan@example.org", name="Jan")  # no own language: the organisation's
    gone = make_user(email="piet@example.org", name="Piet")
    gone.active = False
    for person in (english, dutch, gone):
        services.mail_person(
            person,
            key=f"test:{person.id}",
            kind="follow_closed",
            template="follow_closed",
            subject=lambda: _("Done: %(title)s", title="Wachtrij"),
            now=NOW,
            action=SimpleNamespace(
                title="Wachtrij",
                result="Korter",
                status=None,
                explanation=None,
                department=SimpleNamespace(name="ICT"),
            ),
            done=True,
            link="http://tracker.test/x",
        )
    db.session.commit()
    rows = {row.recipient_email: row for row in stored()}
    assert set(rows) == {"eva@example.org", "jan@example.org"}
    assert rows["eva@example.org"].locale == "en"
    assert rows["eva@example.org"].subject == "Done: Wachtrij"
    assert rows["jan@example.org"].locale == "nl"
    assert rows["jan@example.org"].subject != "Done: Wachtrij"
    assert "Wachtrij" in rows["jan@example.org"].subject
