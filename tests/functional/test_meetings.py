"""Staff meetings through the pages: planning, the agenda, meeting mode, minutes, exports."""

from __future__ import annotations

import io
import re
from datetime import date, time, timedelta

from docx import Document
from icalendar import Calendar
from sqlalchemy import select

from tests.factories import make_action, make_department, make_user
from tracker import clock
from tracker.actions import services as actions
from tracker.actions.models import ImprovementAction
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.meetings import agenda, decisions, services
from tracker.meetings.models import AgendaItem, CalendarFeed, Meeting, MeetingSeries, Recurrence
from tracker.notifications.models import OutboxMessage


def _world():
    ict = make_department("ICT", "ICT")
    director = make_user(
        Role.director, email="director@example.org", name="Diederik", directs=[ict]
    )
    owner = make_user(Role.owner, email="owner@example.org", name="Olga", staff_of=[ict])
    other_owner = make_user(Role.owner, email="sanne@example.org", name="Sanne", staff_of=[ict])
    secretary = make_user(Role.employee, email="secretary@example.org", name="Sam")
    outsider = make_user(Role.employee, email="outsider@example.org")
    series = services.save_series(
        director,
        title="Stafoverleg ICT",
        department=ict,
        recurrence=Recurrence.weekly,
        weekday=(date.today() + timedelta(days=2)).weekday(),
        starts_on=date.today() + timedelta(days=1),
        start_time=time(10),
        attendees=[director, secretary],
        location="Kamer 2.14",
    )
    db.session.commit()
    meeting = db.session.scalar(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    )
    mine = make_action(ict, owner, title="Terugbellen binnen 4 uur", deadline=clock.today())
    theirs = make_action(ict, other_owner, title="Wachtrij korter", deadline=clock.today())
    return locals()


def _steps_form_token(page: str) -> str:
    return re.search(
        r'<form id="agenda-steps" method="post" hidden><input type="hidden" '
        r'name="csrf_token" value="([^"]+)"></form>',
        page,
    )[1]


def test_agenda_buttons_share_one_form_and_a_kept_agenda_gets_each_session_its_token(
    ctx, client, make_client
):
    w = _world()
    meeting, director = w["meeting"], w["director"]
    url = f"/meetings/{meeting.id}"
    client.login(director.email)
    client.post(f"{url}/agenda/build")
    client.get(url)  # rendered and kept for this director
    # Another session of the same director is served the kept agenda, with its own token.
    other = make_client()
    other.login(director.email)
    page = other.get(url).get_data(as_text=True)
    token = _steps_form_token(page)
    assert token == re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    items = db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    first, second = items[0], items[1]
    up = re.search(rf'form="agenda-steps" formaction="([^"]+/items/{second.id}/up)"', page)[1]
    assert other.post(up, {"csrf_token": token}, csrf=False).status_code == 302
    # The move is a commit: nothing kept from before it is shown.
    page = client.get(url).get_data(as_text=True)
    assert page.index(f'data-item="{second.id}"') < page.index(f'data-item="{first.id}"')
    assert _steps_form_token(page) != _steps_form_token(other.get(url).get_data(as_text=True))
    # What is kept for the director is never shown to someone who may see less.
    owner = make_client()
    owner.login(w["owner"].email)
    own = owner.get(url).get_data(as_text=True)
    assert "Terugbellen binnen 4 uur" in own and "Wachtrij korter" not in own
    assert "agenda-steps" not in own


