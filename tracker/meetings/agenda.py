"""The staff-meeting agenda: which open actions, findings and effects come up (built by the
scheduler's `agendas` job a set number of days before the meeting, or on demand), editing
it before it is sent, and sending it with the invitation.

Every function takes the acting user (None: the scheduler), raises DomainError for anything
a user can get wrong, flushes and never commits: the caller commits once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker import clock
from tracker.actions.models import (
    OPEN_STATUSES,
    ActionStatus,
    DeadlineDecision,
    DeadlineRequest,
    ImprovementAction,
    ProgressUpdate,
    Visibility,
    action_finding,
)
from tracker.auth.models import User
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.meetings.models import (
    SECTION_ORDER,
    AgendaItem,
    AgendaSection,
    ItemState,
    Meeting,
    MeetingSeries,
    MeetingStatus,
    Recurrence,
)
from tracker.meetings.services import (
    MAX_TEXT,
    check_length,
    clean_text,
    mail_attendees,
    placements,
    require_manager,
    schedule_meetings,
)
from tracker.organisation.models import Department
from tracker.organisation.queries import get_organisation
from tracker.surveys.models import Finding, Triage
from tracker.types import utcnow

#: An open action without a progress update for this long counts as stuck.
STUCK_AFTER_DAYS = 28

# --- Building the agenda ----------------------------------------------------------------


def previous_meeting(meeting: Meeting) -> Meeting | None:
    return db.session.scalar(
        select(Meeting)
        .where(
            Meeting.series_id == meeting.series_id,
            Meeting.starts_at < meeting.starts_at,
            Meeting.status == MeetingStatus.scheduled,
        )
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    )


def _next_meeting_day(meeting: Meeting) -> date:
    """The day of the meeting after this one (from the rule, around closed days; for "due
    before the next")."""
    series = meeting.series
    day = clock.local_date(meeting.starts_at)
    following = [
        p.day
        for p in placements(series, day + timedelta(days=1), day + timedelta(days=62))
        if p.day is not None
    ]
    if following:
        return following[0]
    return day + timedelta(days=14 if series.recurrence is Recurrence.biweekly else 7)


def _scope(series: MeetingSeries):
    """The condition on ImprovementAction.department_id (or Finding's) for this body."""
    if series.department_id is not None:
        return lambda column: column == series.department_id
    if series.directorate_id is not None:
        departments = (
            select(Department.id)
            .where(Department.directorate_id == series.directorate_id)
            .scalar_subquery()
        )
        return lambda column: column.in_(departments)
    return lambda column: True


def _action_snapshot(
    action: ImprovementAction, latest: ProgressUpdate | None, request: DeadlineRequest | None = None
) -> dict:
    snapshot = {
        "owner": action.owner.name if action.owner else None,
        "owner_id": action.owner_id,
        "department": action.department.short_name if action.department else None,
        "deadline": action.deadline.isoformat(),
        "status": action.status.value,
        "progress": action.progress,
        "public": action.visibility is Visibility.public,
        "latest_update": latest.text if latest else None,
        "latest_update_at": latest.created_at.isoformat() if latest else None,
    }
    if request is not None:
        snapshot["request"] = {
            "id": request.id,
            "from": request.previous_deadline.isoformat(),
            "to": request.requested_deadline.isoformat(),
            "reason": request.reason,
        }
    if action.status is ActionStatus.declined:
        snapshot["explanation"] = action.decline_explanation
    if action.status is ActionStatus.done:
        snapshot["result"] = action.result
    return snapshot


def _item_key(section: AgendaSection, action_id=None, finding_id=None) -> tuple:
    return (section.value, action_id, finding_id)


def agenda_candidates(meeting: Meeting, now: datetime) -> list[AgendaItem]:
    """The generated items of a meeting's agenda, in agenda order, unsaved. A fixed number
    of queries, however many actions, findings and reactions there are."""
    series = meeting.series
    in_scope = _scope(series)
    previous = previous_meeting(meeting)
    meeting_day = clock.local_date(meeting.starts_at)
    next_day = _next_meeting_day(meeting)
    since = previous.starts_at if previous else meeting.starts_at - timedelta(days=31)
    since_day = clock.local_date(since)
    stuck_before = now - timedelta(days=STUCK_AFTER_DAYS)

    pending = {
        r.action_id: r
        for r in db.session.scalars(
            select(DeadlineRequest)
            .join(ImprovementAction, ImprovementAction.id == DeadlineRequest.action_id)
            .where(
                DeadlineRequest.decision == DeadlineDecision.pending,
                ImprovementAction.status.in_(OPEN_STATUSES),
                in_scope(ImprovementAction.department_id),
            )
            .order_by(DeadlineRequest.id)
        )
    }
    is_open = ImprovementAction.status.in_(OPEN_STATUSES)
    # Stuck: the owner said so in the latest update, or has been silent for weeks.
    stuck = or_(
        and_(is_open, ImprovementAction.stuck.is_(True)),
        and_(
            ImprovementAction.status == ActionStatus.in_progress,
            func.coalesce(ImprovementAction.last_update_at, ImprovementAction.created_at)
            < stuck_before,
        ),
    )
    wanted = or_(
        and_(is_open, ImprovementAction.deadline < next_day),
        ImprovementAction.status == ActionStatus.proposed,
        and_(
            ImprovementAction.status.in_((ActionStatus.done, ActionStatus.declined)),
            ImprovementAction.closed_on >= since_day,
        ),
        stuck,
        ImprovementAction.id.in_(
            select(DeadlineRequest.action_id).where(
                DeadlineRequest.decision == DeadlineDecision.pending
            )
        ),
    )
    action_query = (
        select(ImprovementAction)
        .where(in_scope(ImprovementAction.department_id), wanted)
        .options(joinedload(ImprovementAction.owner), joinedload(ImprovementAction.department))
        .order_by(ImprovementAction.deadline, ImprovementAction.id)
    )
    found = list(db.session.scalars(action_query))

    # Reactions of colleagues to public actions since the last meeting.
    from tracker.cocreation.models import CommentStatus, Reaction

    reactions: dict[int, list] = {}
    reacted: dict[int, ImprovementAction] = {}
    for reaction in db.session.scalars(
        select(Reaction)
        .join(ImprovementAction, ImprovementAction.id == Reaction.action_id)
        .where(
            Reaction.updated_at >= since,
            in_scope(ImprovementAction.department_id),
            ImprovementAction.visibility == Visibility.public,
        )
        .options(
            joinedload(Reaction.action).options(
                joinedload(ImprovementAction.owner), joinedload(ImprovementAction.department)
            )
        )
        .order_by(Reaction.id)
    ):
        reactions.setdefault(reaction.action_id, []).append(reaction)
        reacted[reaction.action_id] = reaction.action

    wanted_ids = {a.id for a in found} | set(reacted)
    latest: dict[int, ProgressUpdate] = {}
    if wanted_ids:
        newest = (
            select(func.max(ProgressUpdate.id))
            .where(
                ProgressUpdate.action_id.in_(
                    select(ImprovementAction.id).where(
                        in_scope(ImprovementAction.department_id),
                        or_(
                            wanted,
                            ImprovementAction.id.in_(
                                select(Reaction.action_id).where(Reaction.updated_at >= since)
                            ),
                        ),
                    )
                )
            )
            .group_by(ProgressUpdate.action_id)
        )
        latest = {
            u.action_id: u
            for u in db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.id.in_(newest)))
        }

    findings = list(
        db.session.scalars(
            select(Finding)
            .where(
                Finding.triage == Triage.act,
                in_scope(Finding.department_id),
                ~select(action_finding.c.action_id)
                .where(action_finding.c.finding_id == Finding.id)
                .exists(),
            )
            .options(
                joinedload(Finding.department),
                joinedload(Finding.round),
                joinedload(Finding.question),
            )
            .order_by(Finding.department_id, Finding.id)
        )
    )

    items: list[AgendaItem] = []
    for action in found:
        request = pending.get(action.id)
        if (
            request is not None
            or (action.status.is_open and action.stuck)
            or (
                action.status is ActionStatus.in_progress
                and (action.last_update_at or action.created_at) < stuck_before
            )
        ):
            section = AgendaSection.attention
        elif action.status.is_open and action.deadline < meeting_day:
            section = AgendaSection.overdue
        elif action.status is ActionStatus.proposed:
            section = AgendaSection.proposed
        elif action.status.is_open:
            section = AgendaSection.due_soon
        elif action.status is ActionStatus.declined:
            section = AgendaSection.declined
        else:
            section = AgendaSection.done
        snapshot = _action_snapshot(action, latest.get(action.id), request)
        if section is AgendaSection.attention and request is None:
            snapshot["stuck"] = True
        items.append(
            AgendaItem(
                section=section,
                action_id=action.id,
                title=action.title[:300],
                snapshot=snapshot,
                action_version=action.version,
            )
        )
    for finding in findings:
        items.append(
            AgendaItem(
                section=AgendaSection.finding,
                finding_id=finding.id,
                title=(finding.question.text if finding.question else f"#{finding.id}")[:300],
                snapshot={
                    "department": finding.department.short_name if finding.department else None,
                    "round": finding.round.name if finding.round else None,
                    "score": finding.score,
                    "benchmark": finding.benchmark,
                },
            )
        )
    # One item per action: what colleagues said, and what a new survey measured, go with the
    # item the action is on already (the minutes and "not reached" then name it once).
    by_action = {item.action_id: item for item in items}
    for action_id, action in reacted.items():
        said = reactions[action_id]
        on_agenda = by_action.get(action_id)
        snapshot = (
            on_agenda.snapshot
            if on_agenda is not None
            else _action_snapshot(action, latest.get(action_id))
        )
        snapshot["reactions"] = {
            "helps": sum(1 for r in said if r.verdict.value == "helps"),
            "not_yet": sum(1 for r in said if r.verdict.value == "not_yet"),
            "comments": [
                {"verdict": r.verdict.value, "text": r.comment}
                for r in said
                if r.comment and r.comment_status is CommentStatus.approved
            ],
            "waiting": sum(1 for r in said if r.comment_status is CommentStatus.pending),
        }
        if on_agenda is None:
            by_action[action_id] = AgendaItem(
                section=AgendaSection.reactions,
                action_id=action_id,
                title=action.title[:300],
                snapshot=snapshot,
                action_version=action.version,
            )
            items.append(by_action[action_id])
    for effect_item in _effect_items(in_scope, since, latest):
        on_agenda = by_action.get(effect_item.action_id)
        if on_agenda is None:
            items.append(effect_item)
        else:
            on_agenda.snapshot["effects"] = effect_item.snapshot["effects"]
    items.sort(key=lambda item: SECTION_ORDER[item.section])
    return items


