"""Read helpers of the meeting pages, exports and the calendar feed; each loads what its page
shows in a fixed number of queries, however many items an agenda has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, noload, selectinload

from tracker.actions.models import (
    OPEN_STATUSES,
    DeadlineDecision,
    DeadlineRequest,
    ImprovementAction,
    action_co_owner,
)
from tracker.actions.queries import load_co_owners
from tracker.auth.models import User
from tracker.extensions import db
from tracker.meetings import permissions
from tracker.meetings.models import (
    AgendaItem,
    AgendaSection,
    CalendarFeed,
    Meeting,
    MeetingSeries,
    MeetingStatus,
    meeting_attendee,
)


def meeting_with_series(meeting_id: int) -> Meeting | None:
    return db.session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .options(
            joinedload(Meeting.series).options(
                selectinload(MeetingSeries.attendees),
                joinedload(MeetingSeries.department),
                joinedload(MeetingSeries.directorate),
                joinedload(MeetingSeries.chair),
            )
        )
    )


def series_with_people(series_id: int) -> MeetingSeries | None:
    return db.session.scalar(
        select(MeetingSeries)
        .where(MeetingSeries.id == series_id)
        .options(
            selectinload(MeetingSeries.attendees),
            joinedload(MeetingSeries.department),
            joinedload(MeetingSeries.directorate),
        )
    )


@dataclass
class AgendaRow:
    """An agenda item as the meeting page shows it: what was on the agenda (the snapshot)
    and, beside it, the action as it is now (None when it no longer exists)."""

    item: AgendaItem
    number: int
    action: ImprovementAction | None
    pending_request: DeadlineRequest | None = None

    @property
    def changed(self) -> bool:
        return bool(
            self.action
            and self.item.action_version is not None
            and self.action.version != self.item.action_version
        )

    @property
    def missing(self) -> bool:
        """On the agenda as an action item, but the action is gone."""
        return self.item.action_id is None and bool(self.item.snapshot.get("status"))


def agenda_rows(meeting: Meeting, only_owner: User | None = None) -> list[AgendaRow]:
    """The visible items with the live state of their actions, in three queries.
    `only_owner`: just the items about that person's own actions."""
    items = list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id, AgendaItem.removed.is_(False))
            .options(joinedload(AgendaItem.decided_by))
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )
    action_ids = {i.action_id for i in items if i.action_id}
    live: dict[int, ImprovementAction] = {}
    pending: dict[int, DeadlineRequest] = {}
    if action_ids:
        live = {
            a.id: a
            for a in db.session.scalars(
                select(ImprovementAction)
                .where(ImprovementAction.id.in_(action_ids))
                .options(
                    joinedload(ImprovementAction.owner),
                    joinedload(ImprovementAction.department),
                    noload(ImprovementAction.co_owners),
                )
            ).unique()
        }
        # One query however long the agenda (selectinload takes one per 500; a subquery
        # load made PostgreSQL read every co-owner link).
        load_co_owners(live.values())
        for request in db.session.scalars(
            select(DeadlineRequest)
            .where(
                DeadlineRequest.action_id.in_(action_ids),
                DeadlineRequest.decision == DeadlineDecision.pending,
            )
            .order_by(DeadlineRequest.id)
        ):
            pending[request.action_id] = request
    rows = []
    for item in items:
        action = live.get(item.action_id) if item.action_id else None
        if only_owner is not None:
            owner_ids = {item.owner_id}
            if action is not None:
                owner_ids |= {action.owner_id} | {u.id for u in action.co_owners}
            if only_owner.id not in owner_ids:
                continue
        rows.append(AgendaRow(item, len(rows) + 1, action, pending.get(item.action_id)))
    if only_owner is not None:
        for number, row in enumerate(rows, 1):
            row.number = number
    return rows


def sections(rows: list[AgendaRow]) -> list[tuple[AgendaSection, list[AgendaRow]]]:
    """Consecutive rows of the same section grouped (the order is the director's)."""
    grouped: list[tuple[AgendaSection, list[AgendaRow]]] = []
    for row in rows:
        if grouped and grouped[-1][0] is row.item.section:
            grouped[-1][1].append(row)
        else:
            grouped.append((row.item.section, [row]))
    return grouped


def series_list(user: User) -> list[MeetingSeries]:
    """Series the user manages or attends."""
    series = db.session.scalars(
        select(MeetingSeries)
        .where(MeetingSeries.active.is_(True))
        .options(
            selectinload(MeetingSeries.attendees),
            joinedload(MeetingSeries.department),
            joinedload(MeetingSeries.directorate),
        )
        .order_by(MeetingSeries.title)
    ).all()
    return [s for s in series if permissions.may_read(user, s)]


def meetings_of(
    series_ids: list[int], start: datetime | None = None, limit: int = 200
) -> list[Meeting]:
    if not series_ids:
        return []
    query = (
        select(Meeting)
        .where(Meeting.series_id.in_(series_ids))
        .options(joinedload(Meeting.series))
        .order_by(Meeting.starts_at)
    )
    if start is not None:
        query = query.where(Meeting.starts_at >= start)
    return list(db.session.scalars(query.limit(limit)))


def past_meetings(series_id: int, before: datetime, limit: int = 10) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.series_id == series_id, Meeting.starts_at < before)
            .order_by(Meeting.starts_at.desc())
            .limit(limit)
        )
    )


def meetings_with_my_items(user: User, start: datetime) -> list[Meeting]:
    """Coming meetings whose agenda has items about the user's own actions."""
    own = select(ImprovementAction.id).where(
        or_(
            ImprovementAction.owner_id == user.id,
            ImprovementAction.id.in_(
                select(action_co_owner.c.action_id).where(action_co_owner.c.user_id == user.id)
            ),
        )
    )
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.starts_at >= start,
                Meeting.id.in_(
                    select(AgendaItem.meeting_id).where(
                        AgendaItem.action_id.in_(own), AgendaItem.removed.is_(False)
                    )
                ),
            )
            .options(joinedload(Meeting.series))
            .order_by(Meeting.starts_at)
            .limit(20)
        )
    )


def feed_by_token(token: str) -> CalendarFeed | None:
    return db.session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.token == token)
        .options(joinedload(CalendarFeed.user))
    )


def feed_contents(user: User, now: datetime) -> tuple[list[Meeting], list[ImprovementAction]]:
    """Meetings the user attends from 60 days back, and the deadlines of their open actions."""
    meetings = list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.series_id.in_(
                    select(meeting_attendee.c.series_id).where(
                        meeting_attendee.c.user_id == user.id
                    )
                ),
                Meeting.starts_at >= now - timedelta(days=60),
            )
            .options(joinedload(Meeting.series))
            .order_by(Meeting.starts_at)
            .limit(500)
        )
    )
    owned = list(
        db.session.scalars(
            select(ImprovementAction)
            .where(
                ImprovementAction.status.in_(OPEN_STATUSES),
                or_(
                    ImprovementAction.owner_id == user.id,
                    ImprovementAction.id.in_(
                        select(action_co_owner.c.action_id).where(
                            action_co_owner.c.user_id == user.id
                        )
                    ),
                ),
            )
            .order_by(ImprovementAction.deadline)
            .limit(500)
        )
    )
    return meetings, owned


def upcoming(meetings: list[Meeting], now: datetime) -> list[Meeting]:
    return [m for m in meetings if m.starts_at >= now and m.status is MeetingStatus.scheduled]
