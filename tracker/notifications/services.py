"""The outbox and SMTP delivery.

Every message is first stored (`enqueue`) under a unique idempotency key: storing it again is
silently ignored, so a job that runs twice, or two schedulers at once, store it once. A
delivery run then

1. *recovers* messages a dead run left behind (see below),
2. *claims* a batch of due messages: one conditional UPDATE to "sending", committed before
   anything is handed to SMTP, so two runs never claim the same message,
3. opens *one* SMTP connection for the batch and, per message, commits `handed_at` and then
   hands it over. 250 → sent; 4xx, a disconnect or a time-out → back to pending with back-off;
   5xx → failed at once. One message's failure never stops the others.

The window between the SMTP server's "250 accepted" and our commit of "sent" cannot be closed
(SMTP has no idempotency). We choose **at most once** for it: a message found still "sending"
with `handed_at` set after OUTBOX_SENDING_TIMEOUT is *not* sent again automatically; it is
marked failed ("interrupted; may have been delivered") for an admin to look at and resend by
hand (with the same Message-ID). A message that was claimed but never handed over is certain
not to have been sent and simply goes back to pending. A reminder is therefore never sent
twice; in the rare crash in that window it may, visibly, not be sent at all.

Unlike other services, `deliver_due` commits (the claim must be durable before SMTP sees the
message); callers must not hold uncommitted work in the session when calling it.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from tracker.errors import DomainError
from tracker.extensions import db
from tracker.notifications.models import OutboxMessage, OutboxStatus
from tracker.notifications.rendering import message_id_for, one_line, render_message
from tracker.organisation.queries import get_organisation
from tracker.types import utcnow

log = logging.getLogger("tracker.mail")

#: Stored as last_error by the tracker itself (SMTP errors are stored as the server said them).
INTERRUPTED = (
    "interrupted while being handed to the mail server; it may have been delivered, "
    "so it is not sent again automatically"
)
GAVE_UP = "gave up after too many temporary failures"
NO_MAIL_SERVER = "no mail server configured (MAIL_SERVER); kept in the outbox"


# --- Storing ------------------------------------------------------------------------------


@dataclass
class Attachment:
    filename: str
    mimetype: str
    content: str


@dataclass
class OutgoingMessage:
    """A rendered message for one recipient, ready for the outbox."""

    key: str
    kind: str
    to_email: str
    to_name: str
    locale: str
    subject: str
    text: str
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    recipient_id: int | None = None


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def _insert(executor):
    dialect = (
        executor.get_bind().dialect.name if hasattr(executor, "get_bind") else executor.dialect.name
    )
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the tracker runs on SQLite and PostgreSQL
        raise RuntimeError(f"insert-or-ignore is not implemented for {dialect}")
    return insert


def insert_or_ignore(table, values: dict, key_columns: list[str], executor=None) -> bool:
    """INSERT ... ON CONFLICT (key) DO NOTHING on SQLite and PostgreSQL; True when inserted.

    Concurrent inserts of the same key: PostgreSQL makes the second wait for the first and
    then do nothing; SQLite serialises writers."""
    executor = executor if executor is not None else db.session
    insert = _insert(executor)
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=key_columns)
        # RETURNING tells reliably whether a row went in (psycopg reports no rowcount here).
        .returning(*(table.c[name] for name in key_columns))
    )
    return executor.execute(statement).first() is not None


def existing_keys(keys) -> set[str]:
    """Which of these idempotency keys are in the outbox already (to skip rendering them)."""
    keys = list(keys)
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(chunk)))
        )
    return found


def enqueue(message: OutgoingMessage, now: datetime | None = None) -> bool:
    """Store the message unless its key is stored already; True when stored. Flushes only.

    Without a mail server the message is stored as held: readable at /admin/outbox."""
    now = now or utcnow()
    configured = mail_configured()
    return insert_or_ignore(
        OutboxMessage.__table__,
        {
            "key": message.key,
            "kind": message.kind,
            "recipient_id": message.recipient_id,
            "recipient_email": one_line(message.to_email, 254),
            "recipient_name": one_line(message.to_name, 200),
            "locale": message.locale,
            "subject": one_line(message.subject, 300),
            "body_text": message.text,
            "body_html": message.html,
            "attachments": [a.__dict__ for a in message.attachments],
            "message_id": message_id_for(message.key),
            "status": OutboxStatus.pending if configured else OutboxStatus.held,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "last_error": None if configured else NO_MAIL_SERVER,
        },
        ["key"],
    )


def sender_organisation() -> str:
    """The name of the organisation every message comes from (as its footer says)."""
    return get_organisation().name


def recipient_locale(user) -> str:
    """The language a person reads their mail in: their own, else the organisation's."""
    languages = current_app.config["LANGUAGES"]
    if user.locale in languages:
        return user.locale
    default = get_organisation().default_locale
    return default if default in languages else "nl"


