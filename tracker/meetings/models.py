"""Staff meetings: a meeting series of a body (the services directorate, or one department),
its meetings, each meeting's agenda items with what was decided on them, the minutes, and
the per-user secret token of the calendar feed."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Column,
    Enum,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from tracker.actions.models import ImprovementAction
    from tracker.auth.models import User
    from tracker.organisation.models import Department, Directorate
    from tracker.surveys.models import Finding


class Recurrence(enum.Enum):
    weekly = "weekly"
    biweekly = "biweekly"
    #: On the n-th weekday of the month (week_of_month; -1 is the last).
    monthly = "monthly"


class ClosedDayRule(enum.Enum):
    """What becomes of a meeting whose day is a public holiday or a closed day."""

    #: To the next working day; skipped when that is the next meeting's day or later.
    move = "move"
    skip = "skip"


class MeetingStatus(enum.Enum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class AgendaSection(enum.Enum):
    """Where an item stands on the agenda; the order here is the order of the agenda."""

    #: Not reached in the previous meeting.
    rollover = "rollover"
    overdue = "overdue"
    #: The owner asked for a new deadline, or reported nothing for weeks (stuck).
    attention = "attention"
    due_soon = "due_soon"
    #: New actions awaiting approval (status proposed).
    proposed = "proposed"
    #: Findings triaged "act on it" without an action yet.
    finding = "finding"
    #: Declined since the last meeting: confirm the public explanation.
    declined = "declined"
    #: Done since the last meeting: celebrate and publish.
    done = "done"
    #: A survey round imported since the last meeting measured the effect of done actions.
    effects = "effects"
    #: Reactions of colleagues to public actions since the last meeting.
    reactions = "reactions"
    #: Added by hand.
    free = "free"


SECTION_ORDER = {section: index for index, section in enumerate(AgendaSection)}


class ItemState(enum.Enum):
    #: Not dealt with (yet).
    open = "open"
    decided = "decided"
    #: Not reached; carried over to the next meeting.
    rolled_over = "rolled_over"


meeting_attendee = Table(
    "meeting_attendee",
    db.Model.metadata,
    Column("series_id", ForeignKey("meeting_series.id"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True, index=True),
)


#: Who of the series' attendees was not at a meeting (recorded by the chair or the minute
#: taker); everyone else was present. The minutes list both.
meeting_absentee = Table(
    "meeting_absentee",
    db.Model.metadata,
    Column("meeting_id", ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True),
)


class MeetingSeries(db.Model):
    """A recurring meeting of one body, e.g. the staff meeting of the services directorate."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: The body: a directorate, or one department (its own meeting); neither: organisation.
    directorate_id: Mapped[int | None] = mapped_column(ForeignKey("directorate.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    recurrence: Mapped[Recurrence] = mapped_column(Enum(Recurrence, native_enum=False, length=20))
    #: 0 = Monday … 6 = Sunday.
    weekday: Mapped[int]
    #: For monthly meetings: 1-4, or -1 for the last such weekday of the month.
    week_of_month: Mapped[int | None]
    #: The first day a meeting may fall on.
    starts_on: Mapped[date]
    #: The last day a meeting may fall on, if the series ends.
    ends_on: Mapped[date | None]
    #: Local time in the organisation's time zone.
    start_time: Mapped[time]
    duration_minutes: Mapped[int] = mapped_column(default=60)
    location: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(500))
    #: The agenda is built this many days before each meeting.
    agenda_days_before: Mapped[int] = mapped_column(default=3)
    on_closed_day: Mapped[ClosedDayRule] = mapped_column(
        Enum(ClosedDayRule, native_enum=False, length=20),
        default=ClosedDayRule.move,
        server_default=ClosedDayRule.move.value,
    )
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    directorate: Mapped[Directorate | None] = relationship()
    department: Mapped[Department | None] = relationship()
    chair: Mapped[User | None] = relationship()
    attendees: Mapped[list[User]] = relationship(secondary=meeting_attendee, order_by="User.name")


class Meeting(db.Model):
    """One meeting of a series; moved or cancelled on its own."""

    __table_args__ = (
        # One meeting per occurrence of the series (a moved meeting keeps its occurrence).
        UniqueConstraint("series_id", "occurrence_on", name="uq_meeting_series_occurrence"),
        Index("ix_meeting_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("meeting_series.id"))
    #: The day the recurrence gave (local), whether or not the meeting was moved (by hand,
    #: or to the next working day because that day was closed).
    occurrence_on: Mapped[date]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[MeetingStatus] = mapped_column(
        Enum(MeetingStatus, native_enum=False, length=20), default=MeetingStatus.scheduled
    )
    #: Moved by hand: a change of the series leaves it where it is.
    moved: Mapped[bool] = mapped_column(default=False)
    #: iCalendar SEQUENCE: raised whenever the time, place or status changes.
    sequence: Mapped[int] = mapped_column(default=0)
    agenda_built_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: From then on the agenda items are kept as they were sent.
    agenda_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The chair closed the meeting: items not reached were rolled over.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Optimistic locking: a form carries the version it was loaded with.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def present(self) -> list[User]:
        """The series' attendees who were there (all of them until absences are recorded)."""
        absent = {person.id for person in self.absentees}
        return [person for person in self.series.attendees if person.id not in absent]

    series: Mapped[MeetingSeries] = relationship()
    absentees: Mapped[list[User]] = relationship(secondary=meeting_absentee, order_by="User.name")
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )


class AgendaItem(db.Model):
    """One point of a meeting's agenda. What it showed when the agenda was built (or sent)
    is kept in `title` and `snapshot`, so an old agenda renders even when the action is
    gone; the live state of the action is shown beside it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    position: Mapped[int]
    section: Mapped[AgendaSection] = mapped_column(
        Enum(AgendaSection, native_enum=False, length=20)
    )
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("improvement_action.id", ondelete="SET NULL"), index=True
    )
    finding_id: Mapped[int | None] = mapped_column(
        ForeignKey("finding.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    #: Free text of an item added by hand.
    description: Mapped[str | None] = mapped_column(Text)
    #: What the item showed: owner, deadline, status, progress, latest update, request…
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    #: The action's version when the snapshot was taken.
    action_version: Mapped[int | None]
    #: Removed by a director: kept so a rebuild does not bring it back.
    removed: Mapped[bool] = mapped_column(default=False)
    state: Mapped[ItemState] = mapped_column(
        Enum(ItemState, native_enum=False, length=20), default=ItemState.open
    )
    #: What was decided, in words (for the minutes).
    outcome: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: The item of the previous meeting this one carries over.
    rolled_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL")
    )

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    action: Mapped[ImprovementAction | None] = relationship()
    finding: Mapped[Finding | None] = relationship()
    decided_by: Mapped[User | None] = relationship()

    @property
    def owner_id(self) -> int | None:
        return self.snapshot.get("owner_id") if self.snapshot else None


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(db.Model):
    """A user's secret calendar address: meetings they attend, deadlines of their actions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_feed_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
