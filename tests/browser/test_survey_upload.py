"""The import wizard in Chromium: with JavaScript the upload shows its progress and still
lands on the preview; without JavaScript the plain form does the same."""

import pytest
from playwright.sync_api import expect

from bench.synthetic import generate
from tests.factories import PASSWORD, make_department, make_user
from tracker.auth.models import Role


@pytest.fixture
def director(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    make_department("HR", "HR")
    return make_user(Role.director, email="dir@example.org", directs=[ict])


@pytest.mark.parametrize("javascript", [True, False])
def test_upload_reaches_the_preview(browser, live_server, director, tmp_path, javascript):
    export = tmp_path / "kto.csv"
    export.write_bytes(generate(respondents=4000, questions=10, departments=2, seed=5).data)
    context = browser.new_context(java_script_enabled=javascript, locale="nl-NL")
    page = context.new_page()
    posts = []
    page.on(
        "request",
        lambda r: (
            posts.append(r.resource_type)
            if r.method == "POST" and r.url.endswith("/surveys/import")
            else None
        ),
    )
    try:
        page.goto(f"{live_server}/login")
        page.get_by_label("E-mailadres").fill("dir@example.org")
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.goto(f"{live_server}/surveys/import")
        page.get_by_label("Export van het onderzoek").set_input_files(str(export))
        page.get_by_label("Onderzoeksronde").fill("KTO 2026")
        page.get_by_role("button", name="Uploaden en bekijken").click()
        page.wait_for_url("**/surveys/import/**")
        expect(page.get_by_role("heading", name="Controleer het voorbeeld")).to_be_visible()
        assert page.locator("[data-detected-format='qualtrics']").count() == 1
        # With JavaScript the script sends the file itself (to show its progress).
        assert posts == (["xhr"] if javascript else ["document"])
    finally:
        context.close()
