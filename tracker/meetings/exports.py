"""The meeting out of the app: an iCalendar invitation (RFC 5545, METHOD:REQUEST, with the
time zone, organiser and attendees), the personal calendar feed, and the agenda and minutes
as a Word document."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask import current_app
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Event, vCalAddress, vText

from tracker import calendars, clock, documents
from tracker.actions.effects import verdict_text
from tracker.actions.forms import STATUS_LABELS
from tracker.actions.models import ActionStatus, ImprovementAction
from tracker.formatting import number
from tracker.meetings.forms import STATE_LABELS
from tracker.meetings.models import AgendaSection, ItemState, Meeting, MeetingStatus
from tracker.meetings.queries import sections


def meeting_uid(meeting: Meeting) -> str:
    """The same for every version of the meeting: a moved meeting updates the event."""
    return f"meeting-{meeting.id}@{calendars.host()}"


def _address(email: str, name: str, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(calendars.text(name))
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def _meeting_event(meeting: Meeting, now: datetime, with_attendees: bool) -> Event:
    from tracker.rendering import absolute_url

    local = clock.zone()
    series = meeting.series
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", now.astimezone(timezone.utc))
    event.add("dtstart", meeting.starts_at.astimezone(local))
    event.add("dtend", meeting.ends_at.astimezone(local))
    event.add("sequence", meeting.sequence)
    event.add("summary", calendars.text(series.title))
    place = meeting.location or meeting.online_url
    if place:
        event.add("location", calendars.text(place))
    link = absolute_url("meetings.meeting", meeting_id=meeting.id)
    description = _("Agenda: %(link)s", link=link)
    if meeting.online_url:
        description += "\n" + _("Online: %(link)s", link=meeting.online_url)
    event.add("description", calendars.text(description))
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
                    # Outlook and Thunderbird offer Accept/Decline, answered to the chair.
                    rsvp="TRUE",
                ),
            )
    return event


def invitation(meeting: Meeting, now: datetime) -> str:
    """The .ics of one meeting as an invitation (or its cancellation)."""
    cancelled = meeting.status is MeetingStatus.cancelled
    calendar = calendars.calendar("CANCEL" if cancelled else "REQUEST")
    calendar.add_component(_meeting_event(meeting, now, with_attendees=True))
    calendars.add_timezones(calendar, [meeting.starts_at])
    return calendar.to_ical().decode()


def feed(meetings: list[Meeting], actions: list[ImprovementAction], now: datetime) -> str:
    """The personal feed: meetings attended and deadlines of one's own open actions."""
    from tracker.rendering import absolute_url

    calendar = calendars.calendar("PUBLISH", name=_("Tracker: meetings and deadlines"))
    for meeting in meetings:
        calendar.add_component(_meeting_event(meeting, now, with_attendees=False))
    for action in actions:
        link = absolute_url("actions.action", action_id=action.id)
        calendar.add_component(
            calendars.deadline_event(action.id, action.title, action.deadline, link, now)
        )
    calendars.add_timezones(calendar, [m.starts_at for m in meetings])
    return calendar.to_ical().decode()


# --- Word ---------------------------------------------------------------------------------
# The agenda and the minutes through tracker.documents (A4, the reader's language, header and
# footer, fixed column widths): per item the action, its owner, status, deadline, latest
# update and what the meeting is to decide; the minutes with each decision and the owners
# and deadlines it set.

#: What the meeting is asked to decide, per section (an item's own facts may say more).
TO_DECIDE = {
    AgendaSection.overdue: _l("A new deadline, another owner, or stop?"),
    AgendaSection.attention: _l("What does the owner need to get going again?"),
    AgendaSection.due_soon: _l("Will it be ready by the deadline?"),
    AgendaSection.proposed: _l("Approve the action, its owner and deadline?"),
    AgendaSection.finding: _l("Which action, who owns it, and by when?"),
    AgendaSection.declined: _l("Confirm the public explanation."),
    AgendaSection.done: _l("Confirm the result and publish it."),
    AgendaSection.effects: _l("Did it work? Keep it, adjust it or stop."),
    AgendaSection.reactions: _l("Note what colleagues said, and answer where needed."),
    AgendaSection.rollover: _l("Decide now, or carry it over once more."),
}


def _status(value: str | None) -> str:
    try:
        return str(STATUS_LABELS[ActionStatus(value)])
    except (ValueError, KeyError):
        return value or "–"


