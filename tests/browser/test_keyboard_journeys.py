"""More journeys without a mouse (issue 20 point 2), with Tab, arrows, Space, typing and
Enter only: a director triages a finding on the results page, an employee reacts to and
follows a public action, a director approves a comment, the chair records a decision in
meeting mode. Each stores what was chosen."""

from sqlalchemy import select

from tests.browser.test_keyboard import _tab_to, log_in_by_keyboard
from tests.factories import PASSWORD, make_department, make_finding, make_user
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.surveys.models import Finding, Triage


def test_director_triages_a_finding_with_the_keyboard_only(ctx, page, live_server):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    make_user(Role.director, email="dir@example.org", directs=[ict])
    finding = make_finding(ict, question_text="De servicedesk is goed bereikbaar")
    log_in_by_keyboard(page, live_server, "dir@example.org", PASSWORD)
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


def test_employee_reacts_and_follows_with_the_keyboard_only(ctx, page, live_server):
    from tests.factories import make_action
    from tracker.actions import services as actions
    from tracker.actions.models import ActionStatus
    from tracker.cocreation.models import Follow, Reaction, Verdict
    from tracker.surveys.models import RoundParticipation

    ict = make_department("Informatievoorziening & ICT", "ICT")
    owner = make_user(Role.owner, email="own@example.org", staff_of=[ict])
    director = make_user(Role.director, email="dir@example.org", directs=[ict])
    make_user(Role.employee, email="emp@example.org")
    finding = make_finding(ict, triage=Triage.act)
    db.session.add(
        RoundParticipation(round_id=finding.round_id, department_id=ict.id, respondents=40)
    )
    action = make_action(
        ict, owner, by=director, title="Terugbellen binnen 4 uur", findings=[finding]
    )
    actions.change_status(director, action, ActionStatus.planned, expected_version=action.version)
    db.session.commit()
    log_in_by_keyboard(page, live_server, "emp@example.org", PASSWORD)
    page.goto(f"{live_server}/you-said-we-did/{finding.round_id}/{ict.id}")
    _tab_to(page, f"#action-{action.id} summary", limit=80)
    page.keyboard.press("Enter")
    _tab_to(page, f"#helps-{action.id}")
    page.keyboard.press("Space")
    _tab_to(page, f"#comment-{action.id}")
    page.keyboard.type("Fijn, dan hoef ik niet te wachten.")
    _tab_to(page, f"#action-{action.id} details button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, f"#action-{action.id} form:not(details form) button[type=submit]", limit=80)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    db.session.expire_all()
    reaction = db.session.scalar(select(Reaction).where(Reaction.action_id == action.id))
    assert reaction.verdict is Verdict.helps
    assert reaction.comment == "Fijn, dan hoef ik niet te wachten."
    assert db.session.scalar(select(Follow).where(Follow.action_id == action.id)) is not None


def test_director_approves_a_comment_with_the_keyboard_only(ctx, page, live_server):
    from tests.factories import make_action
    from tracker.cocreation.models import CommentStatus, Reaction, Verdict

    ict = make_department("Informatievoorziening & ICT", "ICT")
    owner = make_user(Role.owner, email="own@example.org", staff_of=[ict])
    make_user(Role.director, email="dir@example.org", directs=[ict])
    employee = make_user(Role.employee, email="emp@example.org")
    action = make_action(ict, owner, title="Terugbellen binnen 4 uur")
    reaction = Reaction(
        action_id=action.id,
        user_id=employee.id,
        verdict=Verdict.helps,
        comment="Fijn plan",
        comment_status=CommentStatus.pending,
    )
    db.session.add(reaction)
    db.session.commit()
    log_in_by_keyboard(page, live_server, "dir@example.org", PASSWORD)
    page.goto(f"{live_server}/departments/{ict.id}/reactions")
    _tab_to(page, f"form[action$='/reactions/{reaction.id}/approve'] button", limit=60)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    db.session.expire_all()
    assert db.session.get(Reaction, reaction.id).comment_status is CommentStatus.approved


def test_chair_records_a_decision_in_meeting_mode_with_the_keyboard_only(ctx, page, live_server):
    from tests.functional.test_meetings import _world
    from tracker.meetings import agenda
    from tracker.meetings.models import AgendaItem

    w = _world()
    meeting, director = w["meeting"], w["director"]
    agenda.build_agenda(director, meeting)
    db.session.commit()
    rows = [i for i in meeting.items if not i.removed]
    number = next(n for n, i in enumerate(rows, 1) if i.action_id == w["mine"].id)
    log_in_by_keyboard(page, live_server, director.email, PASSWORD)
    page.goto(f"{live_server}/meetings/{meeting.id}/run/{number}")
    _tab_to(page, "[data-outcome-form] textarea[name=decision]", limit=80)
    page.keyboard.type("Door met de uitvoering; volgende keer terug.")
    _tab_to(page, "[data-outcome-form] [type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    db.session.expire_all()
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.action_id == w["mine"].id))
    assert "Door met de uitvoering" in (item.outcome or "")