def test_director_plans_a_series_and_a_past_start_is_refused(ctx, client):
    ict = make_department("ICT", "ICT")
    director = make_user(Role.director, email="d@example.org", directs=[ict])
    client.login(director.email)
    page = client.get("/meetings/series/new")
    assert page.status_code == 200
    data = {
        "title": "Stafoverleg ICT",
        "body": f"department:{ict.id}",
        "recurrence": "monthly",
        "weekday": "1",
        "week_of_month": "2",
        "starts_on": (date.today() - timedelta(days=3)).isoformat(),
        "start_time": "09:30",
        "duration_minutes": "90",
        "location": "Raadzaal",
        "online_url": "",
        "attendee_ids": [str(director.id)],
        "agenda_days_before": "3",
    }
    refused = client.post("/meetings/series/new", data)
    assert refused.status_code == 200
    assert "Het eerste overleg zou in het verleden liggen" in refused.get_data(as_text=True)
    assert db.session.scalar(select(MeetingSeries.id)) is None
    data["starts_on"] = (date.today() + timedelta(days=1)).isoformat()
    saved = client.post("/meetings/series/new", data)
    assert saved.status_code == 302
    series = db.session.scalar(select(MeetingSeries))
    assert series.week_of_month == 2
    meetings = db.session.scalars(select(Meeting).where(Meeting.series_id == series.id)).all()
    assert meetings and all(clock.local_date(m.starts_at).weekday() == 1 for m in meetings)


def test_agenda_build_edit_send_and_meeting_mode(ctx, client):
    w = _world()
    meeting, director = w["meeting"], w["director"]
    client.login(director.email)
    url = f"/meetings/{meeting.id}"
    assert client.post(f"{url}/agenda/build").status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Terugbellen binnen 4 uur" in page and "Olga" in page
    assert f'href="/actions/{w["mine"].id}"' in page
    client.post(f"{url}/agenda/items", {"title": "Rondvraag", "description": ""})
    items = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
    ).all()
    free = next(i for i in items if i.title == "Rondvraag")
    client.post(f"{url}/agenda/items/{free.id}/up")
    client.post(f"{url}/agenda/items/{items[0].id}/remove")
    page = client.get(url).get_data(as_text=True)
    assert page.index("Rondvraag") < page.index("Wachtrij korter")
    assert client.post(f"{url}/agenda/send").status_code == 302
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert {m.recipient_email for m in mails} == {"director@example.org", "secretary@example.org"}

    # Meeting mode: step to the item of "Wachtrij korter"; record a decision.
    visible = db.session.scalars(
        select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.removed.is_(False))
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    number = next(n for n, i in enumerate(visible, 1) if i.action_id == w["theirs"].id)
    step = client.get(f"{url}/run/{number}").get_data(as_text=True)
    assert re.search(r"data-item-title>([^<]+)<", step)[1] == "Wachtrij korter"
    action = db.session.get(ImprovementAction, w["theirs"].id)
    new_deadline = clock.today() + timedelta(days=40)
    response = client.post(
        f"{url}/run/{number}",
        {
            "version": str(action.version),
            "decision": "Twee weken extra, dan klaar.",
            "new_deadline": new_deadline.isoformat(),
            "owner_id": "",
            "new_status": "",
            "deadline_request": "",
            "constraint": "",
        },
    )
    assert response.status_code == 302
    history = client.get(f"/actions/{action.id}").get_data(as_text=True)
    assert "Twee weken extra, dan klaar." in history
    assert "besloten in stafoverleg van" in history
    assert db.session.get(ImprovementAction, action.id).deadline == new_deadline


