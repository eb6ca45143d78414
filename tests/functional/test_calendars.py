"""Every .ics as calendar programs read it (Thunderbird's ical.js and Python's icalendar), and
invitations as iMIP mail (RFC 6047) through a real SMTP server: the invitation is an
alternative of the text, so Outlook and Thunderbird show Accept and Decline, and a moved or
cancelled meeting updates the same event."""

from __future__ import annotations

from datetime import timedelta, timezone

from icalendar import Calendar
from sqlalchemy import select

from tests.functional.test_meetings import _world
from tests.mailserver import mail_server  # noqa: F401 (fixture)
from tests.programs import ical_js
from tracker import clock
from tracker.extensions import db
from tracker.meetings import agenda, services
from tracker.meetings.models import CalendarFeed
from tracker.scheduler import jobs


def _deliver(app) -> None:
    result = jobs.run_job(app, "deliver")
    assert "error" not in result, result


def _invitation(received) -> tuple[str, str]:
    """(method, calendar text) of an iMIP message, after checking its MIME structure:
    multipart/mixed holding multipart/alternative [text, html, calendar] and the .ics file."""
    message = received.message
    assert message.get_content_type() == "multipart/mixed"
    alternative, *files = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/html", "text/calendar"], kinds
    calendar_part = list(alternative.iter_parts())[2]
    assert [f.get_filename() for f in files] == ["invite.ics"]
    assert files[0].get_content_type() == "application/ics"
    method = calendar_part.get_param("method")
    assert calendar_part.get_content_charset() == "utf-8"
    return method, calendar_part.get_content()


def _event(text: str) -> dict:
    read = ical_js(text)
    [event] = read["events"]
    # Python's icalendar reads the same event.
    [parsed] = Calendar.from_ical(text).walk("VEVENT")
    assert str(parsed["UID"]) == event["uid"]
    return {**event, "method": read["method"], "zones": read["zones"]}


def test_agenda_mail_is_an_imip_invitation_and_moves_and_cancellations_update_it(
    ctx, app, mail_server
):
    w = _world()
    meeting, director = w["meeting"], w["director"]
    agenda.build_agenda(director, meeting)
    agenda.send_agenda(director, meeting)
    db.session.commit()
    _deliver(app)
    [first] = mail_server.recorder.to("secretary@example.org")
    method, text = _invitation(first)
    assert method == "REQUEST"
    event = _event(text)
    assert event["method"] == "REQUEST" and event["zones"] == ["Europe/Amsterdam"]
    assert event["tzid"] == "Europe/Amsterdam"
    starts = meeting.starts_at.astimezone(timezone.utc)
    assert event["start_utc"] == starts.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert event["organizer"] == "mailto:director@example.org"
    attendees = {a["address"]: a for a in event["attendees"]}
    assert set(attendees) == {"mailto:director@example.org", "mailto:secretary@example.org"}
    assert all(a["rsvp"] == "TRUE" for a in attendees.values())

    # Moved: the same event (UID) with a higher SEQUENCE, again as a request.
    day = clock.local_date(meeting.starts_at) + timedelta(days=1)
    services.move_meeting(
        director,
        meeting,
        day=day,
        start_time=meeting.starts_at.astimezone(clock.zone()).time(),
        duration_minutes=60,
        location="Kamer 3.01",
        online_url=None,
        on_closed_day=True,
    )
    db.session.commit()
    _deliver(app)
    moved = mail_server.recorder.to("secretary@example.org")[-1]
    method, text = _invitation(moved)
    update = _event(text)
    assert method == "REQUEST" and update["uid"] == event["uid"]
    assert update["sequence"] > event["sequence"]
    assert update["start"].startswith(day.isoformat())

    # Cancelled: METHOD:CANCEL for the same event, with a higher SEQUENCE still.
    services.cancel_meeting(director, meeting)
    db.session.commit()
    _deliver(app)
    cancelled = mail_server.recorder.to("secretary@example.org")[-1]
    method, text = _invitation(cancelled)
    gone = _event(text)
    assert method == "CANCEL" and gone["method"] == "CANCEL"
    assert gone["uid"] == event["uid"] and gone["sequence"] > update["sequence"]
    assert gone["status"] == "CANCELLED"


def test_every_calendar_download_parses_in_ical_js(ctx, client, make_client):
    w = _world()
    w["meeting"].series.title = "Stafoverleg \x0b ICT"  # a control character typed in
    agenda.build_agenda(w["director"], w["meeting"])
    db.session.commit()
    client.login("director@example.org")
    invite = client.get(f"/meetings/{w['meeting'].id}/invite.ics")
    assert invite.status_code == 200
    event = _event(invite.get_data(as_text=True))
    assert event["tzid"] == "Europe/Amsterdam" and event["summary"] == "Stafoverleg  ICT"
    assert event["organizer"] == "mailto:director@example.org"
    # The personal calendar feed: meetings with their time zone, deadlines as all-day events.
    secretary = make_client()
    secretary.login("secretary@example.org")
    secretary.get("/calendar")
    owner = make_client()
    owner.login("owner@example.org")
    owner.get("/calendar")
    for person in (w["secretary"], w["owner"]):
        token = db.session.scalar(
            select(CalendarFeed.token).where(CalendarFeed.user_id == person.id)
        )
        read = ical_js(make_client().get(f"/calendar/{token}.ics").get_data(as_text=True))
        assert read["method"] == "PUBLISH" and read["events"]
        for item in read["events"]:
            assert item["all_day"] or item["tzid"] == "Europe/Amsterdam", item
    # The same meeting keeps its UID in the feed and the invitation.
    token = db.session.scalar(
        select(CalendarFeed.token).where(CalendarFeed.user_id == w["secretary"].id)
    )
    feed = ical_js(make_client().get(f"/calendar/{token}.ics").get_data(as_text=True))
    assert event["uid"] in {item["uid"] for item in feed["events"]}
