"""The audit trail: one row per change of people, roles, departments, settings, tokens and
per sign-in, written in the same transaction as the change itself (so a rolled-back change
leaves no row, and a change never goes unrecorded).

`record()` is called by the services that make the change, with the acting user. Where it
happened is the request's client address, or "cli" outside a request ("scheduler" and SCIM
clients through `acting_as`).
"""

from __future__ import annotations

import contextvars
import enum
from contextlib import contextmanager
from datetime import date, datetime

from flask import g, has_request_context, request

from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.types import utcnow

_origin: contextvars.ContextVar[str] = contextvars.ContextVar("audit_origin", default="cli")
_actor_label: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "audit_actor_label", default=None
)

#: Keys that must never reach the audit trail, whatever a caller passes.
SECRET_KEYS = frozenset({"password", "password_hash", "token", "secret", "code", "id_token"})


@contextmanager
def acting_as(label: str, origin: str | None = None):
    """A non-user actor for the calls inside (a SCIM token, the scheduler)."""
    label_token = _actor_label.set(label[:120])
    origin_token = _origin.set(origin[:64]) if origin else None
    try:
        yield
    finally:
        _actor_label.reset(label_token)
        if origin_token is not None:
            _origin.reset(origin_token)


def _plain(value):
    """A value as JSON can keep it (dates as ISO 8601, enums by their value)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _clean(details: dict) -> dict:
    return {key: _plain(value) for key, value in details.items() if key not in SECRET_KEYS}


def record(
    actor, action: str, subject_type: str | None = None, subject_id: int | None = None, **details
) -> AuditEvent:
    """Write one audit row (flushed with the caller's transaction). `actor` is the acting
    User, or None for the command line / scheduler / an actor set with `acting_as`."""
    if actor is not None and getattr(actor, "id", None) is not None:
        actor_id, label = actor.id, f"user {actor.id}"
    else:
        # A client that is not a person (a SCIM token) names itself per request in g.
        client = g.get("audit_actor") if has_request_context() else None
        actor_id, label = None, client or _actor_label.get() or _origin.get()
    origin = _origin.get()
    if has_request_context() and origin == "cli":
        origin = request.remote_addr or "-"
    if actor_id is None and label == "cli" and has_request_context():
        label = "anonymous"
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor_id,
        actor_label=label,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        origin=origin[:64],
        details=_clean(details),
    )
    db.session.add(event)
    return event