def test_an_outcome_on_a_changed_action_shows_the_current_state_and_keeps_the_text(ctx, client):
    w = _world()
    meeting, director, owner = w["meeting"], w["director"], w["owner"]
    agenda.build_agenda(director, meeting)
    db.session.commit()
    rows = [i for i in meeting.items if not i.removed]
    number = next(n for n, i in enumerate(rows, 1) if i.action_id == w["mine"].id)
    client.login(director.email)
    seen = w["mine"].version
    action = db.session.get(ImprovementAction, w["mine"].id)
    actions.post_update(
        owner, action, expected_version=action.version, text="Al 80% klaar", percent=80
    )
    db.session.commit()
    response = client.post(
        f"/meetings/{meeting.id}/run/{number}",
        {
            "version": str(seen),
            "decision": "Mijn getypte besluit",
            "owner_id": "",
            "new_status": "",
            "deadline_request": "",
            "constraint": "",
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Deze actie is gewijzigd nadat de agenda werd opgesteld" in text
    assert "Mijn getypte besluit" in text
    assert "80%" in text
    assert db.session.get(AgendaItem, rows[number - 1].id).outcome is None
    # Asked again with the current version: recorded.
    current = db.session.get(ImprovementAction, w["mine"].id).version
    assert f'value="{current}"' in text
    again = client.post(
        f"/meetings/{meeting.id}/run/{number}",
        {
            "version": str(current),
            "decision": "Mijn getypte besluit",
            "owner_id": "",
            "new_status": "",
            "deadline_request": "",
            "constraint": "",
        },
    )
    assert again.status_code == 302
    assert db.session.get(AgendaItem, rows[number - 1].id).outcome == "Mijn getypte besluit"


def test_owner_sees_only_items_about_own_actions_outsider_nothing(ctx, make_client):
    w = _world()
    agenda.build_agenda(w["director"], w["meeting"])
    db.session.commit()
    url = f"/meetings/{w['meeting'].id}"
    owner = make_client()
    owner.login("owner@example.org")
    page = owner.get(url).get_data(as_text=True)
    assert "Terugbellen binnen 4 uur" in page and "Wachtrij korter" not in page
    assert owner.get(f"{url}/print/agenda").status_code == 403
    outsider = make_client()
    outsider.login("outsider@example.org")
    assert outsider.get(url).status_code == 403
    secretary = make_client()
    secretary.login("secretary@example.org")
    page = secretary.get(url).get_data(as_text=True)
    assert "Terugbellen binnen 4 uur" in page and "Wachtrij korter" in page
    assert secretary.get(f"{url}/run/1").status_code == 403


def test_printable_word_and_invitation(ctx, client):
    w = _world()
    agenda.build_agenda(w["director"], w["meeting"])
    db.session.commit()
    client.login("secretary@example.org")
    url = f"/meetings/{w['meeting'].id}"
    printable = client.get(f"{url}/print/agenda")
    html = printable.get_data(as_text=True)
    assert "meetings-print.css" in html and "Wachtrij korter" in html
    assert "style=" not in html and "<style" not in html and "<script" not in html
    assert "style-src 'self'" in printable.headers["Content-Security-Policy"]
    word = client.get(f"{url}/agenda.docx")
    assert word.mimetype.endswith("wordprocessingml.document")
    document = Document(io.BytesIO(word.data))
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    # The owner's cell: the name, then the department.
    first_lines = [cell.split("\n")[0] for cell in cells]
    assert any("Wachtrij korter" in cell for cell in cells) and "Sanne" in first_lines
    invite = client.get(f"{url}/invite.ics")
    calendar = Calendar.from_ical(invite.data)
    event = calendar.walk("VEVENT")[0]
    assert calendar["METHOD"] == "REQUEST"
    assert event["UID"] and event["DTSTAMP"] and event["DTSTART"].params["TZID"]
    assert "director@example.org" in str(event["ORGANIZER"])


def test_calendar_feed_by_secret_token_and_rotation(ctx, client, make_client):
    w = _world()
    client.login("owner@example.org")
    page = client.get("/calendar").get_data(as_text=True)
    token = db.session.scalar(select(CalendarFeed.token))
    assert f"/calendar/{token}.ics" in page
    anonymous = make_client()
    feed = anonymous.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200
    calendar = Calendar.from_ical(feed.data)
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert any("Terugbellen binnen 4 uur" in s for s in summaries)
    assert not any("Wachtrij korter" in s for s in summaries)
    # The secretary attends: the meetings are in her feed.
    secretary = make_client()
    secretary.login("secretary@example.org")
    secretary.get("/calendar")
    other = db.session.scalar(
        select(CalendarFeed.token).where(CalendarFeed.user_id == w["secretary"].id)
    )
    events = Calendar.from_ical(anonymous.get(f"/calendar/{other}.ics").data).walk("VEVENT")
    assert any(str(e["SUMMARY"]) == "Stafoverleg ICT" for e in events)
    client.post("/calendar/rotate")
    assert anonymous.get(f"/calendar/{token}.ics").status_code == 404


def test_minutes_close_edit_conflict_and_publish(ctx, client, make_client):
    w = _world()
    meeting, director = w["meeting"], w["director"]
    agenda.build_agenda(director, meeting)
    decisions.close_meeting(director, meeting)
    db.session.commit()
    client.login(director.email)
    url = f"/meetings/{meeting.id}/minutes"
    form = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form)[1]
    other = make_client()
    other.login(make_user(Role.admin, email="admin@example.org").email)
    other.get(url)
    assert (
        other.post(url, {"version": version, "text": "Tekst van de beheerder"}).status_code == 302
    )
    clash = client.post(url, {"version": version, "text": "Mijn tekst"})
    text = clash.get_data(as_text=True)
    assert clash.status_code == 200
    assert "Tekst van de beheerder" in text and "Mijn tekst" in text
    assert db.session.get(Meeting, meeting.id).minutes == "Tekst van de beheerder\n"
    client.post(f"/meetings/{meeting.id}/minutes/publish")
    sent = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "meeting_minutes")
    ).all()
    assert {m.recipient_email for m in sent} == {"director@example.org", "secretary@example.org"}
    assert all("Tekst van de beheerder" in m.body_text for m in sent)


