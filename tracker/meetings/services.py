"""Everything that changes staff meetings: series and their recurrence, moving and cancelling
a meeting, building the agenda (by the scheduler and on demand), editing and sending it,
recording outcomes in meeting mode (through the actions' own services, so the same rules
and history apply), closing the meeting, and the minutes.

Every function takes the acting user (None: the scheduler or the demo), raises DomainError
for anything a user can get wrong, flushes and never commits: the caller commits once.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday as rrule_weekday
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from tracker.actions import services as actions
from tracker.actions.models import (
    OPEN_STATUSES,
    ActionChange,
    ActionStatus,
    DeadlineDecision,
    DeadlineRequest,
    DeclineConstraint,
    ImprovementAction,
    ProgressUpdate,
    Visibility,
    action_finding,
)
from tracker.auth.models import Role, User
from tracker.auth.permissions import may_manage_department
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.meetings.models import (
    SECTION_ORDER,
    AgendaItem,
    AgendaSection,
    CalendarFeed,
    ItemState,
    Meeting,
    MeetingSeries,
    MeetingStatus,
    Recurrence,
    new_feed_token,
)
from tracker.organisation.models import Department, Directorate
from tracker.organisation.queries import get_organisation
from tracker.surveys.models import Finding, Triage
from tracker.types import utcnow

MAX_TITLE = 200
MAX_TEXT = 5000
#: Meetings are created this far ahead.
HORIZON_DAYS = 120
#: An open action without a progress update for this long counts as stuck.
STUCK_AFTER_DAYS = 28
#: How far ahead a recurrence is searched for its first date.
SEARCH_YEARS = 2


class MeetingConflict(DomainError):
    """The action (or the minutes) changed after the form was opened."""

    def __init__(self, message):
        Exception.__init__(self, "conflict")
        self.message = message
        self.field = None


# --- Time -------------------------------------------------------------------------------


def zone() -> ZoneInfo:
    return ZoneInfo(get_organisation().timezone)


def local_day(moment: datetime) -> date:
    return moment.astimezone(zone()).date()


def local_moment(day: date, at: time) -> datetime:
    """A local wall-clock time in the organisation's zone, as an aware UTC datetime."""
    from datetime import timezone

    return datetime.combine(day, at, tzinfo=zone()).astimezone(timezone.utc)


def occurrences(series: MeetingSeries, start: date, end: date) -> list[date]:
    """The days of the series' meetings from `start` to `end` (both included)."""
    start = max(start, series.starts_on)
    if series.ends_on:
        end = min(end, series.ends_on)
    if end < start:
        return []
    if series.recurrence is Recurrence.monthly:
        rule = rrule(MONTHLY, dtstart=datetime.combine(series.starts_on, time()),
                     byweekday=rrule_weekday(series.weekday, series.week_of_month or 1))
    else:
        rule = rrule(WEEKLY, dtstart=datetime.combine(series.starts_on, time()),
                     interval=2 if series.recurrence is Recurrence.biweekly else 1,
                     byweekday=series.weekday)
    return [moment.date() for moment in rule.between(
        datetime.combine(start, time()), datetime.combine(end, time()), inc=True
    )]


# --- Who may do what --------------------------------------------------------------------


def may_create_series(user: User) -> bool:
    return user.is_admin or user.role is Role.director


def may_manage_series(user: User, series: MeetingSeries) -> bool:
    """Admins; for a department's meeting its directors; for a directorate's (or the
    organisation's) meeting every director (the services directorate meets together)."""
    if user.is_admin:
        return True
    if series.department_id is not None:
        return may_manage_department(user, series.department_id)
    return user.role is Role.director


def is_attendee(user: User, series: MeetingSeries) -> bool:
    return any(a.id == user.id for a in series.attendees)


def may_read(user: User, series: MeetingSeries) -> bool:
    """The whole agenda and the minutes."""
    return may_manage_series(user, series) or is_attendee(user, series)


# --- Series -----------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _check_length(value: str | None, limit: int, field: str) -> None:
    if value and len(value) > limit:
        raise DomainError(
            _l("This text is too long: at most %(limit)s characters.", limit=limit), field
        )


def _check_url(url: str | None) -> str | None:
    url = _clean(url) or None
    if url and not url.lower().startswith(("https://", "http://")):
        raise DomainError(
            _l("The online link must start with https:// (copy it from the invitation of "
               "Teams, Zoom or Meet)."), "online_url",
        )
    _check_length(url, 500, "online_url")
    return url