def _effect_items(in_scope, since: datetime, latest: dict) -> list[AgendaItem]:
    """After a new survey import: what it measured of the done actions (a fixed number of
    queries). The figures are kept as numbers; the agenda shows them in the reader's language."""
    from tracker.actions.effects import action_effects
    from tracker.surveys.models import SurveyImport

    new_rounds = set(
        db.session.scalars(
            select(SurveyImport.round_id).where(
                SurveyImport.imported_at >= since, SurveyImport.round_id.is_not(None)
            )
        )
    )
    if not new_rounds:
        return []
    done = db.session.scalars(
        select(ImprovementAction)
        .where(
            in_scope(ImprovementAction.department_id), ImprovementAction.status == ActionStatus.done
        )
        .options(
            joinedload(ImprovementAction.owner),
            joinedload(ImprovementAction.department),
            selectinload(ImprovementAction.findings),
        )
        .order_by(ImprovementAction.id)
    ).all()
    effects = action_effects(done, get_organisation().anonymity_threshold)
    items = []
    for action in done:
        measured = [
            e for e in effects.get(action.id, []) if e.measured and e.after_round_id in new_rounds
        ]
        if not measured:
            continue
        snapshot = _action_snapshot(action, latest.get(action.id))
        snapshot["effects"] = [
            {
                "question": e.question,
                "round": e.after_round,
                "verdict": e.verdict.value,
                "value": e.difference.value,
                "half_width": e.difference.half_width,
                # What the rest of the department did meanwhile: the effect is beyond it.
                "rest": e.estimate.comparison_change,
                "yesno": e.scale.value == "yesno",
            }
            for e in measured
        ]
        items.append(
            AgendaItem(
                section=AgendaSection.effects,
                action_id=action.id,
                title=action.title[:300],
                snapshot=snapshot,
                action_version=action.version,
            )
        )
    return items


