"""Staff-meeting series and their meetings: the recurrence, moving and cancelling a meeting
(and telling the attendees), who may manage a series, and the calendar feed. Building and
sending the agenda lives in `agenda.py`, deciding in meeting mode and the minutes in
`decisions.py`.

Every function takes the acting user (None: the scheduler or the demo), raises DomainError
for anything a user can get wrong, flushes and never commits: the caller commits once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from dateutil.rrule import MONTHLY, WEEKLY, rrule
from dateutil.rrule import weekday as rrule_weekday
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker import clock
from tracker.auth.models import User
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.meetings.models import (
    CalendarFeed,
    Meeting,
    MeetingSeries,
    MeetingStatus,
    Recurrence,
    new_feed_token,
)
from tracker.meetings.permissions import may_create_series, may_manage_series
from tracker.organisation.models import Department, Directorate
from tracker.types import utcnow

MAX_TITLE = 200
MAX_TEXT = 5000
#: Meetings are created this far ahead.
HORIZON_DAYS = 120
#: How far ahead a recurrence is searched for its first date.
SEARCH_YEARS = 2


# --- Recurrence -------------------------------------------------------------------------


def occurrences(series: MeetingSeries, start: date, end: date) -> list[date]:
    """The days of the series' meetings from `start` to `end` (both included)."""
    start = max(start, series.starts_on)
    if series.ends_on:
        end = min(end, series.ends_on)
    if end < start:
        return []
    if series.recurrence is Recurrence.monthly:
        rule = rrule(
            MONTHLY,
            dtstart=datetime.combine(series.starts_on, time()),
            byweekday=rrule_weekday(series.weekday, series.week_of_month or 1),
        )
    else:
        rule = rrule(
            WEEKLY,
            dtstart=datetime.combine(series.starts_on, time()),
            interval=2 if series.recurrence is Recurrence.biweekly else 1,
            byweekday=series.weekday,
        )
    return [
        moment.date()
        for moment in rule.between(
            datetime.combine(start, time()), datetime.combine(end, time()), inc=True
        )
    ]


# --- Series -----------------------------------------------------------------------------


def clean_text(text: str | None) -> str:
    return (text or "").strip()


def check_length(value: str | None, limit: int, field: str) -> None:
    if value and len(value) > limit:
        raise DomainError(
            _l("This text is too long: at most %(limit)s characters.", limit=limit), field
        )


def _check_url(url: str | None) -> str | None:
    url = clean_text(url) or None
    if url and not url.lower().startswith(("https://", "http://")):
        raise DomainError(
            _l(
                "The online link must start with https:// (copy it from the invitation of "
                "Teams, Zoom or Meet)."
            ),
            "online_url",
        )
    check_length(url, 500, "online_url")
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
    title = clean_text(title)
    if not title:
        raise DomainError(
            _l('Give the meeting a name, e.g. "Staff meeting of the services directorate".'),
            "title",
        )
    check_length(title, MAX_TITLE, "title")
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
    location = clean_text(location) or None
    check_length(location, 200, "location")
    online_url = _check_url(online_url)
    attendees = sorted({u.id: u for u in attendees}.values(), key=lambda u: u.name)
    if not attendees:
        raise DomainError(_l("Choose who attends the meeting."), "attendee_ids")

    candidate = MeetingSeries(
        recurrence=recurrence,
        weekday=weekday,
        week_of_month=week_of_month,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    today = clock.local_date(now)
    if starts_on < today and (series is None or series.starts_on != starts_on):
        raise DomainError(
            _l("The first meeting would be in the past. Choose today or a later date."),
            "starts_on",
        )
    first = [
        d
        for d in occurrences(candidate, today, today + timedelta(days=366 * SEARCH_YEARS))
        if clock.local_moment(d, start_time) > now
    ][:1]
    if not first:
        raise DomainError(
            _l(
                "This recurrence gives no meeting date from now on. Check the day, the week of "
                "the month and the end date."
            ),
            "recurrence",
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
            Meeting.series_id == series.id,
            Meeting.starts_at > now,
            Meeting.moved.is_(False),
            Meeting.agenda_built_at.is_(None),
            Meeting.status == MeetingStatus.scheduled,
        )
    ).all()
    for meeting in untouched:
        db.session.delete(meeting)
    db.session.flush()
    schedule_meetings(series, now)


