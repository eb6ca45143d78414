"""Everything that changes users: log-in, accounts, sessions, memberships."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.auth import events
from tracker.auth.models import (
    DepartmentMembership,
    LoginAttempt,
    MembershipRole,
    Role,
    User,
    new_session_token,
)
from tracker.auth.permissions import require_admin
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.types import utcnow

if TYPE_CHECKING:
    from tracker.organisation.models import Department

security_log = logging.getLogger("tracker.security")

# Same message whatever went wrong, so log-in reveals nothing about which accounts exist.
LOGIN_FAILED = _l("The e-mail address or password is not correct.")
LOGIN_THROTTLED = _l("Too many failed log-ins. Wait a quarter of an hour and try again.")


@lru_cache(maxsize=4)
def dummy_hash(method: str) -> str:
    """Verified when the account does not exist or has no password, so a log-in takes as
    long as with a real account: made with the method real passwords are hashed with (a
    cheaper one would tell by its speed which addresses exist)."""
    return generate_password_hash("not a password", method=method)


class LoginLimits:
    def __init__(self, window_minutes: int, per_account: int, per_ip: int):
        self.window = timedelta(minutes=window_minutes)
        self.per_account = per_account
        self.per_ip = per_ip


def hash_password(password: str, method: str) -> str:
    return generate_password_hash(password, method=method)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _recent_attempts(kind: str, column, value, since, failures_only: bool) -> int:
    conditions = [LoginAttempt.kind == kind, column == value, LoginAttempt.created_at >= since]
    if failures_only:
        conditions.append(LoginAttempt.succeeded.is_(False))
    return db.session.scalar(select(func.count(LoginAttempt.id)).where(*conditions))


def throttled(
    kind: str, email: str, ip_address: str, limits: LoginLimits, failures_only: bool = True
) -> bool:
    """Whether this address or this client used up its attempts of this kind ("login",
    "reset") within the window."""
    since = utcnow() - limits.window
    return (
        _recent_attempts(kind, LoginAttempt.email, email, since, failures_only)
        >= limits.per_account
        or _recent_attempts(kind, LoginAttempt.ip_address, ip_address, since, failures_only)
        >= limits.per_ip
    )


def authenticate(
    email: str, password: str, ip_address: str, limits: LoginLimits, *, admins_only: bool = False
) -> User:
    """Return the user for these credentials, or raise DomainError with a generic message.

    admins_only: only administrators may log in with a password (sign-in through the
    identity provider only, OIDC_ONLY); anyone else gets the same generic message."""
    email = normalise_email(email)
    if throttled("login", email, ip_address, limits):
        security_log.warning("login throttled email=%s ip=%s", email, ip_address)
        events.sign_in.send(
            None, method="password", succeeded=False, email=email, reason="throttled"
        )
        raise DomainError(LOGIN_THROTTLED)

    user = db.session.scalar(select(User).where(User.email == email))
    valid = check_password_hash(
        user.password_hash
        if user and user.password_hash
        else dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]),
        password,
    )
    ok = bool(user and user.password_hash and valid and user.active)
    not_admin = ok and admins_only and not user.is_admin
    ok = ok and not not_admin
    db.session.add(LoginAttempt(email=email, ip_address=ip_address, succeeded=ok))
    if not ok:
        security_log.warning(
            "login failed email=%s ip=%s%s",
            email,
            ip_address,
            " (password log-in is for administrators only)" if not_admin else "",
        )
        events.sign_in.send(
            user,
            method="password",
            succeeded=False,
            email=email,
            reason="administrators only" if not_admin else None,
        )
        db.session.flush()
        raise DomainError(LOGIN_FAILED)
    user.signed_in(utcnow())
    events.sign_in.send(user, method="password", succeeded=True)
    security_log.info("login user_id=%s ip=%s", user.id, ip_address)
    db.session.flush()
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie of this user."""
    user.session_token = new_session_token()
    db.session.flush()


