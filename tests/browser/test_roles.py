"""Log in as each role in Chromium and see the navigation that fits the role."""

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_department, make_user
from tracker.auth.models import Role


@pytest.fixture
def people(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    return {
        Role.employee: make_user(Role.employee, email="emp@example.org", name="Emre Yilmaz"),
        Role.owner: make_user(
            Role.owner, email="own@example.org", name="Olga Visser", staff_of=[ict]
        ),
        Role.director: make_user(
            Role.director, email="dir@example.org", name="Diederik Jansen", directs=[ict]
        ),
        Role.admin: make_user(Role.admin, email="adm@example.org", name="Anna Beheer"),
    }


def _log_in(page, live_server, email):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()


@pytest.mark.parametrize("role", [Role.employee, Role.owner, Role.director, Role.admin])
def test_each_role_sees_its_navigation(page, live_server, people, role):
    _log_in(page, live_server, people[role].email)
    nav = page.get_by_role("navigation", name="Hoofdnavigatie")
    assert page.get_by_role("heading", level=1).inner_text() == f"Welkom, {people[role].name}"
    expect(nav.get_by_role("link", name="Afdelingen")).to_be_visible()
    assert nav.get_by_role("link", name="Gebruikers").count() == (1 if role is Role.admin else 0)
    assert nav.get_by_role("link", name="Instellingen").count() == (1 if role is Role.admin else 0)
    if role is Role.director:
        page.get_by_role("link", name="Informatievoorziening & ICT").first.click()
        expect(page.get_by_role("link", name="Medewerkers wijzigen")).to_be_visible()
    assert page.console_errors == []  # no CSP violations, no broken assets


def test_log_in_switch_language_and_log_out(page, live_server, people):
    _log_in(page, live_server, "adm@example.org")
    page.get_by_label("Taal").select_option("en")
    page.get_by_role("button", name="Taal wijzigen").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Anna Beheer"
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    page.goto(f"{live_server}/admin/users")
    assert page.url.startswith(f"{live_server}/login")


def test_wrong_password_shows_a_clear_message(page, live_server, people):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mailadres").fill("emp@example.org")
    page.get_by_label("Wachtwoord").fill("wrong one here")
    page.get_by_role("button", name="Inloggen").click()
    assert page.get_by_role("alert").inner_text() == "Het e-mailadres of wachtwoord is niet juist."
