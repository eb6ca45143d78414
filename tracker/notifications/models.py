"""The outbox: every e-mail is first stored here, under a unique idempotency key, and then
delivered. The outbox knows nothing of actions or meetings: it holds rendered messages."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow


class OutboxStatus(enum.Enum):
    #: Waiting for delivery (again, after a temporary failure, from `next_attempt_at`).
    pending = "pending"
    #: Claimed by a delivery run (committed before it is handed to SMTP).
    sending = "sending"
    sent = "sent"
    #: Refused for good (5xx), given up after too many attempts, or interrupted while the
    #: SMTP server may already have accepted it. Shown to admins, who may send it again.
    failed = "failed"
    #: No mail server is configured (MAIL_SERVER unset): kept in the outbox, readable by
    #: admins at /admin/outbox, never sent automatically.
    held = "held"


class OutboxMessage(db.Model):
    __table_args__ = (
        # The delivery run's claim query: pending messages whose time has come.
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Idempotency key, e.g. "reminder:user:7:2026-10-25": the same message is stored once.
    key: Mapped[str] = mapped_column(String(255), unique=True)
    #: What the message is for (reminder, escalation, digest, ...), for the admin's list.
    kind: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    recipient_email: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    #: Language the message was rendered in.
    locale: Mapped[str] = mapped_column(String(5), default="nl")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    #: [{"filename", "mimetype", "content"}]: small text attachments (e.g. .ics).
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    #: Deterministic Message-ID (from the key): a resent copy carries the same one.
    message_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=20), default=OutboxStatus.pending
    )
    #: Delivery attempts so far (claims).
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not before this time (back-off after a temporary failure).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When a delivery run claimed it, and which claim (to find its own rows again).
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Set (and committed) just before the message is handed to the SMTP server: a
    #: message still "sending" with this set may have been accepted (see services).
    handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recipient: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.key} {self.status.value}>"