def schedule_meetings(
    series: MeetingSeries, now: datetime, horizon_days: int = HORIZON_DAYS
) -> list[Meeting]:
    """Create the meetings of the coming `horizon_days` that do not exist yet."""
    if not series.active:
        return []
    today = clock.local_date(now)
    known = set(
        db.session.scalars(select(Meeting.occurrence_on).where(Meeting.series_id == series.id))
    )
    created = []
    for day in occurrences(series, today, today + timedelta(days=horizon_days)):
        starts_at = clock.local_moment(day, series.start_time)
        if day in known or starts_at <= now:
            continue
        meeting = Meeting(
            series=series,
            occurrence_on=day,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=series.duration_minutes),
            location=series.location,
            online_url=series.online_url,
        )
        db.session.add(meeting)
        created.append(meeting)
    db.session.flush()
    return created


def require_manager(acting_user: User | None, series: MeetingSeries) -> None:
    if acting_user is not None and not may_manage_series(acting_user, series):
        raise DomainError(_l("Only the directors of this meeting may do this."))


def move_meeting(
    acting_user: User | None,
    meeting: Meeting,
    *,
    day: date | None,
    start_time: time | None,
    duration_minutes: int,
    location: str | None,
    online_url: str | None,
    now: datetime | None = None,
) -> Meeting:
    now = now or utcnow()
    require_manager(acting_user, meeting.series)
    if meeting.status is MeetingStatus.cancelled:
        raise DomainError(_l("This meeting is cancelled."))
    if day is None:
        raise DomainError(_l("Give the date."), "day")
    if start_time is None:
        raise DomainError(_l("Give the time the meeting starts."), "start_time")
    if not 15 <= (duration_minutes or 0) <= 8 * 60:
        raise DomainError(_l("A meeting lasts from 15 minutes to 8 hours."), "duration_minutes")
    starts_at = clock.local_moment(day, start_time)
    if starts_at <= now:
        raise DomainError(_l("This moment is in the past. Choose a later date or time."), "day")
    location = clean_text(location) or None
    check_length(location, 200, "location")
    online_url = _check_url(online_url)
    changed = (starts_at, location, online_url) != (
        meeting.starts_at,
        meeting.location,
        meeting.online_url,
    )
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


def cancel_meeting(
    acting_user: User | None, meeting: Meeting, now: datetime | None = None
) -> Meeting:
    now = now or utcnow()
    require_manager(acting_user, meeting.series)
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

    return mail_attendees(
        meeting,
        now,
        kind="meeting_changed",
        key=f"meeting-change:{meeting.id}:{meeting.sequence}",
        subject=subject,
        context={"cancelled": cancelled},
        attachments=[
            Attachment(
                "invite.ics", f"text/calendar; method={method}", exports.invitation(meeting, now)
            )
        ],
    )


def mail_attendees(
    meeting: Meeting,
    now: datetime,
    *,
    kind: str,
    key: str,
    subject,
    context: dict | None = None,
    attachments=(),
) -> int:
    """One message per attendee through the outbox: template `emails/<kind>`,
    `subject(date of the meeting)` in their language, outbox key `<key>:<person>`.
    Returns the messages stored."""
    from tracker.notifications.rendering import absolute_url
    from tracker.notifications.services import mail_person

    link = absolute_url("meetings.meeting", meeting_id=meeting.id)
    day = clock.local_date(meeting.starts_at)
    return sum(
        mail_person(
            person,
            key=f"{key}:{person.id}",
            kind=kind,
            template=kind,
            subject=lambda: subject(format_date(day, "medium")),
            now=now,
            attachments=attachments,
            meeting=meeting,
            link=link,
            **(context or {}),
        )
        for person in meeting.series.attendees
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