def set_memberships(user: User, directs: list[Department], staff_of: list[Department]) -> None:
    """The user directs exactly `directs` and is staff of exactly `staff_of`."""
    wanted = {(d.id, MembershipRole.director) for d in directs} | {
        (d.id, MembershipRole.staff) for d in staff_of
    }
    for membership in list(user.memberships):
        if (membership.department_id, membership.role) not in wanted:
            user.memberships.remove(membership)
    have = {(m.department_id, m.role) for m in user.memberships}
    for department in directs:
        if (department.id, MembershipRole.director) not in have:
            user.memberships.append(
                DepartmentMembership(department=department, role=MembershipRole.director)
            )
    for department in staff_of:
        if (department.id, MembershipRole.staff) not in have:
            user.memberships.append(
                DepartmentMembership(department=department, role=MembershipRole.staff)
            )


def _check_email_free(email: str, user: User | None = None) -> None:
    other = db.session.scalar(select(User).where(User.email == email))
    if other is not None and other is not user:
        raise DomainError(_l("There is already a user with this e-mail address."), "email")


def create_user(
    acting_user: User | None,
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    hash_method: str | None = None,
    locale: str | None = None,
    directs: list[Department] = (),
    staff_of: list[Department] = (),
    active: bool = True,
    now=None,
) -> User:
    """Create an account. acting_user None means the command line (create-admin, demo, the
    HR file import). Without a password (only the command line gives one) the person is
    mailed an invitation to choose their own."""
    if acting_user is not None:
        require_admin(acting_user)
    email = normalise_email(email)
    _check_email_free(email)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        locale=locale or None,
        active=active,
        password_hash=hash_password(password, hash_method) if password else None,
    )
    db.session.add(user)
    set_memberships(user, list(directs), list(staff_of))
    db.session.flush()
    security_log.info(
        "user created user_id=%s role=%s by=%s",
        user.id,
        role.value,
        acting_user.id if acting_user else "cli",
    )
    if user.password_hash is None and user.active:
        from tracker.auth import invitations

        if not invitations.signs_in_elsewhere(user):
            invitations.invite(acting_user, user, now=now)
    return user


def update_user(
    acting_user: User,
    user: User,
    *,
    email: str,
    name: str,
    role: Role,
    active: bool,
    locale: str | None,
    directs: list[Department],
    staff_of: list[Department],
) -> User:
    """The administrator's user form. Passwords are not part of it: people choose their own
    (invitation, password reset)."""
    require_admin(acting_user)
    if user.id == acting_user.id and (not active or role is not Role.admin):
        raise DomainError(_l("You cannot take away your own administrator rights."), "role")
    email = normalise_email(email)
    _check_email_free(email, user)
    user.email = email
    user.name = name.strip()
    user.role = role
    user.locale = locale or None
    set_memberships(user, directs, staff_of)
    if user.active and not active:
        deactivate(acting_user, user)
    user.active = active
    db.session.flush()
    return user


def set_active(acting_user: User, user: User, active: bool) -> None:
    require_admin(acting_user)
    if user.id == acting_user.id and not active:
        raise DomainError(_l("You cannot deactivate your own account."))
    if user.active and not active:
        deactivate(acting_user, user)
    user.active = active
    db.session.flush()


def deactivate(acting_user: User | None, user: User) -> None:
    """The person leaves: signed out everywhere at their next request (the session token
    rotates and inactive people are not loaded), no more mail (mail_person skips them), and
    their open actions show as "owner left" to the department's directors."""
    end_sessions(user)
    user.active = False
    db.session.flush()
    security_log.info(
        "user deactivated user_id=%s by=%s", user.id, acting_user.id if acting_user else "cli"
    )


def change_own_password(user: User, current: str, new: str, hash_method: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise DomainError(_l("The current password is not correct."), "current_password")
    user.password_hash = hash_password(new, hash_method)
    end_sessions(user)


def set_locale(user: User, locale: str | None) -> None:
    user.locale = locale or None
    db.session.flush()