def _day(value: str | date | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, "medium")


def docx_document(
    meeting: Meeting, rows, part: str, section_labels: dict, now: datetime | None = None
) -> bytes:
    """The agenda ("agenda") or the minutes ("minutes") of a meeting as a .docx file; `rows`
    are the meeting's agenda rows (queries.agenda_rows), for both."""
    from tracker.organisation.queries import get_organisation
    from tracker.types import utcnow

    series = meeting.series
    if part == "minutes":
        title = _("Minutes: %(title)s", title=series.title)
    else:
        title = _("Agenda: %(title)s", title=series.title)
    day = format_date(clock.local_date(meeting.starts_at), "long")
    document = documents.new_document(
        title=title,
        subject=f"{series.title}, {day}",
        organisation=get_organisation().name,
        now=now or utcnow(),
    )
    documents.heading(document, title, 1)
    _meeting_facts(document, meeting)
    if part == "minutes":
        _minutes(document, meeting, rows)
    else:
        _agenda(document, meeting, rows, section_labels)
    return documents.to_bytes(document)


def _meeting_facts(document, meeting: Meeting) -> None:
    when = format_datetime(meeting.starts_at, "EEEE d MMMM y, HH:mm")
    documents.paragraph(document, f"{when}–{format_datetime(meeting.ends_at, 'HH:mm')}")
    if meeting.status is MeetingStatus.cancelled:
        documents.paragraph(document, _("This meeting is cancelled."))
    if meeting.location:
        documents.paragraph(document, _("Location: %(place)s", place=meeting.location))
    if meeting.online_url:
        documents.paragraph(document, _("Online: %(link)s", link=meeting.online_url))
    if meeting.series.chair is not None:
        documents.paragraph(document, _("Chair: %(name)s", name=meeting.series.chair.name))


def _agenda(document, meeting: Meeting, rows, section_labels: dict) -> None:
    names = ", ".join(a.name for a in meeting.series.attendees) or "–"
    documents.paragraph(document, _("Attendees: %(names)s", names=names))
    columns = [
        documents.Column("#", min_cm=0.8),
        documents.Column(_("Action"), weight=3),
        documents.Column(_("Owner"), min_cm=2.2, max_cm=3.5),
        documents.Column(_("Status"), min_cm=2.3, max_cm=3),
        documents.Column(_("Deadline"), nowrap=True),
        documents.Column(_("Latest update"), weight=2),
    ]
    if not rows:
        documents.paragraph(document, _("The agenda is empty."))
    # Each text translated and each date formatted once per document, not once per item.
    words = _Words(
        functools.cache(_),
        functools.cache(_day),
        functools.cache(_status),
        functools.cache(lambda section: str(TO_DECIDE.get(section, ""))),
    )
    for section, section_rows in sections(rows):
        documents.heading(document, str(section_labels[section]), 2)
        documents.add_table(document, columns, [_agenda_row(row, words) for row in section_rows])


@dataclass(frozen=True)
class _Words:
    say: Callable[..., str]
    day: Callable[[str | None], str]
    status: Callable[[str | None], str]
    decide: Callable[[AgendaSection], str]


