"""Provisioning through SCIM 2.0: the clients' bearer tokens, the accounts and groups an
identity provider manages, and who is in which of those groups."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow


def new_scim_id() -> str:
    """The id a SCIM client sees: random, never reused, and it reveals nothing."""
    return str(uuid.uuid4())


class ScimToken(db.Model):
    """A bearer token a provisioning client (Entra ID, Keycloak…) sends with each request.
    Only its SHA-256 hash is kept: the token itself is shown once, when it is made."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Says which client it is ("entra-id"); the security log names it.
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: Hex SHA-256 of the token; requests are matched on it.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: None: made on the command line.
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    #: Recorded at most once a minute, so a busy client does not write on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A revoked token stops working at once; the row stays for the record.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by: Mapped[User | None] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class ScimUser(db.Model):
    """An account the identity provider manages: the link between a SCIM User resource and a
    tracker user. Deleting the resource removes this link (the account stays, deactivated,
    with its history); provisioning the person again makes a new link with a new id."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scim_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_scim_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    #: The SCIM userName, lower-cased (it compares case-insensitively); unique.
    user_name: Mapped[str] = mapped_column(String(254), unique=True)
    #: The client's own id for the person (Entra's objectId…), as sent; compared exactly.
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    #: The other attributes as the client last sent them (name, displayName, emails,
    #: preferredLanguage, locale, active), so the resource reads back as it was written.
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
    groups: Mapped[list[ScimGroup]] = relationship(
        secondary="scim_group_member",
        back_populates="members",
        order_by="ScimGroup.id",
    )


class ScimGroupMember(db.Model):
    """A provisioned account in a provisioned group."""

    group_id: Mapped[int] = mapped_column(
        ForeignKey("scim_group.id", ondelete="CASCADE"), primary_key=True
    )
    scim_user_id: Mapped[int] = mapped_column(
        ForeignKey("scim_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ScimGroup(db.Model):
    """A group at the identity provider, as SCIM sends it. Its display name is looked up in
    the group mappings (auth.GroupMapping), the same table sign-in through the provider uses."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scim_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_scim_id)
    #: As the client sends it; the group mappings compare it case-insensitively.
    display_name: Mapped[str] = mapped_column(String(255), index=True)
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members: Mapped[list[ScimUser]] = relationship(
        secondary="scim_group_member",
        back_populates="groups",
        order_by="ScimUser.id",
    )
