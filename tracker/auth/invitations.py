"""Links with which people choose their own password: the invitation a new person gets and
the password reset anyone can ask for. Administrators never choose or see a password.

A link carries a random token (256 bits); only its sha256 is stored (`PasswordToken`), so the
table alone opens no account. A link works once, until it expires (invitation: 72 hours,
reset: one hour), and a newer link of the same person replaces the older ones. Using it sets
the password, rotates the session token (every other session of the person ends) and signs
the person in.

Asking for a reset answers the same, and takes the same time, whether or not the address is
known: the request only records the request (limited per address and per client address like
log-ins); looking the address up, making the link and the mail happen after the answer has
gone out (`send_reset_link`, which the page runs when the response is closed).
"""

from __future__ import annotations

import enum
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from tracker.auth.models import LoginAttempt, PasswordToken, TokenPurpose, User
from tracker.auth.permissions import require_admin
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.rendering import absolute_url
from tracker.types import utcnow

security_log = logging.getLogger("tracker.security")

VALID_FOR = {
    TokenPurpose.invite: timedelta(hours=72),
    TokenPurpose.reset: timedelta(hours=1),
}
#: Tokens in links are token_urlsafe(32): 43 characters. Anything much longer is not ours.
MAX_TOKEN_LENGTH = 100

RESET_SENT = _l(
    "If the address is known, a mail with a link to choose a new password is on its way. "
    "The link works for one hour. No mail? Check the address and your spam folder, or ask "
    "again in a while."
)
RESET_THROTTLED = _l(
    "Too many requests for a new password. Wait a quarter of an hour and try again."
)


# --- The mail a link goes out in ----------------------------------------------------------
#
# Links reach people through the outbox of notifications, an area above auth (it knows
# people) that auth does not import: it hands its way of mailing a person over when the app
# is set up.


def provide_mail(app, mail_person: Callable[..., bool], sender_name: Callable[[], str]) -> None:
    """`mail_person(user, key=, kind=, template=, subject=, now=, **context)` queues a mail
    (True when queued); `sender_name()` names the organisation the mail comes from."""
    app.extensions["tracker.auth.mail"] = (mail_person, sender_name)


def _mail_person(user: User, **message) -> bool:
    return current_app.extensions["tracker.auth.mail"][0](user, **message)


def _sender_name() -> str:
    return current_app.extensions["tracker.auth.mail"][1]()


def signs_in_elsewhere(user: User) -> bool:
    """Whether this person signs in through single sign-on and so needs no password (and no
    invitation): the organisation's identity provider is configured (the first sign-in links
    the account by its e-mail address), or the person already signed in through one."""
    from sqlalchemy import exists, select

    from tracker.auth import oidc
    from tracker.auth.models import UserIdentity

    if oidc.settings() is not None:
        return True
    if user.id is None:
        return False
    return bool(db.session.scalar(select(exists().where(UserIdentity.user_id == user.id))))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def _replace_open_links(user: User, now: datetime) -> None:
    """Earlier links of this person that still work stop working now."""
    db.session.execute(
        update(PasswordToken)
        .where(
            PasswordToken.user_id == user.id,
            PasswordToken.used_at.is_(None),
            PasswordToken.expires_at > now,
        )
        .values(expires_at=now),
        execution_options={"synchronize_session": False},
    )


def _store_link(user: User, purpose: TokenPurpose, digest: str, now: datetime) -> PasswordToken:
    _replace_open_links(user, now)
    link = PasswordToken(
        user=user,
        purpose=purpose,
        token_hash=digest,
        created_at=now,
        expires_at=now + VALID_FOR[purpose],
    )
    db.session.add(link)
    db.session.flush()
    return link


# --- Invitations --------------------------------------------------------------------------


def invite(acting_user: User | None, user: User, now: datetime | None = None) -> bool:
    """Mail the person a link (valid 72 hours) to choose their first password; an earlier
    invitation stops working. acting_user None: the command line (the HR file import).
    True when a mail was queued."""
    if acting_user is not None:
        require_admin(acting_user)
    if not user.active:
        raise DomainError(
            _l("%(name)s is deactivated; activate the account first.", name=user.name)
        )
    if user.password_hash:
        raise DomainError(
            _l(
                "%(name)s has chosen a password already. Forgotten it? The log-in page has a link "
                "to choose a new one.",
                name=user.name,
            )
        )
    now = now or utcnow()
    organisation = _sender_name()
    token, digest = _new_token()
    link = _store_link(user, TokenPurpose.invite, digest, now)
    security_log.info(
        "invitation user_id=%s by=%s", user.id, acting_user.id if acting_user else "cli"
    )
    return _mail_person(
        user,
        key=f"invite:{user.id}:{link.id}",
        kind="invitation",
        template="invitation",
        subject=lambda: _(
            "Your account for the tracker of %(organisation)s", organisation=organisation
        ),
        now=now,
        link=absolute_url("auth.set_password", token=token),
        login=absolute_url("auth.login"),
        hours=72,
        invited_by=acting_user.name if acting_user else None,
    )


