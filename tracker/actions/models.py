"""Improvement actions: what a department will change, who owns it, by when; the owner's
progress updates, deadline requests, and the append-only history of every change.
Also the libraries of suggested actions and of explanations for declining."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, Enum, ForeignKey, Index, String, Table, Text, event, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.surveys.models import Finding, Sphere, Theme
from tracker.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.organisation.models import Department


class ActionStatus(enum.Enum):
    proposed = "proposed"
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    #: Consciously not done, with a public explanation ("customer-oriented is not
    #: customer-submissive").
    declined = "declined"
    #: Stopped for an internal reason (e.g. superseded by another action).
    cancelled = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = (ActionStatus.proposed, ActionStatus.planned, ActionStatus.in_progress)
CLOSED_STATUSES = (ActionStatus.done, ActionStatus.declined, ActionStatus.cancelled)


class Priority(enum.Enum):
    low = "low"
    normal = "normal"
    high = "high"


class Visibility(enum.Enum):
    #: Shown on the "you said, we did" pages (public fields only).
    public = "public"
    internal = "internal"


class DeclineConstraint(enum.Enum):
    """Why a department does not do what was asked."""

    budget = "budget"
    law = "law"
    policy = "policy"
    outside = "outside"


class DeadlineDecision(enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    #: Replaced by a newer request before the director decided.
    withdrawn = "withdrawn"


action_finding = Table(
    "action_finding",
    db.Model.metadata,
    Column("action_id", ForeignKey("improvement_action.id"), primary_key=True),
    Column("finding_id", ForeignKey("finding.id"), primary_key=True),
    # From findings to their actions without a row lookup (the effects, "you said, we did").
    Index("ix_action_finding_finding_action", "finding_id", "action_id"),
)

action_co_owner = Table(
    "action_co_owner",
    db.Model.metadata,
    Column("action_id", ForeignKey("improvement_action.id"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True, index=True),
)


#: Statuses in which a public action is shown to everyone: a proposal is not decided yet,
#: a cancellation is internal (the same rule as the "you said, we did" pages).
PUBLIC_STATUSES = (
    ActionStatus.planned,
    ActionStatus.in_progress,
    ActionStatus.done,
    ActionStatus.declined,
)


class ImprovementAction(db.Model):
    __table_args__ = (
        # Lists: a department's actions by deadline.
        Index("ix_improvement_action_department_deadline", "department_id", "deadline"),
        # Counters and roll-up read only the index (no row lookups).
        Index(
            "ix_improvement_action_department_status",
            "department_id",
            "status",
            "deadline",
            "closed_on",
        ),
        # The owner filter of a department's list.
        Index("ix_improvement_action_department_owner", "department_id", "owner_id"),
        # The figures of "you said, we did" per status read only the index.
        Index(
            "ix_improvement_action_public_figures",
            "status",
            "visibility",
            "id",
            "closed_on",
            "deadline",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    title: Mapped[str] = mapped_column(String(200))
    #: What concretely changes: which behaviour, which measurable result.
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    deadline: Mapped[date]
    priority: Mapped[Priority] = mapped_column(
        Enum(Priority, native_enum=False, length=20), default=Priority.normal
    )
    quick_win: Mapped[bool] = mapped_column(default=False)
    sphere: Mapped[Sphere] = mapped_column(
        Enum(Sphere, native_enum=False, length=20), default=Sphere.own
    )
    visibility: Mapped[Visibility] = mapped_column(
        Enum(Visibility, native_enum=False, length=20), default=Visibility.public
    )
    #: Text for the "you said, we did" pages.
    public_summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ActionStatus] = mapped_column(
        Enum(ActionStatus, native_enum=False, length=20),
        default=ActionStatus.proposed,
        index=True,
    )
    #: Percentage done, 0-100, as last reported.
    progress: Mapped[int] = mapped_column(default=0)
    #: "We did …": required to close an action as done; public with the action.
    result: Mapped[str | None] = mapped_column(Text)
    decline_constraint: Mapped[DeclineConstraint | None] = mapped_column(
        Enum(DeclineConstraint, native_enum=False, length=20)
    )
    #: Public explanation of why the action is declined.
    decline_explanation: Mapped[str | None] = mapped_column(Text)
    #: Internal reason for cancelling; never shown publicly.
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    #: Day (in the organisation's time zone) it was done, declined or cancelled.
    closed_on: Mapped[date | None]
    #: When the last progress update was posted.
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The owner's latest update says they are stuck and need help (for the staff meeting).
    stuck: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Optimistic locking: every UPDATE checks and raises it; a form carries the version
    #: it was loaded with, so a save on top of someone else's change is refused.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    department: Mapped[Department] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    co_owners: Mapped[list[User]] = relationship(secondary=action_co_owner, order_by="User.name")
    findings: Mapped[list[Finding]] = relationship(secondary=action_finding, order_by="Finding.id")

    def is_overdue(self, today: date) -> bool:
        return self.status.is_open and self.deadline < today

    def involves(self, user: User) -> bool:
        """The owner or a co-owner."""
        return user.id == self.owner_id or any(u.id == user.id for u in self.co_owners)

    def __repr__(self) -> str:
        return f"<ImprovementAction {self.id} {self.status.value}>"


class ProgressUpdate(db.Model):
    """An owner's report: what happened, how far along. Never changed afterwards."""

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("improvement_action.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    percent: Mapped[int]
    #: The status the action moved to with this update, if it moved.
    new_status: Mapped[ActionStatus | None] = mapped_column(
        Enum(ActionStatus, native_enum=False, length=20)
    )
    #: A new deadline the owner asked for with this update (see DeadlineRequest).
    requested_deadline: Mapped[date | None]
    #: The owner reported being stuck with this update.
    stuck: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The owner chose to show this update's text on "you said, we did" (public actions only).
    public: Mapped[bool] = mapped_column(default=False, server_default=false())

    author: Mapped[User | None] = relationship()


class DeadlineRequest(db.Model):
    """An owner's request for more time; the director approves or rejects it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("improvement_action.id"), index=True)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("progress_update.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The deadline when the request was made.
    previous_deadline: Mapped[date]
    requested_deadline: Mapped[date]
    reason: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[DeadlineDecision] = mapped_column(
        Enum(DeadlineDecision, native_enum=False, length=20), default=DeadlineDecision.pending
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)

    update: Mapped[ProgressUpdate | None] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ActionChange(db.Model):
    """One changed field of an action: the append-only audit trail."""

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("improvement_action.id"), index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The attribute (e.g. 'status', 'owner') or an event ('created', 'deadline_request').
    field: Mapped[str] = mapped_column(String(40))
    #: Values as stored: enum values, ISO dates, people's names, texts.
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    #: Why, when the change needed a reason (reopening, a deadline decision).
    note: Mapped[str | None] = mapped_column(Text)
    #: The progress update this change came with, if any.
    update_id: Mapped[int | None] = mapped_column(ForeignKey("progress_update.id"))
    #: Decided in this staff meeting (on the strength of its authority, see authority.py).
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    #: The action's version after the change (to show what changed since a form was opened).
    version: Mapped[int]

    changed_by: Mapped[User | None] = relationship()
    update: Mapped[ProgressUpdate | None] = relationship()


class AppendOnlyError(RuntimeError):
    pass


def _refuse_change(mapper, connection, target):
    raise AppendOnlyError(f"{type(target).__name__} is append-only")


for _model in (ActionChange, ProgressUpdate):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)


class ActionTemplate(db.Model):
    """A suggested action from the library, offered when creating an action."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id"), index=True)
    #: Days from start to done, usually; proposes the deadline.
    typical_duration_days: Mapped[int] = mapped_column(default=30)
    quick_win: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    theme: Mapped[Theme | None] = relationship()


class DeclineTemplate(db.Model):
    """A reusable explanation for declining, which the director adapts to the case."""

    id: Mapped[int] = mapped_column(primary_key=True)
    constraint: Mapped[DeclineConstraint] = mapped_column(
        Enum(DeclineConstraint, native_enum=False, length=20)
    )
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
