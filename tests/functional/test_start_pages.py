"""Start pages to act from (issue 15 point 11): after signing in each role sees what needs
it now, in Dutch and English, and an empty part says what will appear there."""

from __future__ import annotations

import html as html_module
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.factories import make_action, make_department, make_finding, make_user
from tracker import clock
from tracker.actions import services
from tracker.actions.models import ActionChange, ActionStatus, DeadlineDecision, DeadlineRequest
from tracker.auth.models import Role, User
from tracker.cocreation import services as cocreation
from tracker.cocreation.models import Verdict
from tracker.extensions import db
from tracker.surveys.models import Triage


@pytest.fixture
def world(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    hr = make_department("Personeel & Organisatie", "P&O")
    director = make_user(Role.director, email="dir@example.org", name="Diederik", directs=[ict])
    owner = make_user(Role.owner, email="owner@example.org", name="Olga", staff_of=[ict])
    hr_owner = make_user(Role.owner, email="hr@example.org", name="Hanna", staff_of=[hr])
    employee = make_user(Role.employee, email="emma@example.org", name="Emma")
    return {
        "ict": ict,
        "hr": hr,
        "director": director,
        "owner": owner,
        "hr_owner": hr_owner,
        "employee": employee,
    }


def _text(response) -> str:
    assert response.status_code == 200
    return html_module.unescape(response.get_data(as_text=True))


def _section(page: str, name: str) -> str:
    start = page.index(f'data-start="{name}"')
    return page[start : page.index("</section>", start)]


def _planned(world, department, owner, **fields):
    action = make_action(department, owner, **fields)
    services.change_status(
        world["director"] if department is world["ict"] else department.directors[0],
        action,
        ActionStatus.planned,
        expected_version=action.version,
    )
    db.session.commit()
    return action


def _english(client) -> None:
    client.post("/language", {"language": "en", "next": "/"})


# --- The director ---------------------------------------------------------------------------


@pytest.fixture
def waiting(world):
    """Something of each kind waiting for the ICT director, and the same in P&O (not theirs)."""
    today = clock.today()
    past = datetime.now(timezone.utc) - timedelta(days=40)
    make_user(Role.director, email="hrdir@example.org", directs=[world["hr"]])
    found = {}
    for key, department, owner in (
        ("ict", world["ict"], world["owner"]),
        ("hr", world["hr"], world["hr_owner"]),
    ):
        late = make_action(
            department,
            owner,
            title=f"Te laat {key}",
            now=past,
            deadline=today - timedelta(days=3),
        )
        asking = _planned(world, department, owner, title=f"Meer tijd {key}")
        services.post_update(
            owner,
            asking,
            expected_version=asking.version,
            text="Leverancier is later",
            requested_deadline=asking.deadline + timedelta(days=21),
        )
        cocreation.react(world["employee"], asking, Verdict.helps, f"Goed bezig {key}")
        make_finding(department, question_text=f"Ik word teruggebeld {key}")
        make_finding(department, question_text=f"Al besloten {key}", triage=Triage.act)
        db.session.commit()
        found[key] = {"late": late, "asking": asking}
    return found


def test_director_sees_what_waits_in_their_departments(world, waiting, client):
    client.login("dir@example.org")
    page = _text(client.get("/"))
    asking, late = waiting["ict"]["asking"], waiting["ict"]["late"]
    request = db.session.scalar(
        select(DeadlineRequest).where(DeadlineRequest.action_id == asking.id)
    )

    requests = _section(page, "deadline-requests")
    said = re.sub(r"<[^>]+>", "", requests)
    assert "Olga vraagt de deadline van Meer tijd ict (ICT) te verschuiven van" in said
    assert "Leverancier is later" in requests
    assert f'action="/actions/{asking.id}/deadline-requests/{request.id}"' in requests
    assert "Goedkeuren" in requests and "Afwijzen" in requests
    assert f'href="/actions/{asking.id}"' in requests

    reactions = _section(page, "reactions")
    assert f'href="/departments/{world["ict"].id}/reactions"' in reactions
    assert "1 opmerking wacht op jouw goedkeuring" in reactions

    findings = _section(page, "findings")
    assert f"/departments/{world['ict'].id}" in findings
    assert "1 voorgestelde bevinding om over te beslissen" in findings

    overdue = _section(page, "overdue")
    assert f'href="/actions/{late.id}"' in overdue and "Olga" in overdue

    # Nothing of a department they do not direct.
    for text in ("Meer tijd hr", "Te laat hr", "P&O"):
        assert text not in page.split("<main", 1)[1].split('data-start="my-actions"')[0]


def test_findings_of_an_older_round_are_not_waiting(world, client):
    from datetime import date

    from tracker.surveys.models import SurveyRound

    db.session.add(SurveyRound(name="KTO 2025", held_on=date(2025, 3, 1), label_map={}))
    db.session.commit()
    make_finding(world["ict"], round_name="KTO 2025", question_text="Vorig jaar")
    make_finding(world["ict"], round_name="KTO 2026", question_text="Dit jaar")
    client.login("dir@example.org")
    findings = _section(_text(client.get("/")), "findings")
    assert "KTO 2026" in findings and "KTO 2025" not in findings


def test_director_start_page_in_english(world, waiting, client):
    client.login("dir@example.org")
    _english(client)
    page = _text(client.get("/"))
    assert "Olga asks to move the deadline of Meer tijd ict (ICT) from" in re.sub(
        r"<[^>]+>", "", page
    )
    assert "1 comment waits for your approval" in page
    assert "1 proposed finding to decide on" in page
    assert "Overdue actions" in page and "Te laat ict" in page


def test_director_approves_a_deadline_request_from_the_start_page(world, waiting, client):
    asking = waiting["ict"]["asking"]
    request = db.session.scalar(
        select(DeadlineRequest).where(DeadlineRequest.action_id == asking.id)
    )
    client.login("dir@example.org")
    client.get("/")
    response = client.post(
        f"/actions/{asking.id}/deadline-requests/{request.id}",
        {"note": "Akkoord", "approve": "Goedkeuren"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(DeadlineRequest, request.id).decision is DeadlineDecision.approved
    assert "Meer tijd ict" not in _section(_text(client.get("/")), "deadline-requests")


@pytest.mark.parametrize(
    "language, texts",
    [
        (
            "nl",
            [
                "Geen verzoeken om een nieuwe deadline.",
                "Geen opmerkingen die wachten.",
                "Geen bevindingen die wachten.",
                "Geen acties over hun deadline in jouw afdelingen.",
            ],
        ),
        (
            "en",
            [
                "No requests for a new deadline.",
                "No comments waiting.",
                "No findings waiting.",
                "No overdue actions in your departments.",
            ],
        ),
    ],
)
def test_director_empty_start_page_says_what_will_appear(world, client, language, texts):
    client.login("dir@example.org")
    if language == "en":
        _english(client)
    page = _text(client.get("/"))
    for name, text in zip(("deadline-requests", "reactions", "findings", "overdue"), texts):
        section = _section(page, name)
        assert "data-empty" in section and text in section, (name, section)


# --- The owner ------------------------------------------------------------------------------


def test_owner_sees_their_actions_by_urgency_with_requests_marked(world, client):
    today = clock.today()
    past = datetime.now(timezone.utc) - timedelta(days=40)
    later = _planned(
        world, world["ict"], world["owner"], title="Later", deadline=today + timedelta(days=60)
    )
    soon = _planned(
        world, world["ict"], world["owner"], title="Binnenkort", deadline=today + timedelta(days=5)
    )
    late = make_action(
        world["ict"], world["owner"], title="Te laat", now=past, deadline=today - timedelta(days=1)
    )
    make_action(world["ict"], world["director"], title="Niet van Olga")
    wanted = later.deadline + timedelta(days=30)
    services.post_update(
        world["owner"],
        later,
        expected_version=later.version,
        text="Meer tijd",
        requested_deadline=wanted,
    )
    db.session.commit()
    client.login("owner@example.org")
    page = _text(client.get("/"))
    mine = _section(page, "my-actions")
    groups = {
        kind: [int(i) for i in re.findall(r'data-action="(\d+)"', body.split("</ul>")[0])]
        for kind, body in re.findall(r'data-urgency="(\w+)">(.*?)</ul>', mine, re.S)
    }
    assert groups == {"overdue": [late.id], "soon": [soon.id], "later": [later.id]}
    assert "Te laat" in mine and "Niet van Olga" not in page
    marker = re.search(r"aangevraagd: ([^<]+), wacht op besluit", mine)
    assert marker and str(wanted.year) in marker[1]
    assert mine.count("data-requested") == 1

    # And on My actions, at the action that waits.
    mine_page = _text(client.get("/actions/mine"))
    card = mine_page[mine_page.index(f'id="action-{later.id}"') :]
    card = card[: card.index("</article>")]
    assert re.search(r"aangevraagd: [^<]+, wacht op besluit", card)
    assert mine_page.count("data-requested") == 1

    _english(client)
    assert re.search(r"requested: [^<]+, awaiting decision", _text(client.get("/")))
    assert re.search(r"requested: [^<]+, awaiting decision", _text(client.get("/actions/mine")))


def test_owner_marker_goes_once_the_director_decided(world, client):
    action = _planned(world, world["ict"], world["owner"], title="Meer tijd")
    services.post_update(
        world["owner"],
        action,
        expected_version=action.version,
        text="Meer tijd",
        requested_deadline=action.deadline + timedelta(days=10),
    )
    db.session.commit()
    client.login("owner@example.org")
    assert "wacht op besluit" in _text(client.get("/actions/mine"))
    request = db.session.scalar(select(DeadlineRequest))
    services.decide_deadline_request(world["director"], request, action, approve=False, note="")
    db.session.commit()
    assert "wacht op besluit" not in _text(client.get("/actions/mine"))
    assert "wacht op besluit" not in _text(client.get("/"))


@pytest.mark.parametrize(
    "language, text",
    [("nl", "Je hebt geen open acties."), ("en", "You have no open actions.")],
)
def test_owner_empty_start_page(world, client, language, text):
    client.login("owner@example.org")
    if language == "en":
        _english(client)
    section = _section(_text(client.get("/")), "my-actions")
    assert "data-empty" in section and text in section


# --- The employee ---------------------------------------------------------------------------


def test_employee_sees_what_changed_since_the_previous_visit(world, client, make_client):
    _planned(world, world["ict"], world["owner"], title="Oud nieuws")
    client.login("emma@example.org")  # the first visit: what changed in the last month
    first = _section(_text(client.get("/")), "changes")
    assert "Wat is er de afgelopen maand veranderd" in first and "Oud nieuws" in first

    # Since that sign-in one action moved and got public news.
    news = _planned(world, world["ict"], world["owner"], title="Terugbellen binnen 4 uur")
    services.post_update(
        world["owner"],
        news,
        expected_version=news.version,
        text="De eerste week belden we 90% terug",
        percent=30,
        public=True,
    )
    internal = make_action(world["ict"], world["owner"], title="Intern punt")
    db.session.commit()
    again = make_client()
    again.login("emma@example.org")
    page = _text(again.get("/"))
    changes = _section(page, "changes")
    assert "Wat is er veranderd sinds je vorige bezoek" in changes
    assert "Terugbellen binnen 4 uur" in changes and "De eerste week belden we 90% terug" in changes
    assert "Oud nieuws" not in changes and internal.title not in changes

    _english(again)
    changes = _section(_text(again.get("/")), "changes")
    assert "What changed since your last visit" in changes
    assert "Terugbellen binnen 4 uur" in changes


@pytest.mark.parametrize(
    "language, text",
    [
        ("nl", "Er is niets veranderd sinds je vorige bezoek."),
        ("en", "Nothing changed since your last visit."),
    ],
)
def test_employee_empty_start_page(world, client, language, text):
    client.login("emma@example.org")
    if language == "en":
        _english(client)
    section = _section(_text(client.get("/")), "changes")
    assert "data-empty" in section and text in section
