"""A director prepares the staff meeting in Chromium: opens the generated agenda, steps into
meeting mode, records a decision, and finds it in the action's history."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, make_action, make_department, make_user
from tracker import clock
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
    assert page.get_by_text(
        "De agenda is opgesteld uit de huidige stand van de acties."
    ).is_visible()
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
    assert page.get_by_text("Het besluit is vastgelegd.").is_visible()

    page.locator("[data-item]").first.get_by_role(
        "link", name="Elke melding binnen 4 werkuren terugbellen"
    ).click()
    history = page.locator("[data-history]").inner_text()
    assert "Olga belt vrijdag de leverancier." in history
    assert "besloten in stafoverleg van" in history
    assert page.console_errors == []
