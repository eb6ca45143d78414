from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from tracker.actions.models import ImprovementAction
    from tracker.auth.models import User
    from tracker.organisation.models import Department


class Verdict(enum.Enum):
    helps = "helps"
    not_yet = "not_yet"


class CommentStatus(enum.Enum):
    """A reaction's comment is held until a director approves it."""

    none = "none"
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class Reaction(db.Model):
    """One employee's reaction to one public action (changeable, never duplicated)."""

    __table_args__ = (UniqueConstraint("action_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("improvement_action.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    verdict: Mapped[Verdict] = mapped_column(Enum(Verdict, native_enum=False, length=20))
    comment: Mapped[str | None] = mapped_column(String(500))
    comment_status: Mapped[CommentStatus] = mapped_column(
        Enum(CommentStatus, native_enum=False, length=20), default=CommentStatus.none
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    action: Mapped[ImprovementAction] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Follow(db.Model):
    """An employee follows a department (monthly "we did") or one action (done/declined)."""

    __table_args__ = (
        # Named: the naming convention would give both the same name (first column only).
        UniqueConstraint("user_id", "department_id", name="uq_follow_user_department"),
        UniqueConstraint("user_id", "action_id", name="uq_follow_user_action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("improvement_action.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship()
    action: Mapped[ImprovementAction | None] = relationship()