def latest_invitations(user_ids) -> dict[int, datetime]:
    """User id -> when their latest invitation was made (one query)."""
    ids = list(user_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(PasswordToken.user_id, func.max(PasswordToken.created_at))
            .where(PasswordToken.purpose == TokenPurpose.invite, PasswordToken.user_id.in_(ids))
            .group_by(PasswordToken.user_id)
        )
        .tuples()
        .all()
    )


# --- Password reset -----------------------------------------------------------------------


def record_reset_request(email: str, ip_address: str, limits, now: datetime | None = None) -> str:
    """Someone asks for a link to choose a new password. Limited like log-ins (per address
    and per client address), and recorded. The same statements run whether or not the
    address belongs to anyone: nothing here looks the address up. Returns the address (as
    stored) for `send_reset_link`, which the caller runs after answering."""
    from tracker.auth.services import normalise_email, throttled

    now = now or utcnow()
    email = normalise_email(email)[:254]
    if throttled("reset", email, ip_address, limits, failures_only=False):
        security_log.warning("password reset throttled email=%s ip=%s", email, ip_address)
        raise DomainError(RESET_THROTTLED)
    db.session.add(
        LoginAttempt(
            kind="reset", email=email, ip_address=ip_address, succeeded=False, created_at=now
        )
    )
    db.session.flush()
    security_log.info("password reset requested email=%s ip=%s", email, ip_address)
    return email


def send_reset_link(email: str, now: datetime | None = None) -> bool:
    """Mail a link (valid one hour) to the person with this address, through the outbox. An
    unknown address gets nothing; deactivated people get nothing either (mail_person skips
    them). True when a mail was queued."""
    now = now or utcnow()
    token, digest = _new_token()  # made and hashed whether or not the address is known
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        return False
    link = _store_link(user, TokenPurpose.reset, digest, now)
    return _mail_person(
        user,
        key=f"reset:{user.id}:{link.id}",
        kind="password-reset",
        template="password_reset",
        subject=lambda: _("Choose a new password"),
        now=now,
        link=absolute_url("auth.set_password", token=token),
        reset=absolute_url("auth.reset_password"),
        minutes=60,
    )


# --- Using a link -------------------------------------------------------------------------


class LinkState(enum.Enum):
    valid = "valid"
    used = "used"
    expired = "expired"
    unknown = "unknown"


LINK_PROBLEMS = {
    LinkState.used: _l("This link has been used already: a link works once."),
    LinkState.expired: _l(
        "This link has expired. An invitation works for 72 hours and a link to choose a new "
        "password for one hour; a newer link replaces older ones."
    ),
    LinkState.unknown: _l(
        "This link is not valid. Perhaps only part of it was copied from the mail."
    ),
}


@dataclass
class PasswordLink:
    state: LinkState
    link: PasswordToken | None = None

    @property
    def user(self) -> User | None:
        return self.link.user if self.link is not None else None

    @property
    def problem(self):
        return LINK_PROBLEMS.get(self.state)


def find_link(token: str, now: datetime | None = None) -> PasswordLink:
    """What a token from a link is: valid, used, expired or unknown (also: not ours, or a
    deactivated person's)."""
    now = now or utcnow()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return PasswordLink(LinkState.unknown)
    link = db.session.scalar(
        select(PasswordToken)
        .where(PasswordToken.token_hash == token_hash(token))
        .options(joinedload(PasswordToken.user))
    )
    if link is None or not link.user.active:
        return PasswordLink(LinkState.unknown)
    if link.used_at is not None:
        return PasswordLink(LinkState.used, link)
    if link.expires_at <= now:
        return PasswordLink(LinkState.expired, link)
    return PasswordLink(LinkState.valid, link)


def set_password(
    token: str, new_password: str, hash_method: str, now: datetime | None = None
) -> User:
    """Use a link: the person's password becomes `new_password` (the form checked the
    rules), the link is used up, every other session of the person ends. Returns the person,
    to be signed in."""
    from tracker.auth.services import end_sessions, hash_password

    now = now or utcnow()
    found = find_link(token, now)
    if found.state is not LinkState.valid:
        raise DomainError(found.problem)
    # Two requests with the same link at once: only the one that marks it used goes on.
    claimed = db.session.execute(
        update(PasswordToken)
        .where(PasswordToken.id == found.link.id, PasswordToken.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if claimed != 1:
        raise DomainError(LINK_PROBLEMS[LinkState.used])
    user = found.user
    _replace_open_links(user, now)
    user.password_hash = hash_password(new_password, hash_method)
    user.signed_in(now)
    end_sessions(user)
    security_log.info("password set with %s link user_id=%s", found.link.purpose.value, user.id)
    return user