def _agenda_row(row, words: _Words) -> list:
    _, _day, _status = words.say, words.day, words.status
    item = row.item
    snap = item.snapshot or {}
    Line = documents.Line
    lines = [Line(item.title, bold=True)]
    if item.description:
        lines.append(item.description)
    if snap.get("round"):  # a finding without an action yet
        lines.append(
            " · ".join(
                filter(
                    None,
                    [
                        snap.get("department"),
                        snap.get("round"),
                        f"{_('score')} {number(snap.get('score'))} "
                        f"({_('benchmark')} {number(snap.get('benchmark'))})",
                    ],
                )
            )
        )
    request = snap.get("request")
    if request:
        asked = f"{_('Asks for a new deadline')}: {_day(request['to'])}"
        lines.append(asked + (f": {request['reason']}" if request.get("reason") else ""))
    if snap.get("stuck"):
        lines.append(_("No progress reported for four weeks."))
    if snap.get("explanation"):
        lines.append(f"{_('Public explanation')}: {snap['explanation']}")
    if snap.get("result"):
        lines.append(f"{_('Result')}: {snap['result']}")
    for effect in snap.get("effects", []):
        scale = 100 if effect.get("yesno") else 1
        digits = 0 if effect.get("yesno") else 1
        value = effect["value"] * scale
        figure = ("+" if value > 0 else "") + number(value, digits)
        if effect.get("half_width") is not None:
            figure += f" (±{number(effect['half_width'] * scale, digits)})"
        if effect.get("yesno"):
            figure += " " + _("percentage points")
        if effect.get("rest") is not None:
            rest = effect["rest"] * scale
            sign = "+" if rest > 0 else ""
            figure += f" {_('beyond the rest of the department')} ({sign}{number(rest, digits)})"
        verdict = verdict_text(effect.get("verdict"))
        lines.append(
            _(
                "Effect in %(round)s on '%(question)s'",
                round=effect["round"],
                question=effect["question"],
            )
            + f": {figure} – {verdict}"
        )
    said = snap.get("reactions")
    if said:
        lines.append(
            _(
                "%(helps)s say it helps, %(not_yet)s not yet.",
                helps=said["helps"],
                not_yet=said["not_yet"],
            )
        )
        lines += [f"“{c['text']}”" for c in said.get("comments", [])]
    if item.outcome:
        lines.append(Line(_("Decision: %(text)s", text=item.outcome), bold=True))
    else:
        question = _to_decide(item, words)
        if question:
            lines.append(Line(_("To decide: %(question)s", question=question), italic=True))
    owner = [snap.get("owner") or ""]
    if snap.get("department") and snap.get("status"):
        owner.append(snap["department"])
    status = (
        f"{_status(snap.get('status'))} ({snap.get('progress', 0)}%)" if snap.get("status") else ""
    )
    return [
        str(row.number),
        lines,
        owner,
        status,
        _day(snap.get("deadline")),
        snap.get("latest_update") or "",
    ]


def _to_decide(item, words: _Words) -> str:
    _, _day = words.say, words.day
    snap = item.snapshot or {}
    request = snap.get("request")
    if request:
        return _("Approve or reject the new deadline of %(date)s.", date=_day(request["to"]))
    if item.section is AgendaSection.free:
        return ""
    if item.section is AgendaSection.rollover and snap.get("stuck"):
        return words.decide(AgendaSection.attention)
    return words.decide(item.section)


def _minutes(document, meeting: Meeting, rows) -> None:
    Line = documents.Line
    from tracker.meetings.decisions import attendance_lines

    documents.heading(document, _("Attendees"), 2)
    for line in attendance_lines(meeting):
        documents.paragraph(document, line)
    documents.heading(document, _("Decisions"), 2)
    decided = [row for row in rows if row.item.state is ItemState.decided]
    if decided:
        columns = [
            documents.Column("#", min_cm=0.8),
            documents.Column(_("Item"), weight=2),
            documents.Column(_("Decision"), weight=3),
            documents.Column(_("Owner"), min_cm=2.2, max_cm=3.5),
            documents.Column(_("Deadline"), nowrap=True),
        ]
        table = []
        for number_, row in enumerate(decided, 1):
            snap = row.item.snapshot or {}
            owner, deadline = snap.get("owner") or "", _day(snap.get("deadline"))
            owner_cell, deadline_cell = [owner], [deadline]
            if row.action is not None:
                # What the meeting set (or what holds now), and what it was on the agenda.
                now_owner = row.action.owner.name if row.action.owner else ""
                now_deadline = _day(row.action.deadline)
                if now_owner != owner:
                    owner_cell = [Line(now_owner, bold=True)] + (
                        [Line(_("was %(value)s", value=owner), italic=True)] if owner else []
                    )
                if now_deadline != deadline:
                    deadline_cell = [Line(now_deadline, bold=True)] + (
                        [Line(_("was %(value)s", value=deadline), italic=True)] if deadline else []
                    )
            table.append(
                [
                    str(number_),
                    Line(row.item.title, bold=True),
                    row.item.outcome or "",
                    owner_cell,
                    deadline_cell,
                ]
            )
        documents.add_table(document, columns, table)
    else:
        documents.paragraph(document, _("No decisions were recorded."))
    left = [row for row in rows if row.item.state is not ItemState.decided]
    if left:
        state = ItemState.rolled_over if meeting.closed_at else ItemState.open
        documents.heading(document, str(STATE_LABELS[state]), 2)
        for row in left:
            documents.bullet(document, row.item.title)
    documents.heading(document, _("Minutes text"), 2)
    for line in (meeting.minutes or _("No minutes yet.")).splitlines():
        documents.paragraph(document, line)