def save_series(
    acting_user: User | None,
    series: MeetingSeries | None = None,
    *,
    title: str,
    department: Department | None = None,
    directorate: Directorate | None = None,
    recurrence: Recurrence,
    weekday: int,
    week_of_month: int | None = None,
    starts_on: date | None,
    ends_on: date | None = None,
    start_time: time | None,
    duration_minutes: int = 60,
    location: str | None = None,
    online_url: str | None = None,
    attendees: Iterable[User] = (),
    agenda_days_before: int = 3,
    chair: User | None = None,
    now: datetime | None = None,
) -> MeetingSeries:
    """Create (series None) or change a meeting series, then plan its coming meetings.
    Refused when its first meeting would be in the past or the recurrence gives no date."""
    now = now or utcnow()
    probe = MeetingSeries(department_id=department.id if department else None)
    if acting_user is not None:
        if series is not None and not may_manage_series(acting_user, series):
            raise DomainError(_l("Only the directors of this meeting may change it."))
        if not may_create_series(acting_user) or not may_manage_series(acting_user, probe):
            raise DomainError(
                _l("You may only plan meetings for the departments you direct."), "department_id"
            )
    title = _clean(title)
    if not title:
        raise DomainError(_l("Give the meeting a name, e.g. \"Staff meeting of the services "
                             "directorate\"."), "title")
    _check_length(title, MAX_TITLE, "title")
    if not 0 <= (weekday if weekday is not None else -1) <= 6:
        raise DomainError(_l("Choose the day of the week."), "weekday")
    if recurrence is Recurrence.monthly:
        if week_of_month not in (1, 2, 3, 4, -1):
            raise DomainError(
                _l("Choose which week of the month: first to fourth, or last."), "week_of_month"
            )
    else:
        week_of_month = None
    if starts_on is None:
        raise DomainError(_l("Give the date from which the meetings start."), "starts_on")
    if start_time is None:
        raise DomainError(_l("Give the time the meeting starts."), "start_time")
    if not 15 <= (duration_minutes or 0) <= 8 * 60:
        raise DomainError(_l("A meeting lasts from 15 minutes to 8 hours."), "duration_minutes")
    if not 0 <= (agenda_days_before if agenda_days_before is not None else -1) <= 14:
        raise DomainError(
            _l("Build the agenda 0 to 14 days before the meeting."), "agenda_days_before"
        )
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_l("The series cannot end before it starts."), "ends_on")
    location = _clean(location) or None
    _check_length(location, 200, "location")
    online_url = _check_url(online_url)
    attendees = sorted({u.id: u for u in attendees}.values(), key=lambda u: u.name)
    if not attendees:
        raise DomainError(_l("Choose who attends the meeting."), "attendee_ids")

    candidate = MeetingSeries(
        recurrence=recurrence, weekday=weekday, week_of_month=week_of_month,
        starts_on=starts_on, ends_on=ends_on,
    )
    today = local_day(now)
    if starts_on < today and (series is None or series.starts_on != starts_on):
        raise DomainError(
            _l("The first meeting would be in the past. Choose today or a later date."),
            "starts_on",
        )
    first = [d for d in occurrences(candidate, today, today + timedelta(days=366 * SEARCH_YEARS))
             if local_moment(d, start_time) > now][:1]
    if not first:
        raise DomainError(
            _l("This recurrence gives no meeting date from now on. Check the day, the week of "
               "the month and the end date."), "recurrence",
        )

    series = series or MeetingSeries(created_at=now)
    series.title = title
    series.department = department
    series.directorate = None if department else directorate
    series.recurrence = recurrence
    series.weekday = weekday
    series.week_of_month = week_of_month
    series.starts_on = starts_on
    series.ends_on = ends_on
    series.start_time = start_time
    series.duration_minutes = duration_minutes
    series.location = location
    series.online_url = online_url
    series.agenda_days_before = agenda_days_before
    series.attendees = attendees
    series.chair = chair or (acting_user if acting_user else None)
    db.session.add(series)
    db.session.flush()
    _replan(series, now)
    return series


def _replan(series: MeetingSeries, now: datetime) -> None:
    """Coming meetings that were not moved and have no agenda follow the series' rule."""
    untouched = db.session.scalars(
        select(Meeting).where(
            Meeting.series_id == series.id, Meeting.starts_at > now,
            Meeting.moved.is_(False), Meeting.agenda_built_at.is_(None),
            Meeting.status == MeetingStatus.scheduled,
        )
    ).all()
    for meeting in untouched:
        db.session.delete(meeting)
    db.session.flush()
    schedule_meetings(series, now)


