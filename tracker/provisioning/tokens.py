"""The bearer tokens of provisioning clients: made by an administrator (page or command
line), shown once, kept only as a SHA-256 hash, revoked when no longer wanted."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.auth.models import User
from tracker.auth.permissions import require_admin
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.provisioning.models import ScimToken
from tracker.provisioning.queries import token_named
from tracker.types import utcnow

security_log = logging.getLogger("tracker.security")

#: The last use is written at most this often, so a busy client does not write per request.
LAST_USE_PRECISION = timedelta(minutes=1)
NAME_MAX = 100


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(acting_user: User | None, name: str) -> tuple[ScimToken, str]:
    """Make a token; returns it with its secret, which is shown once and never stored.
    acting_user None is the command line."""
    require_admin(acting_user)
    name = name.strip()
    if not name:
        raise DomainError(_l("Give the token a name."), "name")
    if len(name) > NAME_MAX:
        raise DomainError(_l("The name is too long (at most 100 characters)."), "name")
    if token_named(name) is not None:
        raise DomainError(_l("There is already a token with this name; choose another."), "name")
    secret = secrets.token_urlsafe(32)
    token = ScimToken(name=name, token_hash=hash_token(secret), created_by=acting_user)
    db.session.add(token)
    db.session.flush()
    security_log.info(
        "scim token created token_id=%s name=%s by=%s",
        token.id,
        name,
        acting_user.id if acting_user else "cli",
    )
    return token, secret


def revoke_token(acting_user: User | None, token: ScimToken) -> None:
    require_admin(acting_user)
    if token.revoked:
        raise DomainError(_l("This token was revoked already."))
    token.revoked_at = utcnow()
    db.session.flush()
    security_log.info(
        "scim token revoked token_id=%s name=%s by=%s",
        token.id,
        token.name,
        acting_user.id if acting_user else "cli",
    )


def authenticate(presented: str, now: datetime | None = None) -> ScimToken | None:
    """The working token this is, or None. Looked up by its hash (a unique index), so the
    time taken says nothing about how much of a token was right; records the last use."""
    digest = hash_token(presented)
    token = db.session.scalar(select(ScimToken).where(ScimToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest) or token.revoked:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_PRECISION:
        token.last_used_at = now
        db.session.flush()
    return token
