"""The action pages through the test client: creating from a finding, the quick update,
history, conflicts, bad and hostile input, who sees what, filters, exports, libraries."""

import csv
import html as html_module
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import make_action, make_department, make_finding, make_user
from tracker import clock
from tracker.actions import services
from tracker.actions.models import (
    ActionChange,
    ActionStatus,
    ActionTemplate,
    DeadlineDecision,
    DeadlineRequest,
    DeclineConstraint,
    DeclineTemplate,
    ImprovementAction,
    ProgressUpdate,
    Visibility,
)
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.surveys.models import Theme, Triage


@pytest.fixture
def world(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    hr = make_department("Personeel & Organisatie", "P&O")
    return {
        "ict": ict,
        "hr": hr,
        "director": make_user(
            Role.director, email="dir@example.org", name="Diederik Jansen", directs=[ict]
        ),
        "hr_director": make_user(Role.director, email="hrdir@example.org", directs=[hr]),
        "owner": make_user(
            Role.owner, email="owner@example.org", name="Olga Visser", staff_of=[ict]
        ),
        "colleague": make_user(
            Role.owner, email="col@example.org", name="Sanne Peters", staff_of=[ict]
        ),
        "employee": make_user(Role.employee, email="emp@example.org", name="Emre Yilmaz"),
        "admin": make_user(Role.admin, email="admin@example.org", name="Anna Beheer"),
    }


def _html(response) -> str:
    return response.get_data(as_text=True)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _themed(finding, name: str):
    theme = db.session.scalar(select(Theme).where(Theme.name == name)) or Theme(name=name)
    finding.question.theme = theme
    db.session.commit()
    return finding


def _form_data(action, **overrides) -> dict:
    data = {
        "title": action.title,
        "description": action.description,
        "owner_id": str(action.owner_id),
        "deadline": action.deadline.isoformat(),
        "priority": action.priority.value,
        "sphere": action.sphere.value,
        "visibility": action.visibility.value,
        "public_summary": action.public_summary or "",
        "version": str(action.version),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _new_data(world, **overrides) -> dict:
    data = {
        "title": "Elke melding binnen 4 werkuren terugbellen",
        "description": "Ook als er nog geen oplossing is: bellen, uitleggen, afspraak maken.",
        "owner_id": str(world["owner"].id),
        "deadline": (clock.today() + timedelta(days=60)).isoformat(),
        "priority": "high",
        "sphere": "own",
        "visibility": "public",
        "public_summary": "Wij bellen u binnen 4 werkuren terug.",
        "quick_win": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _version_in(html: str, prefix: str = "") -> str:
    name = f"{prefix}version"
    return re.search(rf'name="{re.escape(name)}"[^>]*value="(\d+)"', html).group(1)


# --- Creating -----------------------------------------------------------------------------


def test_director_creates_an_action_from_a_finding(world, client):
    finding = make_finding(
        world["ict"], triage=Triage.act, question_text="Ik word teruggebeld zoals beloofd"
    )
    client.login("dir@example.org")
    page = _html(client.get(f"/departments/{world['ict'].id}/actions/new?finding={finding.id}"))
    assert "Ik word teruggebeld zoals beloofd" in page
    assert re.search(rf'value="{finding.id}"[^>]*checked|checked[^>]*value="{finding.id}"', page)
    # Staff of the department are offered first, everyone else after them.
    assert page.index("Olga Visser") < page.index("Emre Yilmaz")
    response = client.post(
        f"/departments/{world['ict'].id}/actions/new",
        _new_data(world, finding_ids=str(finding.id), co_owner_ids=str(world["colleague"].id)),
    )
    assert response.status_code == 302
    action = db.session.scalar(select(ImprovementAction))
    assert response.headers["Location"].endswith(f"/actions/{action.id}")
    assert [f.id for f in action.findings] == [finding.id]
    assert action.owner.email == "owner@example.org" and action.quick_win
    assert [u.email for u in action.co_owners] == ["col@example.org"]
    page = _html(client.get(f"/actions/{action.id}"))
    assert "Ik word teruggebeld zoals beloofd" in page and "Actie aangemaakt" in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"owner_id": "0"}, "Kies de actiehouder"),
        ({"deadline": ""}, "Geef een deadline"),
        ({"deadline": "yesterday"}, "De deadline ligt in het verleden"),
        ({"owner_id": "deactivated"}, "is gedeactiveerd"),
        ({"title": "x" * 10_000}, "maximaal 200 tekens"),
        ({"finding_ids": "other department"}, "bevindingen van de eigen afdeling"),
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(world, client, overrides, message):
    for key, value in list(overrides.items()):
        if value == "yesterday":
            overrides[key] = (clock.today() - timedelta(days=1)).isoformat()
        elif value == "deactivated":
            gone = make_user(Role.owner, email="gone@example.org", staff_of=[world["ict"]])
            gone.active = False
            db.session.commit()
            overrides[key] = str(gone.id)
        elif value == "other department":
            overrides[key] = str(make_finding(world["hr"]).id)
    client.login("dir@example.org")
    response = client.post(
        f"/departments/{world['ict'].id}/actions/new", _new_data(world, **overrides)
    )
    assert response.status_code == 200
    assert message in _html(response)
    assert _count(ImprovementAction) == 0 and _count(ActionChange) == 0


def test_html_and_script_are_shown_escaped_everywhere(world, client, make_client):
    hostile = '<script>alert("x")</script><b onmouseover=alert(1)>'
    action = make_action(world["ict"], world["owner"], title=hostile)
    services.post_update(world["owner"], action, expected_version=1, text=hostile)
    db.session.commit()
    client.login("dir@example.org")
    pages = [
        f"/actions/{action.id}",
        f"/departments/{world['ict'].id}/actions",
        "/actions",
        f"/actions/{action.id}/edit",
    ]
    for url in pages:
        html = _html(client.get(url))
        assert "<script>alert" not in html and "<b onmouseover" not in html, url
        assert "&lt;script&gt;" in html, url
    owner = make_client()
    owner.login("owner@example.org")
    html = _html(owner.get("/actions/mine"))
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_a_forged_form_for_another_departments_action_is_refused(world, client):
    action = make_action(world["ict"], world["owner"], title="Origineel")
    client.login("hrdir@example.org")
    for url, data in [
        (f"/actions/{action.id}/edit", _form_data(action, title="Gekaapt")),
        (f"/actions/{action.id}/cancel", {"cancel-reason": "weg", "cancel-version": "1"}),
        (
            f"/actions/{action.id}/decline",
            {"constraint": "budget", "explanation": "x", "version": "1"},
        ),
        (
            f"/actions/{action.id}/updates",
            {f"u{action.id}-text": "x", f"u{action.id}-version": "1"},
        ),
        (f"/departments/{world['ict'].id}/actions/new", _new_data(world)),
    ]:
        assert client.post(url, data).status_code == 403, url
    db.session.expire_all()
    stored = db.session.get(ImprovementAction, action.id)
    assert stored.title == "Origineel" and stored.status is ActionStatus.proposed
    assert _count(ImprovementAction) == 1 and _count(ProgressUpdate) == 0
    assert _count(ActionChange) == 1


# --- Updating and the history -------------------------------------------------------------


def test_owner_updates_from_my_actions_and_sees_it_in_the_history(world, client):
    action = make_action(world["ict"], world["owner"], title="Terugbelnorm invoeren")
    client.login("owner@example.org")
    page = _html(client.get("/actions/mine"))
    assert "Terugbelnorm invoeren" in page
    response = client.post(
        f"/actions/{action.id}/updates",
        {
            f"u{action.id}-text": "Belscript gemaakt en getest met twee collega's",
            f"u{action.id}-percent": "30",
            f"u{action.id}-new_status": "planned",
            f"u{action.id}-version": _version_in(page, f"u{action.id}-"),
            f"u{action.id}-origin": "mine",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/actions/mine#action-{action.id}")
    page = _html(client.get(f"/actions/{action.id}"))
    history = page[page.index('id="history"') :]
    assert "Belscript gemaakt en getest met twee collega" in history
    assert "Voorgesteld → Gepland" in history and "0 → 30" in history


def _form_markup(html: str, action_id: int) -> str:
    """The update form of an action as a browser reads it: character references resolved
    (WTForms leaves quotes in labels as they are), whitespace folded, the CSRF token out."""
    start = html.index(f'data-update-form="{action_id}"')
    start = html.rindex("<form", 0, start)
    form = html[start : html.index("</form>", start) + len("</form>")]
    form = re.sub(r'(csrf_token" type="hidden" value=")[^"]+', r"\1…", form)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html_module.unescape(form)))


def test_a_fresh_update_form_is_written_out_as_wtforms_renders_it(world, app, client):
    # My actions and the action page write a fresh update form out (quick_update_form)
    # instead of rendering it through WTForms (My actions shows 25); the markup must stay
    # that of update_form() with a fresh form.
    from flask import get_template_attribute
    from flask_login import login_user

    from tracker.actions.routes import _update_form

    public = make_action(world["ict"], world["owner"], title="Openbaar")
    internal = make_action(
        world["ict"],
        world["colleague"],
        title="Intern",
        co_owners=[world["owner"]],
        visibility=Visibility.internal,
    )
    services.change_status(
        world["director"], internal, ActionStatus.planned, expected_version=internal.version
    )
    db.session.commit()
    client.login("owner@example.org")
    page = _html(client.get("/actions/mine"))
    for action in (public, internal):
        action = db.session.get(ImprovementAction, action.id)
        for origin, html in [
            ("mine", page),
            ("action", _html(client.get(f"/actions/{action.id}"))),
        ]:
            with app.test_request_context("/actions/mine"):
                login_user(db.session.get(type(world["owner"]), world["owner"].id))
                expected = str(
                    get_template_attribute("actions/_macros.html", "update_form")(
                        _update_form(action, origin=origin), action
                    )
                )
            assert _form_markup(html, action.id) == _form_markup(expected, action.id), origin
    assert f'name="u{public.id}-public"' in page and f'name="u{internal.id}-public"' not in page
    assert '<option value="in_progress">' in page  # the planned action can move on


def test_my_actions_are_sorted_by_deadline_with_overdue_highlighted(world, client):
    today = clock.today()
    past = datetime.now(timezone.utc) - timedelta(days=40)
    later = make_action(
        world["ict"], world["owner"], title="Later", deadline=today + timedelta(days=50)
    )
    overdue = make_action(
        world["ict"], world["owner"], title="Te laat", now=past, deadline=today - timedelta(days=2)
    )
    co_owned = make_action(
        world["ict"],
        world["colleague"],
        title="Samen",
        co_owners=[world["owner"]],
        deadline=today + timedelta(days=5),
    )
    make_action(world["ict"], world["colleague"], title="Niet van mij")
    client.login("owner@example.org")
    page = _html(client.get("/actions/mine"))
    order = [int(x) for x in re.findall(r'data-action="(\d+)"', page)]
    assert order == [overdue.id, co_owned.id, later.id]
    card = page[page.index(f'id="action-{overdue.id}"') : page.index(f'id="action-{co_owned.id}"')]
    assert "border-danger" in card and "Te laat" in card and "data-overdue" in card
    assert "Niet van mij" not in page


def test_update_errors_keep_the_input(world, client):
    action = make_action(world["ict"], world["owner"])
    client.login("owner@example.org")
    response = client.post(
        f"/actions/{action.id}/updates",
        {
            f"u{action.id}-text": "Klaar!",
            f"u{action.id}-new_status": "planned",
            f"u{action.id}-percent": "150",
            f"u{action.id}-version": "1",
        },
    )
    assert response.status_code == 200
    assert "Klaar!" in _html(response)
    assert _count(ProgressUpdate) == 0


def test_two_people_editing_at_once_get_a_conflict_and_nothing_is_lost(world, client, make_client):
    action = make_action(world["ict"], world["owner"], title="Origineel")
    admin = make_client()
    client.login("dir@example.org")
    admin.login("admin@example.org")
    mine = _html(client.get(f"/actions/{action.id}/edit"))
    theirs = _html(admin.get(f"/actions/{action.id}/edit"))
    assert _version_in(mine) == _version_in(theirs) == "1"

    first = admin.post(f"/actions/{action.id}/edit", _form_data(action, title="Titel van Anna"))
    assert first.status_code == 302
    second = client.post(
        f"/actions/{action.id}/edit", _form_data(action, title="Titel van Diederik", version="1")
    )
    html = _html(second)
    assert second.status_code == 200
    assert "Iemand anders heeft deze actie gewijzigd" in html
    conflict = html[html.index("data-conflict") :]
    assert "Anna Beheer" in conflict and "Titel van Anna" in conflict
    assert 'value="Titel van Diederik"' in html  # the second person's input is kept
    db.session.expire_all()
    assert db.session.get(ImprovementAction, action.id).title == "Titel van Anna"

    # Saving again, now knowingly on top of Anna's change, works.
    again = client.post(
        f"/actions/{action.id}/edit",
        _form_data(action, title="Titel van Diederik", version=_version_in(html)),
    )
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(ImprovementAction, action.id).title == "Titel van Diederik"
    titles = db.session.scalars(
        select(ActionChange.new_value)
        .where(ActionChange.field == "title")
        .order_by(ActionChange.id)
    ).all()
    assert titles == ["Titel van Anna", "Titel van Diederik"]


def test_an_update_on_a_stale_page_is_a_conflict_with_the_text_kept(world, client):
    action = make_action(world["ict"], world["owner"])
    client.login("owner@example.org")
    services.update_action(world["director"], action, expected_version=1, title="Nieuwe titel")
    db.session.commit()
    response = client.post(
        f"/actions/{action.id}/updates",
        {
            f"u{action.id}-text": "Mijn voortgang",
            f"u{action.id}-version": "1",
        },
    )
    html = _html(response)
    assert "Iemand anders heeft deze actie gewijzigd" in html and "Nieuwe titel" in html
    assert "Mijn voortgang" in html
    assert _count(ProgressUpdate) == 0


def test_decline_with_an_explanation_from_the_library(world, client, make_client):
    action = make_action(world["ict"], world["owner"])
    template = services.save_decline_template(
        None,
        constraint=DeclineConstraint.law,
        title="Wettelijke termijn",
        text="De wet schrijft deze bewaartermijn voor; wij mogen hier niet van afwijken.",
    )
    db.session.commit()
    client.login("dir@example.org")
    page = _html(client.get(f"/actions/{action.id}/decline?explanation={template.id}"))
    assert "De wet schrijft deze bewaartermijn voor" in page
    response = client.post(
        f"/actions/{action.id}/decline",
        {
            "constraint": "law",
            "version": "1",
            "explanation": "De wet schrijft deze bewaartermijn voor; wij bewaren daarom 7 jaar.",
        },
    )
    assert response.status_code == 302
    employee = make_client()
    employee.login("emp@example.org")
    public = _html(employee.get(f"/actions/{action.id}"))
    assert "wij bewaren daarom 7 jaar" in public and "Wet- en regelgeving" in public


def test_cancel_and_reopen_through_the_action_page(world, client):
    action = make_action(world["ict"], world["owner"])
    client.login("dir@example.org")
    missing = client.post(
        f"/actions/{action.id}/cancel", {"cancel-reason": "", "cancel-version": "1"}
    )
    assert "interne reden" in _html(missing)
    assert (
        client.post(
            f"/actions/{action.id}/cancel",
            {"cancel-reason": "Dubbel met de actie van P&O", "cancel-version": "1"},
        ).status_code
        == 302
    )
    page = _html(client.get(f"/actions/{action.id}"))
    assert "Dubbel met de actie van P&amp;O" in page and "reopen-status" in page
    assert (
        client.post(
            f"/actions/{action.id}/reopen",
            {
                "reopen-status": "proposed",
                "reopen-reason": "P&O stopt ermee",
                "reopen-version": _version_in(page, "reopen-"),
            },
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(ImprovementAction, action.id).status is ActionStatus.proposed


def test_deadline_request_is_decided_on_the_action_page(world, client, make_client):
    action = make_action(world["ict"], world["owner"])
    owner = make_client()
    owner.login("owner@example.org")
    wanted = action.deadline + timedelta(days=21)
    owner.post(
        f"/actions/{action.id}/updates",
        {
            f"u{action.id}-text": "Leverancier levert later",
            f"u{action.id}-version": "1",
            f"u{action.id}-requested_deadline": wanted.isoformat(),
        },
    )
    request_ = db.session.scalar(select(DeadlineRequest))
    assert request_ is not None and request_.requested_deadline == wanted
    client.login("dir@example.org")
    page = _html(client.get(f"/actions/{action.id}"))
    assert f'data-deadline-request="{request_.id}"' in page
    response = client.post(
        f"/actions/{action.id}/deadline-requests/{request_.id}",
        {"note": "Akkoord", "approve": "Goedkeuren"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ImprovementAction, action.id).deadline == wanted
    assert db.session.get(DeadlineRequest, request_.id).decision is DeadlineDecision.approved


# --- Who sees what ------------------------------------------------------------------------


def test_employees_see_only_public_fields_of_public_actions(world, client):
    public = make_action(world["ict"], world["owner"], title="Openbare actie")
    proposal = make_action(world["ict"], world["owner"], title="Nog maar een voorstel")
    services.update_action(
        world["director"],
        public,
        expected_version=1,
        public_summary="Wij bellen u terug.",
        description="Interne details over de planning",
    )
    services.post_update(
        world["owner"],
        public,
        expected_version=public.version,
        text="Ingepland",
        new_status=ActionStatus.planned,
    )
    internal = make_action(
        world["ict"], world["owner"], title="Interne actie", visibility=Visibility.internal
    )
    db.session.commit()
    client.login("emp@example.org")
    page = _html(client.get(f"/actions/{public.id}"))
    assert "Openbare actie" in page and "Wij bellen u terug." in page
    assert "Olga Visser" not in page and "Interne details" not in page
    assert 'id="history"' not in page
    assert client.get(f"/actions/{internal.id}").status_code == 403
    assert client.get(f"/actions/{proposal.id}").status_code == 403  # not decided yet
    assert client.get(f"/departments/{world['ict'].id}/actions").status_code == 403


def test_navigation_shows_my_actions_and_the_overview_by_role(world, client, make_client):
    client.login("emp@example.org")
    assert 'data-nav-item="my-actions"' not in _html(client.get("/"))
    make_action(world["ict"], world["employee"])
    assert 'data-nav-item="my-actions"' in _html(client.get("/"))
    assert 'data-nav-item="actions"' not in _html(client.get("/"))
    director = make_client()
    director.login("dir@example.org")
    assert 'data-nav-item="actions"' in _html(director.get("/"))


# --- Overviews, filters, sorting, exports -------------------------------------------------


@pytest.fixture
def listed(world):
    today = clock.today()
    past = datetime.now(timezone.utc) - timedelta(days=90)
    f2026 = _themed(
        make_finding(world["ict"], round_name="KTO 2026", triage=Triage.act), "Bereikbaarheid"
    )
    f2024 = _themed(
        make_finding(
            world["ict"],
            round_name="KTO 2024",
            triage=Triage.act,
            question_text="Informatie is duidelijk",
        ),
        "Communicatie",
    )
    actions = {
        "overdue": make_action(
            world["ict"],
            world["owner"],
            title="Achterstallig",
            now=past,
            deadline=today - timedelta(days=5),
            findings=[f2026],
        ),
        "soon": make_action(
            world["ict"],
            world["colleague"],
            title="Binnenkort",
            deadline=today + timedelta(days=6),
            quick_win=True,
        ),
        "later": make_action(
            world["ict"],
            world["owner"],
            title="Later",
            deadline=today + timedelta(days=80),
            findings=[f2024],
        ),
        "other": make_action(
            world["hr"],
            make_user(Role.owner, email="hr@example.org"),
            by=world["hr_director"],
            title="Andere afdeling",
        ),
    }
    services.cancel_action(
        world["director"], actions["later"], expected_version=1, reason="Vervalt"
    )
    db.session.commit()
    return actions, f2026, f2024


def _rows(html: str) -> list[int]:
    table = html[html.index("data-actions") :]
    return [int(x) for x in re.findall(r'<tr class="[^"]*" data-action="(\d+)"', table)]


def test_department_overview_filters_and_sorts(world, client, listed):
    actions, f2026, f2024 = listed
    client.login("dir@example.org")
    base = f"/departments/{world['ict'].id}/actions"
    ids = lambda query="": _rows(_html(client.get(base + query)))  # noqa: E731
    a = {k: v.id for k, v in actions.items()}
    assert ids() == [a["overdue"], a["soon"], a["later"]]
    assert ids("?status=open") == [a["overdue"], a["soon"]]
    assert ids("?status=cancelled") == [a["later"]]
    assert ids("?overdue=y") == [a["overdue"]]
    assert ids("?due_within=7") == [a["soon"]]
    assert ids(f"?owner={world['colleague'].id}") == [a["soon"]]
    assert ids(f"?round={f2024.round_id}") == [a["later"]]
    assert ids(f"?theme={f2026.question.theme_id}") == [a["overdue"]]
    assert ids("?quick_win=y") == [a["soon"]]
    assert ids("?sort=title&direction=desc") == [a["later"], a["soon"], a["overdue"]]
    assert ids("?due_within=abc") == [a["overdue"], a["soon"], a["later"]]  # bad value ignored
    page = _html(client.get(base))
    assert 'data-counter="open">2<' in page and 'data-counter="overdue">1<' in page
    overdue_row = page[page.index(f'data-action="{a["overdue"]}"') - 40 :]
    assert "table-danger" in overdue_row[:80]


def test_a_kept_action_list_shows_a_change_at_once_and_is_never_shared(
    world, client, make_client, listed
):
    """The lists are kept per data version, filter and reader (tracker.rendering): a saved
    change shows on the next request, and what one director sees is not served to another."""
    actions, _, _ = listed
    client.login("dir@example.org")
    base = f"/departments/{world['ict'].id}/actions"
    assert "Nieuwe naam" not in _html(client.get(base))
    soon = actions["soon"]
    services.update_action(
        world["director"], soon, expected_version=soon.version, title="Nieuwe naam"
    )
    db.session.commit()
    assert "Nieuwe naam" in _html(client.get(base))
    assert _rows(_html(client.get(base + "?status=cancelled"))) == [actions["later"].id]
    hr = make_client()
    hr.login("hrdir@example.org")
    # The HR director may list ICT's actions too, but their own reader key renders anew.
    assert "Nieuwe naam" in _html(hr.get("/actions"))
    assert actions["other"].id in _rows(_html(hr.get("/actions")))
    assert actions["other"].id not in _rows(_html(client.get(base)))


def test_overview_of_all_departments_and_department_filter(world, client, listed):
    actions, _, _ = listed
    client.login("hrdir@example.org")
    assert set(_rows(_html(client.get("/actions")))) == {a.id for a in actions.values()}
    assert _rows(_html(client.get(f"/actions?department={world['hr'].id}"))) == [
        actions["other"].id
    ]


def test_lists_are_paginated(world, client):
    for number in range(30):
        make_action(world["ict"], world["owner"], title=f"Actie {number:02d}")
    client.login("dir@example.org")
    first = _html(client.get(f"/departments/{world['ict'].id}/actions?sort=title"))
    second = _html(client.get(f"/departments/{world['ict'].id}/actions?sort=title&page=2"))
    assert len(_rows(first)) == 25 and len(_rows(second)) == 5
    assert "Aantal acties: 30" in first and 'rel="next"' in first


def test_export_csv_and_xlsx_follow_the_filter_and_neutralise_formulas(world, client):
    hostile = ['=HYPERLINK("http://evil.example")', "+31 6 1234", "-2+3", "@SUM(A1)"]
    for title in hostile:
        make_action(world["ict"], world["owner"], title=title)
    make_action(world["ict"], world["colleague"], title="Van Sanne")
    client.login("dir@example.org")
    url = f"/departments/{world['ict'].id}/actions/export"
    response = client.get(f"{url}.csv?owner={world['owner'].id}&sort=title")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0][:3] == ["Nummer", "Afdeling", "Titel"]
    titles = sorted(row[2] for row in rows[1:])
    assert titles == sorted("'" + t for t in hostile)  # Sanne's action is filtered out
    workbook = load_workbook(io.BytesIO(client.get(f"{url}.xlsx?owner={world['owner'].id}").data))
    sheet = workbook.active
    cells = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    # Text cells in XLSX: shown as typed, no apostrophe, never a formula.
    assert sorted(cells) == sorted(hostile)
    assert all(cell.data_type == "s" for cell in sheet["C"][1:])
    assert isinstance(sheet.cell(row=2, column=8).value, datetime)  # deadlines are dates


def test_roll_up_per_department(world, client, listed):
    make_finding(world["hr"], triage=Triage.act, question_text="Nog niet opgepakt")
    client.login("dir@example.org")
    page = _html(client.get("/actions/rollup"))
    hr_row = page[page.index(f'data-department="{world["hr"].id}"') :]
    hr_row = hr_row[: hr_row.index("</tr>")]
    assert 'data-cell="unfollowed">1<' in hr_row and 'data-cell="open">1<' in hr_row
    ict_row = page[page.index(f'data-department="{world["ict"].id}"') :]
    ict_row = ict_row[: ict_row.index("</tr>")]
    assert 'data-cell="overdue">1<' in ict_row and 'data-cell="unfollowed">0<' in ict_row


# --- Libraries ----------------------------------------------------------------------------


def test_admin_adds_and_edits_suggested_actions(world, client):
    theme = Theme(name="Klantgerichtheid")
    db.session.add(theme)
    db.session.commit()
    client.login("admin@example.org")
    response = client.post(
        "/admin/action-templates/new",
        {
            "title": "Klantgerichtheid wordt criterium in de jaargesprekken",
            "description": "Leidinggevenden bespreken klantgericht gedrag in elk jaargesprek.",
            "theme_id": str(theme.id),
            "typical_duration_days": "120",
            "active": "y",
        },
    )
    assert response.status_code == 302
    template = db.session.scalar(select(ActionTemplate))
    assert template.theme_id == theme.id and template.typical_duration_days == 120
    assert (
        client.post(
            f"/admin/action-templates/{template.id}",
            {
                "title": template.title,
                "description": "Aangepast",
                "theme_id": "0",
                "typical_duration_days": "0",
                "active": "y",
            },
        ).status_code
        == 200
    )  # duration 0 is refused
    client.post(
        f"/admin/action-templates/{template.id}",
        {
            "title": template.title,
            "description": "Aangepast",
            "theme_id": "0",
            "typical_duration_days": "90",
            "quick_win": "y",
            "active": "y",
        },
    )
    db.session.expire_all()
    template = db.session.get(ActionTemplate, template.id)
    assert (template.description, template.theme_id, template.quick_win) == (
        "Aangepast",
        None,
        True,
    )
    client.post(
        "/admin/decline-templates/new",
        {
            "constraint": "outside",
            "title": "Buiten onze invloed",
            "text": "Dit besluit ligt bij het Rijk.",
            "active": "y",
        },
    )
    assert db.session.scalar(select(DeclineTemplate.title)) == "Buiten onze invloed"


def test_creating_from_a_finding_offers_its_themes_templates_first(world, client):
    finding = _themed(make_finding(world["ict"], triage=Triage.act), "Bereikbaarheid")
    services.save_action_template(
        None,
        title="Elke melding binnen 4 werkuren terugbellen",
        theme=finding.question.theme,
        typical_duration_days=14,
        quick_win=True,
    )
    services.save_action_template(
        None, title="Klantgerichtheid in jaargesprekken", typical_duration_days=120
    )
    db.session.commit()
    client.login("dir@example.org")
    url = f"/departments/{world['ict'].id}/actions/new?finding={finding.id}"
    page = _html(client.get(url))
    suggested = page[page.index("data-suggested") :]
    assert suggested.index("binnen 4 werkuren") < suggested.index(
        "Klantgerichtheid in jaargesprekken"
    )
    assert "binnen 4 werkuren" in suggested[: suggested.index("</ul>")]
    template = db.session.scalar(select(ActionTemplate).where(ActionTemplate.quick_win.is_(True)))
    prefilled = _html(client.get(f"{url}&template={template.id}"))
    assert 'value="Elke melding binnen 4 werkuren terugbellen"' in prefilled
    assert (clock.today() + timedelta(days=14)).isoformat() in prefilled


def test_finding_partial_lists_actions_and_offers_creating_one(world, app):
    from flask import render_template
    from flask_login import login_user

    from tracker.actions.routes import actions_on_survey_results

    finding = make_finding(world["ict"], triage=Triage.act)
    visible = make_action(world["ict"], world["owner"], title="Zichtbaar", findings=[finding])
    services.post_update(
        world["owner"], visible, expected_version=1, text="Gepland", new_status=ActionStatus.planned
    )
    db.session.commit()
    make_action(
        world["ict"],
        world["owner"],
        title="Alleen intern",
        findings=[finding],
        visibility=Visibility.internal,
    )
    for email, sees_internal, may_create in [
        ("dir@example.org", True, True),
        ("emp@example.org", False, False),
    ]:
        with app.test_request_context():
            from tracker.auth.models import User

            reader = db.session.scalar(select(User).where(User.email == email))
            login_user(reader)
            # What the survey results page gets from the actions area for this finding.
            shown = actions_on_survey_results(
                reader=reader,
                department=world["ict"],
                round_id=finding.round_id,
                findings=[finding],
                threshold=5,
            )
            html = render_template(
                "actions/_finding_actions.html",
                finding=finding,
                actions=shown["first_actions"].actions[finding.id],
                visible=shown["visible_actions"][finding.id],
                total=shown["first_actions"].totals[finding.id],
                creatable_departments=shown["creatable_departments"],
            )
        assert "Zichtbaar" in html and f"/actions/{visible.id}" in html
        assert ("Alleen intern" in html) is sees_internal
        assert (f"finding={finding.id}" in html) is may_create


def test_results_page_lists_the_first_actions_of_a_finding_and_links_the_rest(world, client):
    from datetime import date

    from tracker.actions.queries import ACTIONS_PER_FINDING

    finding = make_finding(world["ict"], triage=Triage.act)
    other = make_finding(world["ict"], triage=Triage.act, question_text="Snel geholpen")
    start = date(2027, 1, 1)
    for number in range(ACTIONS_PER_FINDING + 3):
        make_action(
            world["ict"],
            world["owner"],
            title=f"Actie nummer {number:02d}",
            findings=[finding],
            deadline=start + timedelta(days=number),
        )
    make_action(world["ict"], world["owner"], title="Enige actie", findings=[other])
    client.login("dir@example.org")
    html = _html(client.get(f"/surveys/{finding.round_id}/departments/{world['ict'].id}"))
    card = html[html.index(f'data-finding-actions="{finding.id}"') :]
    card = card[: card.index("</div>")]
    # The nearest deadlines first, the rest counted with a link to the round's actions.
    shown = re.findall(r"Actie nummer (\d\d)", card)
    assert shown == [f"{n:02d}" for n in range(ACTIONS_PER_FINDING)]
    assert "Nog 3: zie alle acties van deze ronde" in card
    assert f'href="/departments/{world["ict"].id}/actions?round={finding.round_id}"' in card
    alone = html[html.index(f'data-finding-actions="{other.id}"') :]
    assert "Enige actie" in alone[: alone.index("</div>")]
    assert "data-more-actions" not in alone[: alone.index("</div>")]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_list_dates_read_like_the_date_filter(app, lang):
    from datetime import date

    from flask import render_template_string, session

    late = datetime(2026, 11, 22, 23, 30, tzinfo=timezone.utc)  # 23 November in Amsterdam
    with app.test_request_context():
        session["lang"] = lang
        out = render_template_string(
            "{{ d|date }}|{{ d|list_date }}|{{ t|date }}|{{ t|list_date }}|{{ none|list_date }}",
            d=date(2026, 3, 1),
            t=late,
            none=None,
        )
    plain, listed, plain_time, listed_time, empty = out.split("|")
    assert plain == listed and plain_time == listed_time and empty == "–"
    assert "23" in listed_time


def test_pages_without_a_conflict_show_no_conflict_box(world, client):
    action = make_action(world["ict"], world["owner"])
    client.login("dir@example.org")
    for url in (
        f"/actions/{action.id}",
        f"/actions/{action.id}/edit",
        f"/actions/{action.id}/decline",
        f"/departments/{world['ict'].id}/actions/new",
    ):
        html = _html(client.get(url))
        assert "data-conflict" not in html and "Intussen door iemand anders" not in html, url