def schedule_meetings(series: MeetingSeries, now: datetime, horizon_days: int = HORIZON_DAYS
                      ) -> list[Meeting]:
    """Create the meetings of the coming `horizon_days` that do not exist yet."""
    if not series.active:
        return []
    today = local_day(now)
    known = set(db.session.scalars(
        select(Meeting.occurrence_on).where(Meeting.series_id == series.id)
    ))
    created = []
    for day in occurrences(series, today, today + timedelta(days=horizon_days)):
        starts_at = local_moment(day, series.start_time)
        if day in known or starts_at <= now:
            continue
        meeting = Meeting(
            series=series, occurrence_on=day, starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=series.duration_minutes),
            location=series.location, online_url=series.online_url,
        )
        db.session.add(meeting)
        created.append(meeting)
    db.session.flush()
    return created


def _require_manager(acting_user: User | None, series: MeetingSeries) -> None:
    if acting_user is not None and not may_manage_series(acting_user, series):
        raise DomainError(_l("Only the directors of this meeting may do this."))


def move_meeting(
    acting_user: User | None, meeting: Meeting, *, day: date | None, start_time: time | None,
    duration_minutes: int, location: str | None, online_url: str | None,
    now: datetime | None = None,
) -> Meeting:
    now = now or utcnow()
    _require_manager(acting_user, meeting.series)
    if meeting.status is MeetingStatus.cancelled:
        raise DomainError(_l("This meeting is cancelled."))
    if day is None:
        raise DomainError(_l("Give the date."), "day")
    if start_time is None:
        raise DomainError(_l("Give the time the meeting starts."), "start_time")
    if not 15 <= (duration_minutes or 0) <= 8 * 60:
        raise DomainError(_l("A meeting lasts from 15 minutes to 8 hours."), "duration_minutes")
    starts_at = local_moment(day, start_time)
    if starts_at <= now:
        raise DomainError(
            _l("This moment is in the past. Choose a later date or time."), "day"
        )
    location = _clean(location) or None
    _check_length(location, 200, "location")
    online_url = _check_url(online_url)
    changed = (starts_at, location, online_url) != (meeting.starts_at, meeting.location,
                                                    meeting.online_url)
    if changed:
        meeting.sequence += 1
    meeting.starts_at = starts_at
    meeting.ends_at = starts_at + timedelta(minutes=duration_minutes)
    meeting.location = location
    meeting.online_url = online_url
    meeting.moved = True
    db.session.flush()
    if changed:
        _tell_attendees(meeting, now)
    return meeting


def cancel_meeting(acting_user: User | None, meeting: Meeting, now: datetime | None = None
                   ) -> Meeting:
    now = now or utcnow()
    _require_manager(acting_user, meeting.series)
    if meeting.status is MeetingStatus.cancelled:
        raise DomainError(_l("This meeting is already cancelled."))
    if meeting.starts_at <= now:
        raise DomainError(_l("This meeting has already taken place."))
    meeting.status = MeetingStatus.cancelled
    meeting.sequence += 1
    db.session.flush()
    _tell_attendees(meeting, now)
    return meeting


def _tell_attendees(meeting: Meeting, now: datetime) -> int:
    """Once the invitation went out with the agenda, a moved or cancelled meeting is mailed
    to the attendees with the updated invitation (same UID, higher SEQUENCE), so their
    calendars follow. Before that, the calendar feed is enough. Returns the messages stored."""
    from tracker.meetings import exports
    from tracker.notifications.services import Attachment

    if meeting.agenda_sent_at is None:
        return 0
    cancelled = meeting.status is MeetingStatus.cancelled
    method = "CANCEL" if cancelled else "REQUEST"

    def subject(when: str) -> str:
        if cancelled:
            return _("Cancelled: %(title)s on %(date)s", title=meeting.series.title, date=when)
        return _("Moved: %(title)s, now on %(date)s", title=meeting.series.title, date=when)

    return _mail_attendees(
        meeting, now, kind="meeting_changed",
        key=f"meeting-change:{meeting.id}:{meeting.sequence}",
        subject=subject, context={"cancelled": cancelled},
        attachments=[Attachment("invite.ics", f"text/calendar; method={method}",
                                exports.invitation(meeting, now))],
    )