def test_moving_and_cancelling_a_meeting(ctx, client):
    w = _world()
    meeting = w["meeting"]
    client.login("director@example.org")
    url = f"/meetings/{meeting.id}/edit"
    past = client.post(
        url,
        {
            "day": (date.today() - timedelta(days=2)).isoformat(),
            "start_time": "10:00",
            "duration_minutes": "60",
            "location": "Kamer 1",
            "online_url": "",
        },
    )
    assert "Dit moment ligt in het verleden" in past.get_data(as_text=True)
    moved = client.post(
        url,
        {
            "day": (date.today() + timedelta(days=20)).isoformat(),
            "start_time": "14:00",
            "duration_minutes": "60",
            "location": "Kamer 1",
            "online_url": "",
        },
    )
    assert moved.status_code == 302
    assert db.session.get(Meeting, meeting.id).location == "Kamer 1"
    client.post(f"/meetings/{meeting.id}/cancel")
    assert db.session.get(Meeting, meeting.id).status.value == "cancelled"
    # The agenda was never sent: nobody had an invitation, so no mail.
    assert db.session.scalar(select(OutboxMessage.id)) is None


def test_attendees_hear_of_a_moved_or_cancelled_meeting_once_invited(ctx, client):
    w = _world()
    meeting = w["meeting"]
    client.login("director@example.org")
    url = f"/meetings/{meeting.id}"
    client.post(f"{url}/agenda/build")
    assert client.post(f"{url}/agenda/send").status_code == 302
    day = date.today() + timedelta(days=20)
    moved = client.post(
        f"{url}/edit",
        {
            "day": day.isoformat(),
            "start_time": "14:00",
            "duration_minutes": "60",
            "location": "Raadzaal",
            "online_url": "",
        },
        follow_redirects=True,
    )
    assert "nieuwe tijd en een bijgewerkte uitnodiging" in moved.get_data(as_text=True)
    changes = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "meeting_changed")
    ).all()
    assert {m.recipient_email for m in changes} == {"director@example.org", "secretary@example.org"}
    notice = changes[0]
    assert notice.subject.startswith("Verplaatst: Stafoverleg ICT")
    assert "Raadzaal" in notice.body_text
    (ics,) = notice.attachments
    assert "METHOD:REQUEST" in ics["content"] and "SEQUENCE:1" in ics["content"]
    assert f"DTSTART;TZID=Europe/Amsterdam:{day:%Y%m%d}T140000" in ics["content"]
    # Saving the same time and place again sends nothing new.
    client.post(
        f"{url}/edit",
        {
            "day": day.isoformat(),
            "start_time": "14:00",
            "duration_minutes": "60",
            "location": "Raadzaal",
            "online_url": "",
        },
    )
    assert (
        len(
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "meeting_changed")
            ).all()
        )
        == 2
    )

    cancelled = client.post(f"{url}/cancel", follow_redirects=True)
    assert "afmelding voor hun agenda" in cancelled.get_data(as_text=True)
    notices = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == "meeting_changed")
        .order_by(OutboxMessage.id)
    ).all()
    assert len(notices) == 4
    assert notices[-1].subject.startswith("Afgelast: Stafoverleg ICT")
    assert "METHOD:CANCEL" in notices[-1].attachments[0]["content"]
    assert "STATUS:CANCELLED" in notices[-1].attachments[0]["content"]