def mail_person(
    user,
    *,
    key: str,
    kind: str,
    template: str,
    subject,
    now: datetime | None = None,
    attachments=(),
    **context,
) -> bool:
    """The one way to mail a person: `templates/emails/<template>` rendered in their
    language, stored in the outbox under `key` (once). `subject` is text, or a callable
    called in their language. Deactivated people get no mail. True when stored."""
    if not user.active:
        return False
    locale = recipient_locale(user)
    with force_locale(locale):
        subject = one_line(str(subject() if callable(subject) else subject), 300)
    text, html = render_message(
        template,
        locale,
        recipient=user,
        subject=subject,
        organisation=get_organisation(),
        **context,
    )
    return enqueue(
        OutgoingMessage(
            key=key,
            kind=kind,
            to_email=user.email,
            to_name=user.name,
            locale=locale,
            subject=subject,
            text=text,
            html=html,
            attachments=list(attachments),
            recipient_id=user.id,
        ),
        now,
    )


def retry(message: OutboxMessage, now: datetime | None = None) -> None:
    """An admin sends a failed (or held) message again: back to pending, due now."""
    if message.status not in (OutboxStatus.failed, OutboxStatus.held):
        raise DomainError(_l("Only failed or held messages can be sent again."))
    if not mail_configured():
        raise DomainError(_l("No mail server is configured (MAIL_SERVER), so nothing can be sent."))
    message.status = OutboxStatus.pending
    message.next_attempt_at = now or utcnow()
    message.attempts = 0
    message.claim_token = None
    message.handed_at = None
    db.session.flush()


# --- Building the e-mail ------------------------------------------------------------------


def sender_address() -> tuple[str, str]:
    """(header value, envelope address) of MAIL_DEFAULT_SENDER ("Name <addr>" or "addr")."""
    configured = current_app.config.get("MAIL_DEFAULT_SENDER") or "tracker@localhost"
    if isinstance(configured, (tuple, list)):  # Flask-Mail also accepts (name, address)
        name, address = configured
    else:
        name, address = parseaddr(configured)
    header = str(Address(display_name=one_line(name), addr_spec=one_line(address)))
    return header, one_line(address)


def build_email(message: OutboxMessage) -> EmailMessage:
    """The MIME message. Headers are built by the standard library from values without
    line breaks, so a title or a name can never add a header of its own."""
    email = EmailMessage(policy=SMTP_POLICY)
    email["Subject"] = one_line(message.subject)
    email["From"] = sender_address()[0]
    email["To"] = Address(
        display_name=one_line(message.recipient_name), addr_spec=one_line(message.recipient_email)
    )
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message.message_id
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    email["Content-Language"] = message.locale
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    attachments = message.attachments or []
    for attachment in attachments:
        method = invitation_method(attachment["mimetype"])
        if method:
            # iMIP (RFC 6047): the invitation is an alternative of the text, so Outlook and
            # Thunderbird show it as a meeting request with Accept and Decline.
            email.add_alternative(
                attachment["content"], subtype="calendar", params={"method": method}
            )
    for attachment in attachments:
        mimetype = attachment["mimetype"].partition(";")[0].strip()
        if invitation_method(attachment["mimetype"]):
            # Also as a file, for programs that only look at attachments; application/ics
            # so no program reads the invitation twice.
            mimetype = "application/ics"
        maintype, _, subtype = mimetype.partition("/")
        email.add_attachment(
            attachment["content"].encode("utf-8"),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
        )
    return email