def _rollover_items(
    meeting: Meeting, now: datetime, generated_action_ids: set[int], generated_finding_ids: set[int]
) -> list[AgendaItem]:
    """Items the previous meeting did not reach (once it has taken place)."""
    previous = previous_meeting(meeting)
    if previous is None or previous.starts_at > now:
        return []
    left = db.session.scalars(
        select(AgendaItem)
        .where(
            AgendaItem.meeting_id == previous.id,
            AgendaItem.removed.is_(False),
            AgendaItem.state.in_((ItemState.open, ItemState.rolled_over)),
        )
        .order_by(AgendaItem.position)
    ).all()
    return [
        AgendaItem(
            section=AgendaSection.rollover,
            action_id=item.action_id,
            finding_id=item.finding_id,
            title=item.title,
            description=item.description,
            snapshot=dict(item.snapshot or {}),
            action_version=item.action_version,
            rolled_from_id=item.id,
        )
        for item in left
        if not (item.action_id and item.action_id in generated_action_ids)
        and not (item.finding_id and item.finding_id in generated_finding_ids)
    ]


def build_agenda(
    acting_user: User | None, meeting: Meeting, now: datetime | None = None
) -> Meeting:
    """Build (or rebuild, until it is sent) the agenda. Items added by hand and items a
    director removed stay as they are; generated items are refreshed, new ones appended."""
    now = now or utcnow()
    require_manager(acting_user, meeting.series)
    if meeting.status is MeetingStatus.cancelled:
        raise DomainError(_l("This meeting is cancelled."))
    if meeting.agenda_sent_at is not None:
        raise DomainError(
            _l(
                "The agenda has been sent: it is kept as it was sent. Add what is new in the "
                "meeting itself."
            )
        )
    existing = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
    ).all()
    generated = agenda_candidates(meeting, now)
    generated += _rollover_items(
        meeting,
        now,
        {item.action_id for item in generated if item.action_id},
        {item.finding_id for item in generated if item.finding_id},
    )
    fresh = {_item_key(i.section, i.action_id, i.finding_id): i for i in generated}
    kept_keys = set()
    position = 0
    for item in existing:
        key = _item_key(item.section, item.action_id, item.finding_id)
        if item.section is AgendaSection.free or item.removed or item.state is not ItemState.open:
            kept_keys.add(key)
            position = max(position, item.position)
            continue
        if key in fresh:
            new = fresh[key]
            item.title, item.snapshot = new.title, new.snapshot
            item.action_version = new.action_version
            kept_keys.add(key)
            position = max(position, item.position)
        else:
            db.session.delete(item)
    additions = []
    for key, item in fresh.items():
        if key in kept_keys:
            continue
        position += 1
        additions.append(
            {
                "meeting_id": meeting.id,
                "position": position,
                "section": item.section,
                "action_id": item.action_id,
                "finding_id": item.finding_id,
                "title": item.title,
                "description": item.description,
                "snapshot": item.snapshot,
                "action_version": item.action_version,
                "removed": False,
                "state": ItemState.open,
                "rolled_from_id": item.rolled_from_id,
            }
        )
    meeting.agenda_built_at = now
    db.session.flush()
    if additions:
        # One executemany however many items (the unit of work would insert row by row).
        db.session.execute(insert(AgendaItem), additions)
        db.session.expire(meeting, ["items"])
    return meeting