def _directorate_world():
    """The services directorate's meeting chaired by ICT's director; HR's action on it."""
    from tracker.organisation.services import create_directorate

    directorate = create_directorate(None, "Dienstendirectie")
    ict = make_department("ICT", "ICT")
    hr = make_department("Personeel & Organisatie", "HR")
    ict.directorate = hr.directorate = directorate
    chair = make_user(Role.director, email="chair@example.org", name="Diederik", directs=[ict])
    make_user(Role.director, email="hr.director@example.org", name="Petra", directs=[hr])
    hanna = make_user(Role.owner, email="hanna@example.org", name="Hanna", staff_of=[hr])
    henk = make_user(Role.owner, email="henk@example.org", name="Henk Groen", staff_of=[hr])
    secretary = make_user(Role.employee, email="secretary@example.org", name="Sam")
    hr_action = make_action(hr, hanna, title="Verzuimgesprek binnen een week")
    series = services.save_series(
        chair,
        title="Stafoverleg dienstendirectie",
        directorate=directorate,
        recurrence=Recurrence.weekly,
        weekday=(date.today() + timedelta(days=2)).weekday(),
        starts_on=date.today() + timedelta(days=1),
        start_time=time(10),
        attendees=[chair, secretary],
    )
    db.session.commit()
    meeting = db.session.scalar(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    )
    agenda.build_agenda(chair, meeting)
    db.session.commit()
    number = next(
        n
        for n, i in enumerate([i for i in meeting.items if not i.removed], 1)
        if i.action_id == hr_action.id
    )
    return locals()


def _decision(version, **values):
    return {
        "version": str(version),
        "decision": "",
        "deadline_request": "",
        "new_deadline": "",
        "owner_id": "",
        "new_status": "",
        "constraint": "",
        **values,
    }


def test_the_chair_decides_on_an_hr_item_in_meeting_mode_but_not_on_its_edit_page(ctx, client):
    w = _directorate_world()
    action = w["hr_action"]
    url = f"/meetings/{w['meeting'].id}/run/{w['number']}"
    client.login("chair@example.org")
    step = client.get(url).get_data(as_text=True)
    assert re.search(r"data-item-title>([^<]+)<", step)[1] == "Verzuimgesprek binnen een week"
    assert "Henk Groen" in step  # HR's people to choose the new owner from
    new_deadline = clock.today() + timedelta(days=75)
    response = client.post(
        url,
        _decision(
            action.version,
            decision="Henk neemt het over.",
            new_deadline=new_deadline.isoformat(),
            owner_id=str(w["henk"].id),
            new_status="planned",
        ),
    )
    assert response.status_code == 302
    stored = db.session.get(ImprovementAction, action.id)
    assert (stored.deadline, stored.owner_id, stored.status.value) == (
        new_deadline,
        w["henk"].id,
        "planned",
    )
    history = client.get(f"/actions/{action.id}").get_data(as_text=True)
    section = history[history.index("data-history") :]
    assert "Henk neemt het over." in section
    assert section.count("besloten in stafoverleg van") >= 4  # deadline, owner, status, note
    # On the action's own page the department's rules hold: ICT's director may not edit it.
    assert client.get(f"/actions/{action.id}/edit").status_code == 403
    refused = client.post(
        f"/actions/{action.id}/edit",
        {"version": str(stored.version), "title": "Anders", "owner_id": str(w["hanna"].id)},
    )
    assert refused.status_code == 403
    assert db.session.get(ImprovementAction, action.id).title == "Verzuimgesprek binnen een week"


