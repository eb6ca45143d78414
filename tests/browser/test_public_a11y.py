"""The "you said, we did" pages in Chromium: axe-core finds no serious or critical WCAG 2.1 AA
violation on any of them, for the demo data, with and without JavaScript-free interaction."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tracker.extensions import db

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def demo(ctx):
    from tracker import demo as demo_data

    demo_data.load()
    db.session.commit()


def _violations(page):
    # evaluate() runs through the DevTools protocol, so the page's CSP does not block it.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _log_in(page, live_server, email):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill("tracker-demo")
    page.get_by_role("button", name="Inloggen").click()


def test_public_pages_have_no_serious_accessibility_violations(page, live_server, demo):
    from tracker.surveys.models import SurveyRound

    assert AXE.exists(), "run `make test` (it installs axe-core with npm)"
    latest = db.session.scalar(select(SurveyRound).order_by(SurveyRound.held_on.desc()))
    _log_in(page, live_server, "employee@demo.example")
    page.goto(f"{live_server}/you-said-we-did")
    assert _violations(page) == []
    links = page.locator(f"a[href^='/you-said-we-did/{latest.id}/']")
    assert links.count() >= 5
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs[:6]:
        page.goto(f"{live_server}{href}")
        assert _violations(page) == [], href
    page.goto(f"{live_server}{hrefs[0]}/poster")
    assert _violations(page) == []
    assert page.console_errors == []


def test_employee_reacts_without_javascript(browser, live_server, demo):
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    try:
        _log_in(page, live_server, "employee@demo.example")
        page.goto(f"{live_server}/you-said-we-did")
        page.get_by_role("link", name="Informatievoorziening & ICT").first.click()
        action = page.locator(
            "li.public-action[data-status='planned'], li.public-action[data-status='in_progress']"
        ).first
        action.locator("summary").click()
        action.get_by_label("Dit helpt", exact=True).check()
        action.get_by_label("Opmerking (niet verplicht)").fill("Fijn dat dit wordt opgepakt.")
        action.get_by_role("button", name="Reactie versturen").click()
        expect(page.get_by_text("Je opmerking verschijnt zodra een directeur")).to_be_visible()
    finally:
        context.close()


def test_moderation_and_kiosk_pages_have_no_serious_accessibility_violations(
    page, live_server, demo
):
    from tracker.organisation.models import Department, Organisation

    ict = db.session.scalar(select(Department).where(Department.short_name == "ICT"))
    _log_in(page, live_server, "director@demo.example")
    page.goto(f"{live_server}/departments/{ict.id}/reactions")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert _violations(page) == []
    # Kiosk mode: the same pages without logging in.
    db.session.scalar(select(Organisation)).public_without_login = True
    db.session.commit()
    page.context.clear_cookies()
    page.goto(f"{live_server}/you-said-we-did")
    assert _violations(page) == []
    page.get_by_role("link", name="Informatievoorziening & ICT").first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Informatievoorziening")
    assert _violations(page) == []


def test_mapping_across_rounds_has_no_serious_accessibility_violations(page, live_server, demo):
    """The wizard's preview of a next round (departments and questions to map), the round's
    question mapping and a department's other names and predecessors."""
    from tracker.organisation.models import Department
    from tracker.surveys.models import SurveyRound

    latest = db.session.scalar(select(SurveyRound).order_by(SurveyRound.held_on.desc()))
    ict = db.session.scalar(select(Department).where(Department.short_name == "ICT"))
    _log_in(page, live_server, "admin@demo.example")
    page.goto(f"{live_server}/surveys/import")
    csv = (
        Path(__file__).resolve().parents[2]
        / "tracker"
        / "demo_data"
        / "klantonderzoek-2026-qualtrics.csv"
    )
    renamed = csv.read_bytes().replace(b"Facilitaire Zaken", b"Facilitair Bedrijf")
    page.get_by_label("Export van het onderzoek").set_input_files(
        {"name": "kto-2027.csv", "mimeType": "text/csv", "buffer": renamed}
    )
    page.get_by_label("Onderzoeksronde").fill("Intern klantonderzoek 2027")
    page.get_by_label("Datum van de resultaten").fill("2027-03-12")
    page.get_by_role("button", name="Uploaden en bekijken").click()
    page.wait_for_url("**/surveys/import/**")
    assert (
        page.get_by_role("heading", name="Dezelfde vraag als in een eerdere ronde").count()
        + page.get_by_role("columnheader", name="Dezelfde vraag als in een eerdere ronde").count()
        >= 1
    )
    assert _violations(page) == []
    page.goto(f"{live_server}/surveys/{latest.id}/questions")
    assert _violations(page) == []
    page.goto(f"{live_server}/admin/departments/{ict.id}")
    expect(page.get_by_label("Andere namen in onderzoeksbestanden")).to_be_visible()
    assert _violations(page) == []
    assert page.console_errors == []
