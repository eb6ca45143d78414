"""The iCalendar pieces every .ics shares (RFC 5545): the calendar with its method, the host
in every UID (from BASE_URL, so a UID never depends on a request), the time zones, and the
all-day event of an action's deadline. Meetings (tracker.meetings.exports) and the owners'
reminder mails (tracker.actions.reminders) build their calendars from these, so every .ics
reads the same in Thunderbird (ical.js), Outlook and Python's icalendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event

from tracker.formatting import xml_text

PRODID = "-//Tracker//Survey follow-up//NL"


def host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "tracker.invalid"


def calendar(method: str | None, name: str | None = None) -> Calendar:
    """An empty calendar. `method`: REQUEST or CANCEL for an invitation (iMIP), PUBLISH for
    a feed or a file to import."""
    result = Calendar()
    result.add("prodid", PRODID)
    result.add("version", "2.0")
    result.add("calscale", "GREGORIAN")
    if method:
        result.add("method", method)
    if name:
        result.add("x-wr-calname", text(name))
    return result


def text(value) -> str:
    """Text a calendar program can hold: no control characters (a title may contain them)."""
    return xml_text(value)


def add_timezones(result: Calendar, moments) -> None:
    """The VTIMEZONE of every zone used, covering the year around the events."""
    moments = list(moments)
    if not moments:
        return
    first = min(moments).date() - timedelta(days=366)
    last = max(moments).date() + timedelta(days=366)
    result.add_missing_timezones(first_date=first, last_date=last)


def deadline_event(action_id: int, title: str, deadline: date, link: str, now: datetime) -> Event:
    """An all-day event on an action's deadline. Its UID is stable: importing the file again
    or the next feed update moves the event instead of adding one."""
    event = Event()
    event.add("uid", f"action-{action_id}-deadline@{host()}")
    event.add("dtstamp", now.astimezone(timezone.utc))
    event.add("dtstart", deadline)
    event.add("dtend", deadline + timedelta(days=1))
    event.add("summary", text(_("Deadline: %(title)s", title=title)))
    event.add("url", link)
    event.add("transp", "TRANSPARENT")
    return event