def test_an_attendee_who_is_not_chair_or_director_cannot_decide(ctx, client):
    w = _directorate_world()
    action = w["hr_action"]
    url = f"/meetings/{w['meeting'].id}/run/{w['number']}"
    client.login("secretary@example.org")
    assert client.get(f"/meetings/{w['meeting'].id}").status_code == 200
    assert client.get(url).status_code == 403
    response = client.post(url, _decision(action.version, new_status="planned", decision="Ja"))
    assert response.status_code == 403
    assert db.session.get(ImprovementAction, action.id).status.value == "proposed"


def test_a_closed_meeting_decides_nothing_more(ctx, client):
    w = _directorate_world()
    action, meeting = w["hr_action"], w["meeting"]
    client.login("chair@example.org")
    assert client.post(f"/meetings/{meeting.id}/close").status_code == 302
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Vergadermodus starten" not in page
    url = f"/meetings/{meeting.id}/run/{w['number']}"
    assert "Dit overleg is gesloten" in client.get(url).get_data(as_text=True)
    response = client.post(url, _decision(action.version, new_status="planned", decision="Ja"))
    assert response.status_code == 200
    assert "Dit overleg is gesloten: het kan niet meer besluiten." in response.get_data(
        as_text=True
    )
    assert db.session.get(ImprovementAction, action.id).status.value == "proposed"
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.action_id == action.id))
    assert item.outcome is None and item.state.value == "rolled_over"


def test_the_chair_records_who_was_absent_and_the_minutes_say_so(ctx, client, make_client):
    w = _world()
    meeting, secretary = w["meeting"], w["secretary"]
    agenda.build_agenda(w["director"], meeting)
    db.session.commit()
    client.login("director@example.org")
    url = f"/meetings/{meeting.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="attendance"' in page and f'value="{secretary.id}"' in page
    # Only the director is ticked: the secretary was away.
    response = client.post(f"{url}/attendance", {"present": str(w["director"].id)})
    assert response.status_code == 302
    db.session.refresh(meeting)
    assert [p.name for p in meeting.absentees] == ["Sam"]
    page = client.get(url).get_data(as_text=True)
    assert "Aanwezig: Diederik" in page and "Afwezig: Sam" in page
    # The minutes drafted at closing, the Word minutes and the printable minutes list both.
    decisions.close_meeting(w["director"], meeting)
    db.session.commit()
    assert "Aanwezig: Diederik" in meeting.minutes and "Afwezig: Sam" in meeting.minutes
    word = Document(io.BytesIO(client.get(f"{url}/minutes.docx").data))
    texts = [p.text for p in word.paragraphs]
    assert "Aanwezig: Diederik" in texts and "Afwezig: Sam" in texts
    printed = client.get(f"{url}/print/minutes").get_data(as_text=True)
    assert "Afwezig: Sam" in printed
    # Someone who is not an attendee, or a forged value, is refused and changes nothing.
    for forged in (str(w["outsider"].id), "abc"):
        client.post(f"{url}/attendance", {"present": forged})
        db.session.refresh(meeting)
        assert [p.name for p in meeting.absentees] == ["Sam"]
    # Another director's staff member cannot record it.
    owner = make_client()
    owner.login("owner@example.org")
    assert owner.post(f"{url}/attendance", {"present": str(secretary.id)}).status_code == 403
    db.session.refresh(meeting)
    assert [p.name for p in meeting.absentees] == ["Sam"]
