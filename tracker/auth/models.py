from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, Enum, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    # Departments build on people (tracker.organisation imports this module, not the reverse);
    # the relationships below name them as strings.
    from tracker.organisation.models import Department


class Role(enum.Enum):
    """What a user does in the tracker; ordered from least to most rights."""

    employee = "employee"
    owner = "owner"
    director = "director"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


ROLE_LABELS = {
    Role.employee: _l("Employee"),
    Role.owner: _l("Action owner"),
    Role.director: _l("Director"),
    Role.admin: _l("Administrator"),
}


class MembershipRole(enum.Enum):
    director = "director"
    staff = "staff"


class DepartmentMembership(db.Model):
    """A user's place in a department: its director(s) or its staff."""

    __table_args__ = (UniqueConstraint("department_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[MembershipRole] = mapped_column(Enum(MembershipRole, native_enum=False, length=20))
    #: Set by group mappings (at sign-in through the identity provider), and removed by them
    #: when the groups no longer give it; memberships set by hand are never touched by them.
    from_groups: Mapped[bool] = mapped_column(default=False, server_default=false())

    department: Mapped[Department] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case; log-in compares lower-case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20), default=Role.employee
    )
    #: Deactivated users cannot log in; their actions stay theirs.
    active: Mapped[bool] = mapped_column(default=True)
    #: 'nl' or 'en'; None means the organisation's default.
    locale: Mapped[str | None] = mapped_column(String(5))
    #: Part of the session identity: rotating it ends every session and remember-me cookie.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The sign-in before the last: the start page shows what changed since then.
    previous_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: No weekly overview of one's own actions by e-mail (deadline reminders and
    #: escalations are still sent).
    digest_opt_out: Mapped[bool] = mapped_column(default=False, server_default=false())

    memberships: Mapped[list[DepartmentMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    identities: Mapped[list[UserIdentity]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login: the id in the session carries the token, so a replayed old cookie fails.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def signed_in(self, moment: datetime) -> None:
        self.previous_login_at = self.last_login_at
        self.last_login_at = moment

    def has_role(self, role: Role) -> bool:
        return self.role.rank >= role.rank

    @property
    def directed_department_ids(self) -> set[int]:
        return {m.department_id for m in self.memberships if m.role is MembershipRole.director}

    @property
    def department_ids(self) -> set[int]:
        return {m.department_id for m in self.memberships}

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class TokenPurpose(enum.Enum):
    #: A new person chooses their first password (valid 72 hours).
    invite = "invite"
    #: Someone who forgot their password chooses a new one (valid one hour).
    reset = "reset"


class PasswordToken(db.Model):
    """A mailed link with which a person chooses a password. Only the sha256 of the token in
    the link is stored: the token itself exists only in the mail."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(Enum(TokenPurpose, native_enum=False, length=10))
    #: sha256 (hex) of the token in the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The link stops working at this moment (set to the moment a newer link replaced it).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the link was used to set a password; a link works once.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class HrRecord(db.Model):
    """Where the last HR file (`import-users`) placed a person. The import manages one
    membership per person, the one in this department (as its director when the file says
    director, else as staff); memberships set by hand in other departments are left alone."""

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )


class LoginAttempt(db.Model):
    """One log-in attempt (or password-reset request), kept for rate limiting and the
    security log."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "login", or "reset" for a request for a password-reset mail (limited separately).
    kind: Mapped[str] = mapped_column(String(10), default="login", server_default="login")
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip_address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class UserIdentity(db.Model):
    """Who a person is at an identity provider (OpenID Connect): the issuer and its `sub`.
    Sign-in matches on this pair, never on a name or an e-mail address."""

    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The provider's issuer URL, exactly as in its ID tokens.
    issuer: Mapped[str] = mapped_column(String(500))
    #: The provider's `sub` claim: stable for the person, unique within the issuer.
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: The e-mail address the provider sent at the last sign-in.
    email_at_provider: Mapped[str | None] = mapped_column(String(254))
    #: The group names the provider sent at the last sign-in.
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: None of those groups had a group mapping (the admin lists these people).
    without_mapped_group: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    user: Mapped[User] = relationship(back_populates="identities")


class GroupMapping(db.Model):
    """A group at the identity provider, and the role and department it gives. Applied at
    every sign-in through the provider (and by a directory sync later)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: As the provider sends it (a name, a path such as /ict/staff, or an object id);
    #: matched case-insensitively, unique in that sense.
    group_name: Mapped[str] = mapped_column(String(255), unique=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    #: None: the group gives a role only. Directors get a director membership here,
    #: every other role a staff membership.
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    department: Mapped[Department | None] = relationship()
