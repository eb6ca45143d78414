"""A director prepares the staff meeting in Chromium: opens the generated agenda, steps into
meeting mode, records a decision, and finds it in the action's history. In the services
directorate's meeting the chair (ICT's director) decides on an item of HR, which the action
page itself would not let him edit."""

from datetime import date, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.factories import PASSWORD, make_action, make_department, make_user
from tracker import clock
from tracker.actions.models import ActionChange, ActionStatus, ImprovementAction
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.meetings import services
from tracker.meetings.models import Meeting, Recurrence


@pytest.fixture
def meeting(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    owner = make_user(Role.owner, email="own@example.org", name="Olga Visser", staff_of=[ict])
    director = make_user(
        Role.director, email="dir@example.org", name="Diederik Jansen", directs=[ict]
    )
    make_action(
        ict, owner, title="Elke melding binnen 4 werkuren terugbellen", deadline=clock.today()
    )
    series = services.save_series(
        director,
        title="Stafoverleg ICT",
        department=ict,
        recurrence=Recurrence.weekly,
        weekday=(date.today() + timedelta(days=2)).weekday(),
        starts_on=date.today() + timedelta(days=1),
        start_time=time(10),
        attendees=[director],
        location="Kamer 2.14",
    )
    db.session.commit()
    return db.session.scalar(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    )


def test_director_runs_the_meeting_and_the_decision_lands_in_the_history(
    page, live_server, meeting
):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mailadres").fill("dir@example.org")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()

    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role(
        "link", name="Stafoverleg"
    ).click()
    page.locator("[data-coming] a").first.click()
    page.get_by_role("button", name="Agenda nu opstellen").click()
    expect(
        page.get_by_text("De agenda is opgesteld uit de huidige stand van de acties.")
    ).to_be_visible()
    item = page.locator("[data-item]").first
    assert "Elke melding binnen 4 werkuren terugbellen" in item.inner_text()
    assert "Olga Visser" in item.inner_text()

    page.get_by_role("link", name="Vergadermodus starten").click()
    assert (
        page.locator("[data-item-title]").inner_text()
        == "Elke melding binnen 4 werkuren terugbellen"
    )
    page.get_by_label("Besluit of aantekening").fill("Olga belt vrijdag de leverancier.")
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_text("Het besluit is vastgelegd.")).to_be_visible()

    page.locator("[data-item]").first.get_by_role(
        "link", name="Elke melding binnen 4 werkuren terugbellen"
    ).click()
    history = page.locator("[data-history]").inner_text()
    assert "Olga belt vrijdag de leverancier." in history
    assert "besloten in stafoverleg van" in history
    assert page.console_errors == []


@pytest.fixture
def directorate_meeting(ctx):
    from tracker.organisation.services import create_directorate

    directorate = create_directorate(None, "Dienstendirectie")
    ict = make_department("Informatievoorziening & ICT", "ICT")
    hr = make_department("Personeel & Organisatie", "HR")
    ict.directorate = hr.directorate = directorate
    director = make_user(
        Role.director, email="dir@example.org", name="Diederik Jansen", directs=[ict]
    )
    make_user(Role.director, email="po@example.org", name="Petra Bakker", directs=[hr])
    hanna = make_user(Role.owner, email="hanna@example.org", name="Hanna de Vries", staff_of=[hr])
    make_user(Role.owner, email="henk@example.org", name="Henk Groen", staff_of=[hr])
    action = make_action(
        hr, hanna, title="Verzuimgesprek binnen een week", deadline=clock.today() + timedelta(9)
    )
    services.save_series(
        director,
        title="Stafoverleg dienstendirectie",
        directorate=directorate,
        recurrence=Recurrence.weekly,
        weekday=(date.today() + timedelta(days=2)).weekday(),
        starts_on=date.today() + timedelta(days=1),
        start_time=time(10),
        attendees=[director],
    )
    db.session.commit()
    return action.id


def test_the_chair_decides_on_an_item_of_another_department_in_meeting_mode(
    page, live_server, directorate_meeting
):
    action_id = directorate_meeting
    new_deadline = clock.today() + timedelta(days=70)
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mailadres").fill("dir@example.org")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()

    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role(
        "link", name="Stafoverleg"
    ).click()
    page.locator("[data-coming] a").first.click()
    page.get_by_role("button", name="Agenda nu opstellen").click()
    item = page.locator("[data-item]").first
    assert "Verzuimgesprek binnen een week" in item.inner_text()

    page.get_by_role("link", name="Vergadermodus starten").click()
    assert page.locator("[data-item-title]").inner_text() == "Verzuimgesprek binnen een week"
    page.get_by_label("Besluit of aantekening").fill("Henk neemt het over van Hanna.")
    page.get_by_label("Nieuwe deadline").fill(new_deadline.isoformat())
    page.get_by_label("Actiehouder").select_option(label="Henk Groen")
    page.get_by_label("Status", exact=True).select_option(label="Gepland")
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_text("Het besluit is vastgelegd.")).to_be_visible()

    db.session.expire_all()
    action = db.session.get(ImprovementAction, action_id)
    assert action.owner.name == "Henk Groen"
    assert action.deadline == new_deadline
    assert action.status is ActionStatus.planned
    lines = db.session.scalars(
        select(ActionChange).where(
            ActionChange.action_id == action_id, ActionChange.meeting_id.is_not(None)
        )
    ).all()
    assert {c.field for c in lines} == {"deadline", "owner", "status", "staff_meeting"}

    page.locator("[data-item]").first.get_by_role(
        "link", name="Verzuimgesprek binnen een week"
    ).first.click()
    history = page.locator("[data-history]").inner_text()
    assert "Henk neemt het over van Hanna." in history
    assert "Henk Groen" in history
    assert history.count("besloten in stafoverleg van") >= 4
    # The action page itself keeps HR's rules: no editing for ICT's director.
    assert page.get_by_role("link", name="Bewerken").count() == 0
    assert page.console_errors == []
    assert page.goto(f"{live_server}/actions/{action_id}/edit").status == 403