def build_due_agendas(now: datetime | None = None) -> int:
    """The scheduler's job: plan coming meetings, and build the agenda of every meeting
    whose build day has come (series.agenda_days_before) and whose agenda was not built."""
    now = now or utcnow()
    built = 0
    for series in db.session.scalars(select(MeetingSeries).where(MeetingSeries.active.is_(True))):
        schedule_meetings(series, now)
    due = db.session.scalars(
        select(Meeting)
        .join(MeetingSeries, MeetingSeries.id == Meeting.series_id)
        .where(
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at > now,
            Meeting.agenda_built_at.is_(None),
            Meeting.starts_at <= now + timedelta(days=15),
        )
        .options(joinedload(Meeting.series))
        .order_by(Meeting.starts_at)
    ).all()
    today = clock.local_date(now)
    for meeting in due:
        if clock.local_date(meeting.starts_at) - today <= timedelta(
            days=meeting.series.agenda_days_before
        ):
            build_agenda(None, meeting, now)
            built += 1
    return built


# --- Editing the agenda before it is sent ------------------------------------------------


def _require_editable(acting_user: User | None, meeting: Meeting) -> None:
    require_manager(acting_user, meeting.series)
    if meeting.agenda_sent_at is not None:
        raise DomainError(_l("The agenda has been sent: it is kept as it was sent."))