def invitation_method(mimetype: str) -> str | None:
    """REQUEST or CANCEL for `text/calendar; method=...` (an invitation), else None."""
    kind, _, parameters = mimetype.partition(";")
    if kind.strip().lower() != "text/calendar":
        return None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "method" and value.strip():
            return value.strip().strip('"').upper()
    return None


# --- Delivering ---------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    postponed: int = 0
    recovered: int = 0
    interrupted: int = 0
    connections: int = 0

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.failed} failed, {self.postponed} postponed, "
            f"{self.connections} SMTP connection(s)"
        )

    def add(self, other: DeliveryReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
    timeout = float(config["MAIL_TIMEOUT"])
    if config.get("MAIL_USE_SSL"):
        connection = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
        if config.get("MAIL_USE_TLS"):
            connection.starttls(context=ssl.create_default_context())
    if config.get("MAIL_USERNAME"):
        connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    return connection


def _back_off(attempts: int) -> timedelta:
    base = int(current_app.config["OUTBOX_RETRY_SECONDS"])
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def recover_interrupted(now: datetime) -> tuple[int, int]:
    """Messages a delivery run claimed but did not finish within OUTBOX_SENDING_TIMEOUT
    (the process died): never handed over → pending again; handed over → failed, at most
    once (see the module's docstring). Returns (back to pending, marked failed)."""
    stale = now - timedelta(seconds=int(current_app.config["OUTBOX_SENDING_TIMEOUT"]))
    is_stale = (OutboxMessage.status == OutboxStatus.sending, OutboxMessage.claimed_at < stale)
    back = db.session.execute(
        update(OutboxMessage)
        .where(*is_stale, OutboxMessage.handed_at.is_(None))
        .values(status=OutboxStatus.pending, claim_token=None, next_attempt_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    # The claim token is kept: should the old run still be alive after all, it can record
    # "sent" when the server confirms.
    lost = db.session.execute(
        update(OutboxMessage)
        .where(*is_stale, OutboxMessage.handed_at.is_not(None))
        .values(status=OutboxStatus.failed, last_error=INTERRUPTED),
        execution_options={"synchronize_session": False},
    ).rowcount
    if back or lost:
        log.warning("outbox recovery: %s back to pending, %s interrupted (not resent)", back, lost)
    return back, lost


def claim(now: datetime, limit: int) -> list[OutboxMessage]:
    """Mark up to `limit` due pending messages as ours ("sending") and commit."""
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.pending, OutboxMessage.next_attempt_at <= now
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )
    if not ids:
        db.session.commit()
        return []
    token = secrets.token_hex(16)
    # The status condition is re-checked under the row lock: a concurrent run that claimed
    # a row first makes this UPDATE skip it.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.pending)
        .values(
            status=OutboxStatus.sending,
            claim_token=token,
            claimed_at=now,
            handed_at=None,
            attempts=OutboxMessage.attempts + 1,
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.claim_token == token, OutboxMessage.status == OutboxStatus.sending)
            .order_by(OutboxMessage.id)
        )
    )


def _ours(message: OutboxMessage):
    return (OutboxMessage.id == message.id, OutboxMessage.claim_token == message.claim_token)


def _set(message: OutboxMessage, *conditions, **values) -> bool:
    done = (
        db.session.execute(
            update(OutboxMessage).where(*_ours(message), *conditions).values(**values),
            execution_options={"synchronize_session": False},
        ).rowcount
        == 1
    )
    db.session.commit()
    return done


def _hand_over(message: OutboxMessage, now: datetime) -> bool:
    """Commit that this message is about to be handed to SMTP; False when the claim was
    taken away meanwhile (recovered as stale), so it must not be sent by this run."""
    return _set(message, OutboxMessage.status == OutboxStatus.sending, handed_at=now)


