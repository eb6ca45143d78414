"""A director gives questions a theme on the results page, in Chromium: ticking by the
question's label, one theme for two questions at once, with no serious axe violation."""

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_public_a11y import _log_in, _violations, demo  # noqa: F401
from tracker.extensions import db


def test_director_gives_two_questions_a_new_theme(page, live_server, demo):  # noqa: F811
    from tracker.organisation.models import Department
    from tracker.surveys.models import Question, SurveyRound

    latest = db.session.scalar(select(SurveyRound).order_by(SurveyRound.held_on.desc()))
    ict = db.session.scalar(select(Department).where(Department.short_name == "ICT"))
    _log_in(page, live_server, "director@demo.example")
    page.goto(f"{live_server}/surveys/{latest.id}/departments/{ict.id}")
    assert _violations(page) == []
    page.get_by_label("Medewerkers denken met mij mee").check()
    page.get_by_label("De afdeling vraagt actief om feedback").check()
    page.get_by_label("Of een nieuw thema").fill("Meedenken")
    page.get_by_role("button", name="Geef de gekozen vragen dit thema").click()
    expect(page.get_by_text("2 vragen hebben het nieuwe thema.")).to_be_visible()
    assert _violations(page) == []
    db.session.expire_all()
    themes = {
        q.text: q.theme.name
        for q in db.session.scalars(select(Question).where(Question.round_id == latest.id))
        if q.theme
    }
    assert themes["Medewerkers denken met mij mee"] == "Meedenken"
    assert themes["De afdeling vraagt actief om feedback"] == "Meedenken"
    assert themes["Medewerkers zijn vriendelijk en behulpzaam"] == "Klantgerichtheid"
    page.goto(f"{live_server}/you-said-we-did/{latest.id}/{ict.id}")
    assert page.locator("svg.theme-chart [data-theme='Meedenken']").count() >= 1
    assert page.get_by_role("row", name="Meedenken").count() == 1