def visible_items(meeting: Meeting) -> list[AgendaItem]:
    return [i for i in meeting.items if not i.removed]


def add_free_item(
    acting_user: User | None, meeting: Meeting, *, title: str, description: str | None = None
) -> AgendaItem:
    _require_editable(acting_user, meeting)
    title = clean_text(title)
    if not title:
        raise DomainError(_l("Give the item a title."), "title")
    check_length(title, 300, "title")
    description = clean_text(description) or None
    check_length(description, MAX_TEXT, "description")
    position = max((i.position for i in meeting.items), default=0) + 1
    item = AgendaItem(
        meeting=meeting,
        section=AgendaSection.free,
        title=title,
        description=description,
        snapshot={},
        position=position,
    )
    db.session.add(item)
    if meeting.agenda_built_at is None:
        meeting.agenda_built_at = utcnow()
    db.session.flush()
    return item


def remove_item(acting_user: User | None, item: AgendaItem) -> None:
    _require_editable(acting_user, item.meeting)
    item.removed = True
    db.session.flush()


def move_item(acting_user: User | None, item: AgendaItem, direction: str) -> None:
    """Swap the item with its neighbour above ("up") or below ("down")."""
    meeting = item.meeting
    _require_editable(acting_user, meeting)
    visible = visible_items(meeting)
    index = visible.index(item)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(visible):
        return
    neighbour = visible[other]
    item.position, neighbour.position = neighbour.position, item.position
    db.session.flush()


def send_agenda(acting_user: User | None, meeting: Meeting, now: datetime | None = None) -> int:
    """Freeze the agenda as sent and mail it with an invitation to every attendee (through
    the outbox); returns the number of messages stored."""
    from tracker.meetings import exports
    from tracker.notifications.services import Attachment
    from tracker.rendering import absolute_url

    now = now or utcnow()
    _require_editable(acting_user, meeting)
    if meeting.status is MeetingStatus.cancelled:
        raise DomainError(_l("This meeting is cancelled."))
    if meeting.starts_at <= now:
        raise DomainError(_l("This meeting has already taken place."))
    items = visible_items(meeting)
    if not items:
        raise DomainError(_l("The agenda is empty. Build it or add an item first."))
    meeting.agenda_sent_at = now
    db.session.flush()
    return mail_attendees(
        meeting,
        now,
        kind="meeting_agenda",
        key=f"meeting-agenda:{meeting.id}:{meeting.sequence}",
        subject=lambda when: _(
            "Agenda: %(title)s, %(date)s", title=meeting.series.title, date=when
        ),
        context={
            "items": items,
            "action_link": lambda action_id: absolute_url("actions.action", action_id=action_id),
        },
        attachments=[
            Attachment(
                "invite.ics", "text/calendar; method=REQUEST", exports.invitation(meeting, now)
            )
        ],
    )
