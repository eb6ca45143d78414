"""Staff-meeting series and their meetings: the recurrence (around public holidays and the
organisation's closed days), moving and cancelling a meeting (and telling the attendees),
who may manage a series, and the calendar feed. Building and sending the agenda lives in
`agenda.py`, deciding in meeting mode and the minutes in `decisions.py`.

Every function takes the acting user (None: the scheduler or the demo), raises DomainError
for anything a user can get wrong, flushes and never commits: the caller commits once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
from tracker.formatting import DAY_PATTERN
from tracker.meetings.models import (
    CalendarFeed,
    ClosedDayRule,
    Meeting,
    MeetingSeries,
    MeetingStatus,
    Recurrence,
    new_feed_token,
)
from tracker.meetings.permissions import may_create_series, may_manage_series
from tracker.organisation.closed_days import ClosedDays, Closure, closed_days
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


@dataclass(frozen=True)
class Placement:
    """Where the meeting of one occurrence of a series is held."""

    #: The day the recurrence gives.
    occurrence: date
    #: The day it is held: the occurrence, the next working day when the occurrence is a
    #: closed day and the series moves, or None: skipped.
    day: date | None
    #: Why it is not held on the occurrence (None: it is).
    closure: Closure | None = None


def placements(
    series: MeetingSeries, start: date, end: date, calendar: ClosedDays | None = None
) -> list[Placement]:
    """The series' meetings held (or skipped) from `start` to `end`, around the organisation's
    public holidays and closed days: on such a day a meeting moves to the next working day
    or is skipped, as the series is set. A move never reaches the next occurrence (nor the
    end of the series): then the meeting is skipped, the next one takes place anyway."""
    calendar = calendar or closed_days()
    # From a month before (a closed occurrence may move into the range) to two months after
    # (the occurrence after the last one, which a move may not reach).
    days = occurrences(series, start - timedelta(days=31), end + timedelta(days=62))
    placed = []
    for index, occurrence in enumerate(days):
        if occurrence > end:
            break
        closure = calendar.closure(occurrence)
        day: date | None = occurrence
        if closure is not None:
            day = None
            if series.on_closed_day is not ClosedDayRule.skip:
                day = calendar.next_working_day(occurrence)
                following = days[index + 1] if index + 1 < len(days) else None
                if day is not None and (
                    (following is not None and day >= following)
                    or (series.ends_on is not None and day > series.ends_on)
                ):
                    day = None
        if start <= (day or occurrence) <= end:
            placed.append(Placement(occurrence, day, closure))
    return placed


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
    on_closed_day: ClosedDayRule = ClosedDayRule.move,
    now: datetime | None = None,
) -> MeetingSeries:
    """Create (series None) or change a meeting series, then plan its coming meetings.
    Refused when its first meeting would be in the past or the recurrence gives no date.
    `on_closed_day`: what becomes of a meeting on a public holiday or closed day."""
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

    if not isinstance(on_closed_day, ClosedDayRule):
        raise DomainError(
            _l("Choose what happens to a meeting on a public holiday."), "on_closed_day"
        )
    candidate = MeetingSeries(
        recurrence=recurrence,
        weekday=weekday,
        week_of_month=week_of_month,
        starts_on=starts_on,
        ends_on=ends_on,
        on_closed_day=on_closed_day,
    )
    today = clock.local_date(now)
    if starts_on < today and (series is None or series.starts_on != starts_on):
        raise DomainError(
            _l("The first meeting would be in the past. Choose today or a later date."),
            "starts_on",
        )
    first = [
        p
        for p in placements(candidate, today, today + timedelta(days=366 * SEARCH_YEARS))
        if p.day is not None and clock.local_moment(p.day, start_time) > now
    ][:1]
    if not first:
        raise DomainError(
            _l(
                "This recurrence gives no meeting date from now on. Check the day, the week of "
                "the month and the end date (meetings on public holidays and closed days are "
                "moved or skipped)."
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
    series.on_closed_day = on_closed_day
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
    """Create the meetings of the coming `horizon_days` that do not exist yet, around the
    public holidays and closed days. Coming meetings that follow the series (not moved by
    hand, no agenda yet) follow changes of the closed days too."""
    if not series.active:
        return []
    today = clock.local_date(now)
    known = {
        meeting.occurrence_on: meeting
        for meeting in db.session.scalars(select(Meeting).where(Meeting.series_id == series.id))
    }
    created = []
    for placement in placements(series, today, today + timedelta(days=horizon_days)):
        existing = known.get(placement.occurrence)
        if existing is not None:
            _follow_closed_days(existing, placement, now)
            continue
        if placement.day is None:
            continue
        starts_at = clock.local_moment(placement.day, series.start_time)
        if starts_at <= now:
            continue
        meeting = Meeting(
            series=series,
            occurrence_on=placement.occurrence,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=series.duration_minutes),
            location=series.location,
            online_url=series.online_url,
        )
        db.session.add(meeting)
        created.append(meeting)
    db.session.flush()
    return created


def _follow_closed_days(meeting: Meeting, placement: Placement, now: datetime) -> None:
    """A coming meeting that still follows its series (not moved by hand, no agenda, not
    cancelled) moves or goes when the closed days changed since it was planned."""
    if (
        meeting.moved
        or meeting.agenda_built_at is not None
        or meeting.status is not MeetingStatus.scheduled
        or meeting.starts_at <= now
    ):
        return
    if placement.day is None:
        db.session.delete(meeting)
        return
    if clock.local_date(meeting.starts_at) == placement.day:
        return
    starts_at = clock.local_moment(placement.day, meeting.series.start_time)
    if starts_at <= now:
        return
    meeting.ends_at = starts_at + (meeting.ends_at - meeting.starts_at)
    meeting.starts_at = starts_at
    meeting.sequence += 1


def require_manager(acting_user: User | None, series: MeetingSeries) -> None:
    if acting_user is not None and not may_manage_series(acting_user, series):
        raise DomainError(_l("Only the directors of this meeting may do this."))


class ClosedDayWarning(DomainError):
    """The new day is a public holiday or a closed day: allowed once the user confirms."""


def closed_day_warning(day: date, closure: Closure):
    """The warning, in the user's language, that `day` is closed."""
    when = format_date(day, DAY_PATTERN)
    if closure.holiday:
        return _l(
            "%(date)s is a public holiday (%(name)s). Choose another day, or confirm below that "
            "the meeting takes place anyway.",
            date=when,
            name=closure.name,
        )
    if closure.name:
        return _l(
            "%(date)s is a closed day of the organisation (%(name)s). Choose another day, or "
            "confirm below that the meeting takes place anyway.",
            date=when,
            name=closure.name,
        )
    return _l(
        "%(date)s is a closed day of the organisation. Choose another day, or confirm below "
        "that the meeting takes place anyway.",
        date=when,
    )


def move_meeting(
    acting_user: User | None,
    meeting: Meeting,
    *,
    day: date | None,
    start_time: time | None,
    duration_minutes: int,
    location: str | None,
    online_url: str | None,
    on_closed_day: bool = False,
    now: datetime | None = None,
) -> Meeting:
    """Move a meeting by hand (or change its place). Onto a public holiday or closed day only
    with `on_closed_day` (the user confirmed the warning: ClosedDayWarning)."""
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
    closure = closed_days().closure(day)
    if closure is not None and not on_closed_day and day != clock.local_date(meeting.starts_at):
        raise ClosedDayWarning(closed_day_warning(day, closure), "day")
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
    from tracker.notifications.services import mail_person
    from tracker.rendering import absolute_url

    link = absolute_url("meetings.meeting", meeting_id=meeting.id)
    day = clock.local_date(meeting.starts_at)
    return sum(
        mail_person(
            person,
            key=f"{key}:{person.id}",
            kind=kind,
            template=kind,
            subject=lambda: subject(format_date(day, DAY_PATTERN)),
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