def _sent(message: OutboxMessage, now: datetime) -> None:
    _set(message, status=OutboxStatus.sent, sent_at=now, last_error=None)


def _failed(message: OutboxMessage, error: str) -> None:
    log.warning("mail to %s failed for good: %s", message.recipient_email, error)
    _set(message, status=OutboxStatus.failed, handed_at=None, last_error=error[:2000])


def _postpone(message: OutboxMessage, now: datetime, error: str) -> None:
    """A temporary failure: try again later, or give up after OUTBOX_MAX_ATTEMPTS."""
    if message.attempts >= int(current_app.config["OUTBOX_MAX_ATTEMPTS"]):
        _failed(message, f"{GAVE_UP}: {error}")
        return
    _set(
        message,
        status=OutboxStatus.pending,
        handed_at=None,
        claim_token=None,
        next_attempt_at=now + _back_off(message.attempts),
        last_error=error[:2000],
    )


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = (
            error.smtp_error.decode(errors="replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        return f"{error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _refusal(error: smtplib.SMTPRecipientsRefused) -> smtplib.SMTPResponseException:
    code, text = next(iter(error.recipients.values()))
    return smtplib.SMTPResponseException(code, text)


def deliver_batch(now: datetime, limit: int) -> DeliveryReport:
    """Claim up to `limit` messages and send them over one SMTP connection (reconnecting
    once per disconnect). Commits."""
    report = DeliveryReport()
    batch = claim(now, limit)
    if not batch:
        return report
    _header, envelope_from = sender_address()
    connection: smtplib.SMTP | None = None
    try:
        for position, message in enumerate(batch):
            if connection is None:
                try:
                    connection = _connect()
                    report.connections += 1
                except (OSError, smtplib.SMTPException) as error:
                    # The server is unreachable: this one and the rest wait with back-off.
                    reason = _describe(error)
                    log.warning("cannot reach the mail server: %s", reason)
                    for waiting in batch[position:]:
                        _postpone(waiting, now, reason)
                        report.postponed += 1
                    break
            try:
                email = build_email(message)
            except (ValueError, TypeError) as error:  # e.g. an address the library refuses
                _failed(message, _describe(error))
                report.failed += 1
                continue
            if not _hand_over(message, now):
                continue
            try:
                connection.send_message(
                    email, from_addr=envelope_from, to_addrs=[message.recipient_email]
                )
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                if isinstance(error, smtplib.SMTPRecipientsRefused):
                    error = _refusal(error)
                if 500 <= error.smtp_code < 600:
                    _failed(message, _describe(error))
                    report.failed += 1
                else:
                    _postpone(message, now, _describe(error))
                    report.postponed += 1
                    if error.smtp_code == 421:  # the server is closing the connection
                        connection = _close(connection)
            except (smtplib.SMTPException, OSError) as error:
                # Disconnected or timed out: the server did not confirm, so it is retried.
                _postpone(message, now, _describe(error))
                report.postponed += 1
                connection = _close(connection)
            else:
                _sent(message, now)
                report.sent += 1
    finally:
        _close(connection)
    return report


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return None
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()
    return None


def deliver_due(
    now: datetime | None = None, *, limit: int | None = None, max_batches: int = 20
) -> DeliveryReport:
    """Recover interrupted messages, then send what is due, batch after batch. Commits.

    Without a mail server nothing is sent: messages are held in the outbox."""
    now = now or utcnow()
    limit = limit or int(current_app.config["OUTBOX_BATCH_SIZE"])
    report = DeliveryReport()
    report.recovered, report.interrupted = recover_interrupted(now)
    db.session.commit()
    if not mail_configured():
        return report
    for _ in range(max_batches):
        batch = deliver_batch(now, limit)
        report.add(batch)
        if batch.sent + batch.failed + batch.postponed < limit or batch.connections == 0:
            break
    if report.sent or report.failed or report.postponed:
        log.info("outbox delivery: %s", report)
    return report