def _mail_attendees(meeting: Meeting, now: datetime, *, kind: str, key: str, subject,
                    context: dict | None = None, attachments=()) -> int:
    """One message per active attendee, in their language, through the outbox: template
    `emails/<kind>`, `subject(date of the meeting)` called in that language, outbox key
    `<key>:<person>`. Returns the messages stored."""
    from tracker.notifications.rendering import absolute_url, render_message
    from tracker.notifications.services import OutgoingMessage, enqueue

    organisation = get_organisation()
    link = absolute_url("meetings.meeting", meeting_id=meeting.id)
    stored = 0
    for person in meeting.series.attendees:
        if not person.active:
            continue
        locale = recipient_locale(person)
        with force_locale(locale):
            title = subject(format_date(local_day(meeting.starts_at), "medium"))
        text, html = render_message(
            kind, locale, recipient=person, subject=title, organisation=organisation,
            meeting=meeting, link=link, **(context or {}),
        )
        stored += enqueue(OutgoingMessage(
            key=f"{key}:{person.id}", kind=kind, to_email=person.email, to_name=person.name,
            locale=locale, subject=title, text=text, html=html, recipient_id=person.id,
            attachments=list(attachments),
        ), now)
    return stored


# --- Building the agenda ----------------------------------------------------------------


def previous_meeting(meeting: Meeting) -> Meeting | None:
    return db.session.scalar(
        select(Meeting).where(
            Meeting.series_id == meeting.series_id, Meeting.starts_at < meeting.starts_at,
            Meeting.status == MeetingStatus.scheduled,
        ).order_by(Meeting.starts_at.desc()).limit(1)
    )


def _next_meeting_day(meeting: Meeting) -> date:
    """The day of the meeting after this one (from the rule; for "due before the next")."""
    series = meeting.series
    day = meeting.occurrence_on
    following = occurrences(series, day + timedelta(days=1), day + timedelta(days=62))
    if following:
        return following[0]
    return day + timedelta(days=14 if series.recurrence is Recurrence.biweekly else 7)


def _scope(series: MeetingSeries):
    """The condition on ImprovementAction.department_id (or Finding's) for this body."""
    if series.department_id is not None:
        return lambda column: column == series.department_id
    if series.directorate_id is not None:
        departments = select(Department.id).where(
            Department.directorate_id == series.directorate_id
        ).scalar_subquery()
        return lambda column: column.in_(departments)
    return lambda column: True


