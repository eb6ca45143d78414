"""The meeting out of the app: an iCalendar invitation (RFC 5545, METHOD:REQUEST, with the
time zone, organiser and attendees), the personal calendar feed, and the agenda and minutes
as a Word document."""

from __future__ import annotations

import io
from copy import deepcopy
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from flask import current_app
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from tracker import clock
from tracker.actions.forms import STATUS_LABELS
from tracker.actions.models import ActionStatus, ImprovementAction
from tracker.meetings.models import Meeting, MeetingStatus

PRODID = "-//Tracker//Staff meetings//NL"


def _host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "tracker.invalid"


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}@{_host()}"


def _address(email: str, name: str, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def _meeting_event(meeting: Meeting, now: datetime, with_attendees: bool) -> Event:
    from tracker.notifications.rendering import absolute_url

    local = clock.zone()
    series = meeting.series
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", now.astimezone(timezone.utc))
    event.add("dtstart", meeting.starts_at.astimezone(local))
    event.add("dtend", meeting.ends_at.astimezone(local))
    event.add("sequence", meeting.sequence)
    event.add("summary", series.title)
    place = meeting.location or meeting.online_url
    if place:
        event.add("location", place)
    link = absolute_url("meetings.meeting", meeting_id=meeting.id)
    description = _("Agenda: %(link)s", link=link)
    if meeting.online_url:
        description += "\n" + _("Online: %(link)s", link=meeting.online_url)
    event.add("description", description)
    event.add("url", link)
    cancelled = meeting.status is MeetingStatus.cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organiser = series.chair
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "tracker@localhost"
    if organiser is not None:
        event.add("organizer", _address(organiser.email, organiser.name))
    else:
        event.add("organizer", _address(str(sender).split("<")[-1].strip(">"), "Tracker"))
    if with_attendees:
        for person in series.attendees:
            event.add(
                "attendee",
                _address(
                    person.email,
                    person.name,
                    role="REQ-PARTICIPANT",
                    partstat="NEEDS-ACTION",
                    rsvp="FALSE",
                ),
            )
    return event


def invitation(meeting: Meeting, now: datetime) -> str:
    """The .ics of one meeting as an invitation (or its cancellation)."""
    cancelled = meeting.status is MeetingStatus.cancelled
    calendar = _calendar("CANCEL" if cancelled else "REQUEST")
    calendar.add_component(_meeting_event(meeting, now, with_attendees=True))
    _add_timezones(calendar, [meeting.starts_at])
    return calendar.to_ical().decode()


def _add_timezones(calendar: Calendar, moments) -> None:
    moments = list(moments)
    if not moments:
        return
    first = min(moments).date() - timedelta(days=366)
    last = max(moments).date() + timedelta(days=366)
    calendar.add_missing_timezones(first_date=first, last_date=last)


def feed(meetings: list[Meeting], actions: list[ImprovementAction], now: datetime) -> str:
    """The personal feed: meetings attended and deadlines of one's own open actions."""
    from tracker.notifications.rendering import absolute_url

    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", _("Tracker: meetings and deadlines"))
    for meeting in meetings:
        calendar.add_component(_meeting_event(meeting, now, with_attendees=False))
    for action in actions:
        event = Event()
        event.add("uid", f"action-{action.id}-deadline@{_host()}")
        event.add("dtstamp", now.astimezone(timezone.utc))
        event.add("dtstart", action.deadline)
        event.add("dtend", action.deadline + timedelta(days=1))
        event.add("summary", _("Deadline: %(title)s", title=action.title))
        event.add("url", absolute_url("actions.action", action_id=action.id))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    _add_timezones(calendar, [m.starts_at for m in meetings])
    return calendar.to_ical().decode()


# --- Word ---------------------------------------------------------------------------------


def _status(value: str | None) -> str:
    try:
        return str(STATUS_LABELS[ActionStatus(value)])
    except (ValueError, KeyError):
        return value or "–"


def _day(value: str | None) -> str:
    from datetime import date

    return format_date(date.fromisoformat(value), "medium") if value else "–"


def docx_document(meeting: Meeting, rows, part: str, section_labels: dict) -> bytes:
    """The agenda ("agenda") or the minutes ("minutes") of a meeting as a .docx file."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    series = meeting.series
    when = format_datetime(meeting.starts_at, "full")
    if part == "minutes":
        document.add_heading(_("Minutes: %(title)s", title=series.title), level=0)
    else:
        document.add_heading(_("Agenda: %(title)s", title=series.title), level=0)
    document.add_paragraph(when)
    if meeting.location:
        document.add_paragraph(_("Location: %(place)s", place=meeting.location))
    if meeting.online_url:
        document.add_paragraph(_("Online: %(link)s", link=meeting.online_url))
    document.add_paragraph(
        _("Attendees: %(names)s", names=", ".join(a.name for a in series.attendees))
    )
    if part == "minutes":
        for line in (meeting.minutes or _("No minutes yet.")).splitlines():
            document.add_paragraph(line)
        return _save(document)
    # One table per section (as on the printable page): a table per item would make
    # python-docx far slower on long agendas.
    headers = [_("Item"), _("Owner"), _("Deadline"), _("Status"), _("Latest update")]
    table = None
    prototype = None
    current = None
    for row in rows:
        item = row.item
        if item.section is not current:
            current = item.section
            document.add_heading(str(section_labels[current]), level=1)
            table = document.add_table(rows=1, cols=len(headers))
            table.style = "Table Grid"
            for cell, header in zip(table.rows[0].cells, headers):
                cell.text = str(header)
            if prototype is None:
                prototype = _prototype_row(table, len(headers))
        snap = item.snapshot or {}
        lines = [f"{row.number}. {item.title}"]
        if item.description:
            lines.append(item.description)
        if snap.get("request"):
            lines.append(f"{_('Asks for a new deadline')}: {_day(snap['request']['to'])}")
        if snap.get("reactions"):
            said = snap["reactions"]
            lines.append(
                _(
                    "%(helps)s say it helps, %(not_yet)s not yet.",
                    helps=said["helps"],
                    not_yet=said["not_yet"],
                )
            )
            lines += [f"“{c['text']}”" for c in said.get("comments", [])]
        if item.outcome:
            lines.append(_("Decision: %(text)s", text=item.outcome))
        values = [
            " · ".join(lines),
            snap.get("owner") or "",
            _day(snap.get("deadline")) if snap.get("deadline") else "",
            f"{_status(snap.get('status'))} ({snap.get('progress', 0)}%)"
            if snap.get("status")
            else "",
            snap.get("latest_update") or "",
        ]
        # A copy of a prepared row with its texts replaced: python-docx's own add_row and
        # cell.text are slow on hundreds of rows.
        tr = deepcopy(prototype)
        for text, value in zip(tr.iter(qn("w:t")), values):
            text.text = value
        table._tbl.append(tr)
    return _save(document)


def _prototype_row(table, columns: int):
    row = table.add_row()
    for cell in row.cells:
        cell.text = "-"
    tr = row._tr
    tr.getparent().remove(tr)
    return tr


def _save(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
