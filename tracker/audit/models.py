from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, event
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """Who did what, when (UTC) and from where. Append-only: rows are never changed or
    deleted by the application (only the retention job may remove expired ones)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: The acting user; None for the command line, the scheduler, a SCIM client or a
    #: visitor who is not signed in (see actor_label).
    actor_id: Mapped[int | None] = mapped_column(index=True)
    #: "user 12", "cli", "scheduler", "scim:<token name>", "anonymous".
    actor_label: Mapped[str] = mapped_column(String(120))
    #: What happened, as a dotted name: "user.created", "signin.failed", "role.changed"…
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: What it happened to ("user", "department", "token"…) and its id.
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    #: The client address of the request, or "cli" / "scheduler".
    origin: Mapped[str] = mapped_column(String(64))
    #: What changed ({"role": ["owner", "director"]}); never passwords or tokens.
    details: Mapped[dict] = mapped_column(JSON, default=dict)


@event.listens_for(AuditEvent, "before_update")
def _no_update(_mapper, _connection, target):
    raise PermissionError("audit events are append-only")


@event.listens_for(AuditEvent, "before_delete")
def _no_delete(_mapper, _connection, target):
    raise PermissionError("audit events are append-only")