def _action_snapshot(action: ImprovementAction, latest: ProgressUpdate | None,
                     request: DeadlineRequest | None = None) -> dict:
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
            "id": request.id, "from": request.previous_deadline.isoformat(),
            "to": request.requested_deadline.isoformat(), "reason": request.reason,
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
    meeting_day = meeting.starts_at.astimezone(zone()).date()
    next_day = _next_meeting_day(meeting)
    since = previous.starts_at if previous else meeting.starts_at - timedelta(days=31)
    since_day = local_day(since)
    stuck_before = now - timedelta(days=STUCK_AFTER_DAYS)

    pending = {
        r.action_id: r for r in db.session.scalars(
            select(DeadlineRequest)
            .join(ImprovementAction, ImprovementAction.id == DeadlineRequest.action_id)
            .where(DeadlineRequest.decision == DeadlineDecision.pending,
                   ImprovementAction.status.in_(OPEN_STATUSES),
                   in_scope(ImprovementAction.department_id))
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
        and_(ImprovementAction.status.in_((ActionStatus.done, ActionStatus.declined)),
             ImprovementAction.closed_on >= since_day),
        stuck,
        ImprovementAction.id.in_(
            select(DeadlineRequest.action_id)
            .where(DeadlineRequest.decision == DeadlineDecision.pending)
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
        .where(Reaction.updated_at >= since, in_scope(ImprovementAction.department_id),
               ImprovementAction.visibility == Visibility.public)
        .options(joinedload(Reaction.action).options(
            joinedload(ImprovementAction.owner), joinedload(ImprovementAction.department)))
        .order_by(Reaction.id)
    ):
        reactions.setdefault(reaction.action_id, []).append(reaction)
        reacted[reaction.action_id] = reaction.action

    wanted_ids = {a.id for a in found} | set(reacted)
    latest: dict[int, ProgressUpdate] = {}
    if wanted_ids:
        newest = (
            select(func.max(ProgressUpdate.id))
            .where(ProgressUpdate.action_id.in_(
                select(ImprovementAction.id).where(in_scope(ImprovementAction.department_id),
                                                   or_(wanted, ImprovementAction.id.in_(
                                                       select(Reaction.action_id).where(
                                                           Reaction.updated_at >= since)))))
            )
            .group_by(ProgressUpdate.action_id)
        )
        latest = {u.action_id: u for u in db.session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.id.in_(newest))
        )}

    findings = list(db.session.scalars(
        select(Finding)
        .where(Finding.triage == Triage.act, in_scope(Finding.department_id),
               ~select(action_finding.c.action_id)
               .where(action_finding.c.finding_id == Finding.id).exists())
        .options(joinedload(Finding.department), joinedload(Finding.round),
                 joinedload(Finding.question))
        .order_by(Finding.department_id, Finding.id)
    ))

    items: list[AgendaItem] = []
    for action in found:
        request = pending.get(action.id)
        if request is not None or (action.status.is_open and action.stuck) or (
            action.status is ActionStatus.in_progress and
            (action.last_update_at or action.created_at) < stuck_before
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
        items.append(AgendaItem(
            section=section, action_id=action.id, title=action.title[:300],
            snapshot=snapshot, action_version=action.version,
        ))
    for finding in findings:
        items.append(AgendaItem(
            section=AgendaSection.finding, finding_id=finding.id,
            title=(finding.question.text if finding.question else f"#{finding.id}")[:300],
            snapshot={
                "department": finding.department.short_name if finding.department else None,
                "round": finding.round.name if finding.round else None,
                "score": finding.score, "benchmark": finding.benchmark,
            },
        ))
    for action_id, action in reacted.items():
        said = reactions[action_id]
        snapshot = _action_snapshot(action, latest.get(action_id))
        snapshot["reactions"] = {
            "helps": sum(1 for r in said if r.verdict.value == "helps"),
            "not_yet": sum(1 for r in said if r.verdict.value == "not_yet"),
            "comments": [
                {"verdict": r.verdict.value, "text": r.comment} for r in said
                if r.comment and r.comment_status is CommentStatus.approved
            ],
            "waiting": sum(1 for r in said if r.comment_status is CommentStatus.pending),
        }
        items.append(AgendaItem(
            section=AgendaSection.reactions, action_id=action_id, title=action.title[:300],
            snapshot=snapshot, action_version=action.version,
        ))
    items.extend(_effect_items(in_scope, since, latest))
    items.sort(key=lambda item: SECTION_ORDER[item.section])
    return items


def _effect_items(in_scope, since: datetime, latest: dict) -> list[AgendaItem]:
    """After a new survey import: what it measured of the done actions (a fixed number of
    queries). The figures are kept as numbers; the agenda shows them in the reader's language."""
    from tracker.actions.effects import action_effects
    from tracker.surveys.models import SurveyImport

    new_rounds = set(db.session.scalars(
        select(SurveyImport.round_id).where(SurveyImport.imported_at >= since,
                                            SurveyImport.round_id.is_not(None))
    ))
    if not new_rounds:
        return []
    done = db.session.scalars(
        select(ImprovementAction)
        .where(in_scope(ImprovementAction.department_id),
               ImprovementAction.status == ActionStatus.done)
        .options(joinedload(ImprovementAction.owner), joinedload(ImprovementAction.department),
                 selectinload(ImprovementAction.findings))
        .order_by(ImprovementAction.id)
    ).all()
    effects = action_effects(done, get_organisation().anonymity_threshold)
    items = []
    for action in done:
        measured = [e for e in effects.get(action.id, [])
                    if e.measured and e.after_round_id in new_rounds]
        if not measured:
            continue
        snapshot = _action_snapshot(action, latest.get(action.id))
        snapshot["effects"] = [
            {"question": e.question, "round": e.after_round, "verdict": e.verdict.value,
             "value": e.difference.value, "half_width": e.difference.half_width,
             "yesno": e.scale.value == "yesno"}
            for e in measured
        ]
        items.append(AgendaItem(
            section=AgendaSection.effects, action_id=action.id, title=action.title[:300],
            snapshot=snapshot, action_version=action.version,
        ))
    return items


def _rollover_items(meeting: Meeting, now: datetime, generated_action_ids: set[int],
                    generated_finding_ids: set[int]) -> list[AgendaItem]:
    """Items the previous meeting did not reach (once it has taken place)."""
    previous = previous_meeting(meeting)
    if previous is None or previous.starts_at > now:
        return []
    left = db.session.scalars(
        select(AgendaItem).where(
            AgendaItem.meeting_id == previous.id, AgendaItem.removed.is_(False),
            AgendaItem.state.in_((ItemState.open, ItemState.rolled_over)),
        ).order_by(AgendaItem.position)
    ).all()
    return [
        AgendaItem(
            section=AgendaSection.rollover, action_id=item.action_id, finding_id=item.finding_id,
            title=item.title, description=item.description, snapshot=dict(item.snapshot or {}),
            action_version=item.action_version, rolled_from_id=item.id,
        )
        for item in left
        if not (item.action_id and item.action_id in generated_action_ids)
        and not (item.finding_id and item.finding_id in generated_finding_ids)
    ]


def build_agenda(acting_user: User | None, meeting: Meeting, now: datetime | None = None
                 ) -> Meeting:
    """Build (or rebuild, until it is sent) the agenda. Items added by hand and items a
    director removed stay as they are; generated items are refreshed, new ones appended."""
    now = now or utcnow()
    _require_manager(acting_user, meeting.series)
    if meeting.status is MeetingStatus.cancelled:
        raise DomainError(_l("This meeting is cancelled."))
    if meeting.agenda_sent_at is not None:
        raise DomainError(
            _l("The agenda has been sent: it is kept as it was sent. Add what is new in the "
               "meeting itself.")
        )
    existing = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position)
    ).all()
    generated = agenda_candidates(meeting, now)
    generated += _rollover_items(
        meeting, now, {item.action_id for item in generated if item.action_id},
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
        additions.append({
            "meeting_id": meeting.id, "position": position, "section": item.section,
            "action_id": item.action_id, "finding_id": item.finding_id, "title": item.title,
            "description": item.description, "snapshot": item.snapshot,
            "action_version": item.action_version, "removed": False, "state": ItemState.open,
            "rolled_from_id": item.rolled_from_id,
        })
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
    for series in db.session.scalars(
        select(MeetingSeries).where(MeetingSeries.active.is_(True))
    ):
        schedule_meetings(series, now)
    due = db.session.scalars(
        select(Meeting).join(MeetingSeries, MeetingSeries.id == Meeting.series_id)
        .where(Meeting.status == MeetingStatus.scheduled, Meeting.starts_at > now,
               Meeting.agenda_built_at.is_(None), Meeting.starts_at <= now + timedelta(days=15))
        .options(joinedload(Meeting.series))
        .order_by(Meeting.starts_at)
    ).all()
    today = local_day(now)
    for meeting in due:
        if local_day(meeting.starts_at) - today <= timedelta(days=meeting.series.agenda_days_before):
            build_agenda(None, meeting, now)
            built += 1
    return built


# --- Editing the agenda before it is sent ------------------------------------------------


def _require_editable(acting_user: User | None, meeting: Meeting) -> None:
    _require_manager(acting_user, meeting.series)
    if meeting.agenda_sent_at is not None:
        raise DomainError(_l("The agenda has been sent: it is kept as it was sent."))


def _visible_items(meeting: Meeting) -> list[AgendaItem]:
    return [i for i in meeting.items if not i.removed]


def add_free_item(acting_user: User | None, meeting: Meeting, *, title: str,
                  description: str | None = None) -> AgendaItem:
    _require_editable(acting_user, meeting)
    title = _clean(title)
    if not title:
        raise DomainError(_l("Give the item a title."), "title")
    _check_length(title, 300, "title")
    description = _clean(description) or None
    _check_length(description, MAX_TEXT, "description")
    position = max((i.position for i in meeting.items), default=0) + 1
    item = AgendaItem(meeting=meeting, section=AgendaSection.free, title=title,
                      description=description, snapshot={}, position=position)
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
    visible = _visible_items(meeting)
    index = visible.index(item)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(visible):
        return
    neighbour = visible[other]
    item.position, neighbour.position = neighbour.position, item.position
    db.session.flush()


def recipient_locale(user: User) -> str:
    return user.locale or get_organisation().default_locale


def send_agenda(acting_user: User | None, meeting: Meeting, now: datetime | None = None) -> int:
    """Freeze the agenda as sent and mail it with an invitation to every attendee (through
    the outbox); returns the number of messages stored."""
    from tracker.meetings import exports
    from tracker.notifications.rendering import absolute_url
    from tracker.notifications.services import Attachment

    now = now or utcnow()
    _require_editable(acting_user, meeting)
    if meeting.status is MeetingStatus.cancelled:
        raise DomainError(_l("This meeting is cancelled."))
    if meeting.starts_at <= now:
        raise DomainError(_l("This meeting has already taken place."))
    items = _visible_items(meeting)
    if not items:
        raise DomainError(_l("The agenda is empty. Build it or add an item first."))
    meeting.agenda_sent_at = now
    db.session.flush()
    return _mail_attendees(
        meeting, now, kind="meeting_agenda",
        key=f"meeting-agenda:{meeting.id}:{meeting.sequence}",
        subject=lambda when: _("Agenda: %(title)s, %(date)s", title=meeting.series.title,
                               date=when),
        context={"items": items, "action_link": lambda action_id: absolute_url(
            "actions.action", action_id=action_id)},
        attachments=[Attachment("invite.ics", "text/calendar; method=REQUEST",
                                exports.invitation(meeting, now))],
    )


# --- Meeting mode: outcomes ---------------------------------------------------------------


def meeting_note(meeting: Meeting) -> str:
    """"decided in staff meeting of 12 Jan 2027", in the organisation's language: it goes
    into the action's history, which everyone reads."""
    with force_locale(get_organisation().default_locale):
        return _("decided in staff meeting of %(date)s",
                 date=format_date(local_day(meeting.starts_at), "d MMM y"))


def record_outcome(acting_user: User, item: AgendaItem, **values) -> AgendaItem:
    """Record what the meeting decided on an item. Changes to the action go through the
    actions' services (same rules, same history); the history also gets a line saying it was
    decided in this meeting. Refused (MeetingConflict) when the action changed after the
    form was opened; nothing is written then. The words it adds to the minutes and the
    history are in the organisation's language (everyone reads them)."""
    with force_locale(get_organisation().default_locale):
        return _record_outcome(acting_user, item, **values)


def _record_outcome(
    acting_user: User,
    item: AgendaItem,
    *,
    expected_version: int | None,
    decision: str | None = None,
    deadline_request: str | None = None,
    new_deadline: date | None = None,
    new_owner: User | None = None,
    new_status: ActionStatus | None = None,
    result: str | None = None,
    constraint: DeclineConstraint | None = None,
    explanation: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> AgendaItem:
    """Record what the meeting decided on an item. Changes to the action go through the
    actions' services (same rules, same history); the history also gets a line saying it was
    decided in this meeting. Refused (MeetingConflict) when the action changed after the
    form was opened; nothing is written then."""
    now = now or utcnow()
    meeting = item.meeting
    _require_manager(acting_user, meeting.series)
    if meeting.status is MeetingStatus.cancelled:
        raise DomainError(_l("This meeting is cancelled."))
    decision = _clean(decision) or None
    _check_length(decision, MAX_TEXT, "decision")
    action = item.action
    note = meeting_note(meeting)
    words: list[str] = []
    if action is None:
        if not decision:
            raise DomainError(_l("Write down what was decided."), "decision")
    else:
        if expected_version is not None and action.version != expected_version:
            raise MeetingConflict(_l(
                "This action changed after the agenda was built or the page was opened. Its "
                "current state is shown below; your input is kept. Check it and record the "
                "decision again."
            ))
        anything = decision or deadline_request or new_deadline or new_owner or new_status
        if not anything:
            raise DomainError(
                _l("Write down the decision, or choose what changes."), "decision"
            )
        with_note = f"{note}: {decision}" if decision else note
        if deadline_request in ("approve", "reject"):
            request = db.session.scalar(
                select(DeadlineRequest).where(
                    DeadlineRequest.action_id == action.id,
                    DeadlineRequest.decision == DeadlineDecision.pending,
                ).order_by(DeadlineRequest.id.desc()).limit(1)
            )
            if request is None:
                raise DomainError(
                    _l("There is no request for a new deadline to decide on any more."),
                    "deadline_request",
                )
            actions.decide_deadline_request(
                acting_user, request, action, approve=deadline_request == "approve",
                note=with_note, now=now,
            )
            words.append(
                _("New deadline %(date)s approved.",
                  date=format_date(request.requested_deadline, "medium"))
                if deadline_request == "approve" else _("Request for a new deadline rejected.")
            )
        changes = {}
        if new_deadline is not None and new_deadline != action.deadline:
            changes["deadline"] = new_deadline
        if new_owner is not None and new_owner.id != action.owner_id:
            changes["owner"] = new_owner
        if changes:
            actions.update_action(acting_user, action, expected_version=action.version,
                                  now=now, **changes)
            if "deadline" in changes:
                words.append(_("Deadline moved to %(date)s.",
                               date=format_date(new_deadline, "medium")))
            if "owner" in changes:
                words.append(_("Owner is now %(name)s.", name=new_owner.name))
        if new_status is not None and new_status is not action.status:
            actions.change_status(
                acting_user, action, new_status, expected_version=action.version,
                result=result, constraint=constraint, explanation=explanation,
                reason=f"{reason} ({note})" if _clean(reason) else (
                    with_note if not action.status.is_open or
                    new_status is ActionStatus.cancelled else None),
                now=now,
            )
            words.append(_("Status: %(status)s.", status=actions.STATUS_WORDS[new_status]))
        db.session.add(ActionChange(
            action_id=action.id, changed_by_id=acting_user.id, changed_at=now,
            field="staff_meeting", old_value=None, new_value=decision or " ".join(words),
            note=note, version=action.version,
        ))
    summary = " ".join(filter(None, [decision, " ".join(words)]))
    item.outcome = summary
    item.state = ItemState.decided
    item.decided_at = now
    item.decided_by_id = acting_user.id
    try:
        db.session.flush()
    except StaleDataError:
        raise actions.ConflictError(expected_version) from None
    return item


def close_meeting(acting_user: User | None, meeting: Meeting, now: datetime | None = None
                  ) -> Meeting:
    """End of the meeting: items not reached roll over to the next meeting, and the minutes
    are drafted from the outcomes (unless someone wrote them already)."""
    now = now or utcnow()
    _require_manager(acting_user, meeting.series)
    if meeting.closed_at is not None:
        raise DomainError(_l("This meeting has already been closed."))
    for item in _visible_items(meeting):
        if item.state is ItemState.open:
            item.state = ItemState.rolled_over
    meeting.closed_at = now
    if not meeting.minutes:
        meeting.minutes = draft_minutes(meeting)
    db.session.flush()
    return meeting


def draft_minutes(meeting: Meeting) -> str:
    """The minutes as plain text, from the outcomes, in the organisation's language."""
    with force_locale(get_organisation().default_locale):
        lines = [
            _("Minutes of %(title)s, %(date)s", title=meeting.series.title,
              date=format_date(local_day(meeting.starts_at), "long")),
            "",
            _("Attendees: %(names)s",
              names=", ".join(a.name for a in meeting.series.attendees)),
            "",
            _("Decisions"),
        ]
        decided = [i for i in _visible_items(meeting) if i.state is ItemState.decided]
        for number, item in enumerate(decided, 1):
            owner = (item.snapshot or {}).get("owner")
            lines.append(f"{number}. {item.title}" + (f" ({owner})" if owner else ""))
            lines.append(f"   {item.outcome or ''}".rstrip())
        if not decided:
            lines.append(_("No decisions were recorded."))
        left = [i for i in _visible_items(meeting) if i.state is not ItemState.decided]
        if left:
            lines += ["", _("Not reached; on the agenda of the next meeting:")]
            lines += [f"- {item.title}" for item in left]
    return "\n".join(lines) + "\n"


def save_minutes(acting_user: User | None, meeting: Meeting, *, text: str,
                 expected_version: int | None) -> Meeting:
    _require_manager(acting_user, meeting.series)
    if expected_version is None or meeting.version != expected_version:
        raise MeetingConflict(_l(
            "Someone else saved the minutes after you opened them. Their text is shown now; "
            "your text is kept in the form below it. Combine them and save again."
        ))
    text = (text or "").strip()
    if not text:
        raise DomainError(_l("The minutes are empty."), "text")
    _check_length(text, 50000, "text")
    meeting.minutes = text + "\n"
    try:
        db.session.flush()
    except StaleDataError:
        raise MeetingConflict(_l(
            "Someone else saved the minutes after you opened them. Their text is shown now; "
            "your text is kept in the form below it. Combine them and save again."
        )) from None
    return meeting


def publish_minutes(acting_user: User | None, meeting: Meeting, now: datetime | None = None
                    ) -> int:
    """Mail the minutes to every attendee (through the outbox)."""
    now = now or utcnow()
    _require_manager(acting_user, meeting.series)
    if not meeting.minutes:
        raise DomainError(_l("Write the minutes first (close the meeting to draft them)."))
    meeting.minutes_published_at = now
    db.session.flush()
    return _mail_attendees(
        meeting, now, kind="meeting_minutes",
        key=f"meeting-minutes:{meeting.id}:{meeting.version}",
        subject=lambda when: _("Minutes: %(title)s, %(date)s", title=meeting.series.title,
                               date=when),
    )


# --- The calendar feed ------------------------------------------------------------------


def feed_for(user: User) -> CalendarFeed:
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=new_feed_token())
        db.session.add(feed)
        db.session.flush()
    return feed


def rotate_feed(user: User) -> CalendarFeed:
    """A new secret address; the old one stops working at once."""
    feed = feed_for(user)
    feed.token = new_feed_token()
    db.session.flush()
    return feed
