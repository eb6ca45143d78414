"""A refused form in Chromium: the owner's quick update on My actions comes back with the
focus on the error summary, the error next to its field (aria-invalid, aria-describedby),
what was typed still there; the summary's link takes the focus to the field."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD, make_action, make_department, make_user
from tracker.actions import services
from tracker.actions.models import ActionStatus
from tracker.auth.models import Role
from tracker.extensions import db


@pytest.fixture
def action(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    owner = make_user(Role.owner, email="own@example.org", name="Olga Visser", staff_of=[ict])
    director = make_user(Role.director, email="dir@example.org", directs=[ict])
    for title in ("Eerste actie", "Tweede actie", "Derde actie"):
        make_action(ict, owner, title=title)
    action = make_action(ict, owner, title="Elke melding binnen 4 werkuren terugbellen")
    services.change_status(director, action, ActionStatus.planned, expected_version=action.version)
    db.session.commit()
    return action


def test_a_refused_quick_update_moves_the_focus_to_its_errors(page, live_server, action):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mailadres").fill("own@example.org")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.goto(f"{live_server}/actions/mine")
    card = page.locator(f"#action-{action.id}")
    card.get_by_text("Voortgang melden").click()
    card.get_by_label("Wat is er gebeurd?").fill("Alles is af")
    card.get_by_text("Actie gereed melden?").click()
    card.get_by_label("Resultaat").fill("Wij bellen nu binnen 4 uur terug")
    card.get_by_role("button", name="Voortgang opslaan").click()

    # Back on My actions, not a success message: the summary has the focus.
    assert page.get_by_role("heading", level=1).inner_text() == "Mijn acties"
    summary = page.locator("[data-error-summary]")
    page.wait_for_function("document.activeElement.hasAttribute('data-error-summary')")
    expect(summary).to_be_visible()
    status = page.locator(f"#u{action.id}-new_status")
    assert status.get_attribute("aria-invalid") == "true"
    error_id = f"u{action.id}-new_status-error"
    assert error_id in status.get_attribute("aria-describedby").split()
    error = page.locator(f"#{error_id}")
    assert 'Kies "Gereed"' in error.inner_text()
    # Next to the field: directly below it, within the same card.
    gap = page.evaluate(
        """([field, error]) => {
            const f = document.getElementById(field).getBoundingClientRect();
            const e = document.getElementById(error).getBoundingClientRect();
            return [e.top - f.bottom, e.left - f.left];
        }""",
        [f"u{action.id}-new_status", error_id],
    )
    assert 0 <= gap[0] < 40 and abs(gap[1]) < 5, gap
    assert page.locator(f"#u{action.id}-text").input_value() == "Alles is af"
    assert page.locator(f"#u{action.id}-result").input_value() == "Wij bellen nu binnen 4 uur terug"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "refused-quick-update.png"), full_page=True)

    summary.get_by_role("link", name="Nieuwe status").click()
    page.wait_for_function(f"document.activeElement.id === 'u{action.id}-new_status'")
    assert page.console_errors == []  # no CSP violations, no broken assets
