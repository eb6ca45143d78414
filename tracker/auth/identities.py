"""Who a person signing in through an identity provider is: the rules, without HTTP.

`sign_in_with_claims` takes the verified claims (ID token and userinfo) and the issuer and
returns the user to log in, or raises SignInRefused. The protocol itself (state, nonce,
PKCE, signatures) is tracker.auth.oidc's job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.auth.group_mappings import (
    apply_group_mappings,
    group_names_from,
    other_group_names,
)
from tracker.auth.models import Role, User, UserIdentity
from tracker.auth.services import normalise_email
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.types import utcnow

security_log = logging.getLogger("tracker.security")


class SignInRefused(DomainError):
    """Signing in through the provider did not work. `message` is for the person (their
    language), `reason` for the security log (never a token), `status` for the page."""

    def __init__(self, message, reason: str, status: int = 400):
        super().__init__(message)
        self.reason = reason
        self.status = status


MISSING_SUBJECT = _l(
    "The identity provider did not say who you are, so you are not signed in. Ask your "
    "administrator to check the connection with the identity provider."
)
MISSING_EMAIL = _l(
    "The identity provider did not send an e-mail address for you, and the tracker needs one "
    "to make your account. Ask your administrator to check the connection with the identity "
    "provider."
)
UNVERIFIED_EMAIL = _l(
    "The identity provider has not confirmed your e-mail address, so the tracker cannot "
    "link you to an account. Ask your administrator for help."
)
DEACTIVATED = _l(
    "Your account in the tracker is deactivated. Ask an administrator if you need access again."
)


def _email_verified(claims: Mapping) -> bool:
    value = claims.get("email_verified")
    # Some providers send the JSON string "true".
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _name(claims: Mapping, email: str) -> str:
    name = str(claims.get("name") or "").strip()
    if not name:
        parts = [str(claims.get(key) or "").strip() for key in ("given_name", "family_name")]
        name = " ".join(part for part in parts if part)
    return (name or email)[:200]


def _subject(claims: Mapping) -> str:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 255:
        raise SignInRefused(MISSING_SUBJECT, "missing sub")
    return subject


def sign_in_with_claims(
    claims: Mapping,
    issuer: str,
    *,
    groups_claim: str = "groups",
    trust_email: bool = False,
) -> User:
    """The user these claims belong to: found by (issuer, sub); at the first sign-in linked
    to the account with the same verified e-mail address, or a new employee account. The
    e-mail address follows the provider's; the groups are applied (group mappings).

    trust_email: take the provider's e-mail address as verified without `email_verified`.
    """
    subject = _subject(claims)
    raw_email = claims.get("email")
    email = normalise_email(raw_email) if isinstance(raw_email, str) and raw_email.strip() else None
    if email is not None and ("@" not in email or len(email) > 254):
        email = None
    verified = email is not None and (trust_email or _email_verified(claims))
    groups = group_names_from(claims.get(groups_claim))

    identity = db.session.scalar(
        select(UserIdentity).where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
    )
    if identity is not None:
        user = identity.user
        if not user.active:
            raise SignInRefused(DEACTIVATED, f"deactivated user_id={user.id}", 403)
        if verified and email != user.email:
            _refuse_if_taken(email, user)
            security_log.info(
                "e-mail changed at the provider user_id=%s identity_id=%s", user.id, identity.id
            )
            user.email = email
    else:
        if email is None:
            raise SignInRefused(MISSING_EMAIL, f"missing email sub={subject}")
        if not verified:
            raise SignInRefused(UNVERIFIED_EMAIL, f"email not verified sub={subject}")
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            if not user.active:
                raise SignInRefused(DEACTIVATED, f"deactivated user_id={user.id}", 403)
            security_log.info(
                "identity linked to existing account user_id=%s sub=%s", user.id, subject
            )
        else:
            user = User(
                email=email, name=_name(claims, email), role=Role.employee, password_hash=None
            )
            db.session.add(user)
            db.session.flush()
            security_log.info(
                "user created user_id=%s role=employee by=sign-in sub=%s", user.id, subject
            )
        identity = UserIdentity(issuer=issuer, subject=subject, user=user)
        db.session.add(identity)

    now = utcnow()
    identity.email_at_provider = email
    identity.groups = groups
    identity.last_login_at = now
    user.signed_in(now)
    identity.without_mapped_group = not apply_group_mappings(user, groups + other_group_names(user))
    db.session.flush()
    return user


def _refuse_if_taken(email: str, user: User) -> None:
    other = db.session.scalar(select(User).where(User.email == email, User.id != user.id))
    if other is not None:
        raise SignInRefused(
            _l(
                "Your e-mail address at the identity provider (%(email)s) belongs to another "
                "account in the tracker, so you are not signed in. Ask an administrator to "
                "sort this out.",
                email=email,
            ),
            f"email at provider held by user_id={other.id} (user_id={user.id})",
            409,
        )
