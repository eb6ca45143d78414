"""An action owner keeps an action up to date in Chromium: My actions, the quick update,
and the update in the action's history."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_action, make_department, make_user
from tracker.auth.models import Role


@pytest.fixture
def action(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    owner = make_user(Role.owner, email="own@example.org", name="Olga Visser", staff_of=[ict])
    make_user(Role.director, email="dir@example.org", name="Diederik Jansen", directs=[ict])
    make_action(ict, owner, title="Publiceren wat interne klanten van ons mogen verwachten")
    return make_action(ict, owner, title="Elke melding binnen 4 werkuren terugbellen")


def test_owner_posts_a_progress_update_from_my_actions(page, live_server, action):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mailadres").fill("own@example.org")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()

    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role(
        "link", name="Mijn acties"
    ).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Mijn acties"
    card = page.locator(f"#action-{action.id}")
    card.get_by_text("Voortgang melden").click()
    card.get_by_label("Wat is er gebeurd?").fill("Belscript getest met de servicedesk")
    card.get_by_label("Voortgang (%)").fill("40")
    card.get_by_label("Nieuwe status").select_option(label="Gepland")
    card.get_by_role("button", name="Voortgang opslaan").click()

    expect(page.get_by_text("Je voortgangsmelding is opgeslagen.")).to_be_visible()
    page.get_by_role("link", name="Elke melding binnen 4 werkuren terugbellen").click()
    history = page.locator("[data-history]")
    assert "Belscript getest met de servicedesk" in history.inner_text()
    assert "Voorgesteld → Gepland" in history.inner_text()
    assert page.locator("[data-status]").first.inner_text() == "Gepland"
    assert page.console_errors == []  # no CSP violations, no broken assets


def test_owner_posts_a_progress_update_with_the_keyboard_only(page, live_server, action):
    """The same journey without a mouse (issue 20 point 2): Tab, typing, Enter and Space."""
    from tests.browser.test_keyboard import _tab_to, log_in_by_keyboard

    log_in_by_keyboard(page, live_server, "own@example.org", PASSWORD)
    _tab_to(page, "[data-nav-item=my-actions]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/actions/mine")
    # The disclosure of the action's quick update opens with the keyboard.
    _tab_to(page, f"#action-{action.id} summary", limit=80)
    page.keyboard.press("Enter")
    prefix = f"u{action.id}-"
    _tab_to(page, f"#{prefix}text")
    page.keyboard.type("Belscript getest, met het toetsenbord")
    _tab_to(page, f"#{prefix}new_status")
    page.keyboard.press("ArrowDown")  # (unchanged) -> the next status
    _tab_to(page, f"#{prefix}submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Je voortgangsmelding is opgeslagen.")).to_be_visible()
    _tab_to(page, f"a[href$='/actions/{action.id}']", limit=80)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/actions/{action.id}")
    history = page.locator("[data-history]").inner_text()
    assert "Belscript getest, met het toetsenbord" in history
    assert "Voorgesteld → Gepland" in history
