"""More journeys without a mouse (issue 20 point 2): a director triages a finding on the
results page with Tab, arrows, typing and Enter; the decision is stored and shown."""

from sqlalchemy import select

from tests.browser.test_keyboard import _tab_to
from tests.factories import PASSWORD, make_department, make_finding, make_user
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.surveys.models import Finding, Triage


def test_director_triages_a_finding_with_the_keyboard_only(ctx, page, live_server):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    make_user(Role.director, email="dir@example.org", directs=[ict])
    finding = make_finding(ict, question_text="De servicedesk is goed bereikbaar")
    page.goto(f"{live_server}/login")
    _tab_to(page, "main input[name=email]")
    page.keyboard.type("dir@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{live_server}/surveys/{finding.round_id}/departments/{ict.id}")
    form = f"form[action$='/findings/{finding.id}/triage']"
    # The "Decide" disclosure opens with Enter.
    _tab_to(page, f"details:has({form}) summary", limit=80)
    page.keyboard.press("Enter")
    _tab_to(page, f"#f{finding.id}-triage")
    page.keyboard.press("ArrowDown")  # not decided yet -> act on it
    page.keyboard.press("ArrowDown")  # -> no action (explain why)
    _tab_to(page, f"#f{finding.id}-no_action_reason")
    page.keyboard.type("Staat al in het plan van de gemeente.")
    _tab_to(page, f"{form} [type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    db.session.expire_all()
    stored = db.session.scalar(select(Finding).where(Finding.id == finding.id))
    assert stored.triage is Triage.no_action
    assert stored.no_action_reason == "Staat al in het plan van de gemeente."
    assert "Staat al in het plan van de gemeente." in page.content()
