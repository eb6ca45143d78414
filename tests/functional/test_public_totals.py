""" "You said, we did": the overview's figures are what the department page lists, own
initiatives have their own section, and employees read plain words, not statistics."""

import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from tests.factories import make_action, make_department, make_finding, make_user
from tracker.actions import services as actions
from tracker.actions.models import ActionStatus, DeclineConstraint, ImprovementAction, Visibility
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.surveys.models import RoundParticipation, SurveyRound, Triage


def _move(action, director, *statuses, **extra):
    for status in statuses:
        db.session.refresh(action)
        kwargs = extra if status in (ActionStatus.done, ActionStatus.declined) else {}
        actions.change_status(director, action, status, expected_version=action.version, **kwargs)
        db.session.commit()
    return action


@pytest.fixture
def world(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    director = make_user(Role.director, email="dir@example.org", name="Dirk", directs=[ict])
    owner = make_user(Role.owner, email="own@example.org", name="Olga", staff_of=[ict])
    make_user(Role.employee, email="emp@example.org", name="Emre")
    make_user(Role.employee, email="en@example.org", name="Emma")
    call_back = make_finding(ict, triage=Triage.act)
    reach = make_finding(ict, triage=Triage.act, question_text="De afdeling is bereikbaar")
    make_finding(
        ict,
        triage=Triage.no_action,
        question_text="De openingstijden passen",
        no_action_reason="De cao bepaalt de werktijden.",
    )
    # A decision not to act that never got a public reason (older data).
    make_finding(ict, triage=Triage.no_action, question_text="Het intranet is actueel")
    db.session.add(
        RoundParticipation(round_id=call_back.round_id, department_id=ict.id, respondents=40)
    )
    db.session.commit()

    def action(title, findings=(), visibility=None):
        return make_action(
            ict, owner, by=director, title=title, findings=findings, visibility=visibility
        )

    _move(action("Op beide punten", [call_back, reach]), director, ActionStatus.planned)
    _move(
        action("Chat erbij", [reach]),
        director,
        ActionStatus.planned,
        ActionStatus.in_progress,
        ActionStatus.done,
        result="De chat is open.",
    )
    _move(
        action("Terugbelbelofte", [call_back]),
        director,
        ActionStatus.planned,
        ActionStatus.in_progress,
    )
    _move(
        action("24 uur open", [call_back]),
        director,
        ActionStatus.declined,
        constraint=DeclineConstraint.budget,
        explanation="Geen budget voor nachtdiensten.",
    )
    no_reason = _move(action("ZONDER REDEN afgewezen", [reach]), director, ActionStatus.planned)
    no_reason.status, no_reason.decline_explanation = ActionStatus.declined, None
    # Own initiatives: actions without a finding.
    _move(action("Eigen plan: spreekuur"), director, ActionStatus.planned)
    _move(
        action("Eigen plan: nieuwe laptops"),
        director,
        ActionStatus.planned,
        ActionStatus.in_progress,
        ActionStatus.done,
        result="Iedereen heeft een nieuwe laptop.",
    )
    _move(
        action("Eigen plan: app"),
        director,
        ActionStatus.declined,
        constraint=DeclineConstraint.policy,
        explanation="Past niet in het beleid.",
    )
    action("NOG VOORGESTELD eigen plan")
    _move(
        action("INTERN eigen plan", visibility=Visibility.internal), director, ActionStatus.planned
    )
    db.session.commit()
    return {"ict": ict, "round": call_back.round}


def _client(make_client, email, language):
    client = make_client()
    client.login(email)
    client.post("/language", {"language": language, "next": "/"})
    return client


def _overview_row(html, name="Informatievoorziening &amp; ICT"):
    row = re.search(re.escape(name) + r"</a></th>(.*?)</tr>", html, re.S).group(1)
    points, done, in_progress, planned, declined, _on_time = re.findall(
        r'<td class="text-end">(.*?)</td>', row
    )
    return {
        "points": int(points),
        "done": int(done),
        "in_progress": int(in_progress),
        "planned": int(planned),
        "declined": int(declined),
    }


def _page_lists(html):
    """What the department page lists: each action once, by status, and the points."""
    statuses = dict(
        re.findall(r'<li class="public-action[^"]*" id="action-(\d+)" data-status="(\w+)"', html)
    )
    listed = {"done": 0, "in_progress": 0, "planned": 0, "declined": 0}
    for status in statuses.values():
        listed[status] += 1
    # Deciding not to act on a point, with the reason, is declined with reasons too.
    listed["declined"] += html.count(" data-declined>")
    triages = re.findall(r'<article class="card mb-4"[^>]* data-triage="(\w+)"', html)
    listed["points"] = sum(t in ("act", "no_action") for t in triages)
    return listed


@pytest.mark.parametrize("email, language", [("emp@example.org", "nl"), ("en@example.org", "en")])
def test_the_overviews_figures_are_what_the_department_page_lists(
    world, make_client, email, language
):
    client = _client(make_client, email, language)
    overview = client.get("/you-said-we-did").get_data(as_text=True)
    page = client.get(f"/you-said-we-did/{world['round'].id}/{world['ict'].id}").get_data(
        as_text=True
    )
    figures = _overview_row(overview)
    assert figures == _page_lists(page)
    # The action on two findings once; the declined one without a reason nowhere; own
    # initiatives (planned, done, declined) counted; proposed and internal ones not.
    assert figures == {"points": 4, "done": 2, "in_progress": 1, "planned": 2, "declined": 3}
    assert page.count('id="action-') == 7
    assert "ZONDER REDEN" not in page and "ZONDER REDEN" not in overview


def test_own_initiatives_have_their_own_section(world, client):
    client.login("emp@example.org")
    html = client.get(f"/you-said-we-did/{world['round'].id}/{world['ict'].id}").get_data(
        as_text=True
    )
    section = html.split('<h2 id="h-own">')[1].split("</section>")[0]
    assert section.startswith("Ook op eigen initiatief</h2>")
    for title in ("Eigen plan: spreekuur", "Eigen plan: nieuwe laptops", "Eigen plan: app"):
        assert title in section
    assert "Past niet in het beleid." in section
    assert "Op beide punten" not in section
    assert "NOG VOORGESTELD" not in html and "INTERN eigen plan" not in html


def test_an_own_initiative_belongs_to_the_round_that_was_latest_when_it_was_taken(world, client):
    later = SurveyRound(name="KTO 2027", held_on=date(2026, 9, 1), label_map={})
    db.session.add(later)
    db.session.commit()
    owner = db.session.scalar(select(ImprovementAction)).owner
    director = world["ict"].directors[0]
    taken = make_action(
        world["ict"],
        owner,
        by=director,
        title="Eigen plan uit de zomer",
        now=datetime(2026, 6, 1, 10, tzinfo=timezone.utc),
    )
    _move(taken, director, ActionStatus.planned)
    client.login("emp@example.org")
    first = client.get(f"/you-said-we-did/{world['round'].id}/{world['ict'].id}").get_data(
        as_text=True
    )
    second = client.get(f"/you-said-we-did/{later.id}/{world['ict'].id}").get_data(as_text=True)
    assert "Eigen plan uit de zomer" in first and "Eigen plan uit de zomer" not in second
    # The later round's row in the overview has the actions taken since it (made today).
    overview = client.get("/you-said-we-did").get_data(as_text=True)
    later_part = overview.split("KTO 2027</h2>")[1].split("</section>")[0]
    assert _overview_row(later_part)["planned"] == 1


def test_you_said_is_plain_words(world, make_client):
    nl = _client(make_client, "emp@example.org", "nl")
    url = f"/you-said-we-did/{world['round'].id}/{world['ict'].id}"
    html = nl.get(url).get_data(as_text=True)
    assert (
        "Collega&#39;s zijn minder tevreden over ICT bij &#39;De afdeling is bereikbaar&#39;: "
        "6,1 tegen 6,9 gemiddeld." in html
    )
    en = _client(make_client, "en@example.org", "en").get(url).get_data(as_text=True)
    assert (
        "Colleagues are less satisfied with ICT on &#39;De afdeling is bereikbaar&#39;: "
        "6.1 against 6.9 on average." in en
    )
    assert "benchmark" not in html.split('id="h-points"')[1].split("</section>")[0]


def test_the_feed_leaves_out_a_decline_without_a_public_reason(world, client):
    client.login("emp@example.org")
    feed = client.get("/you-said-we-did/feed.atom").get_data(as_text=True)
    assert "24 uur open" in feed and "Eigen plan: app" in feed
    assert "ZONDER REDEN" not in feed
