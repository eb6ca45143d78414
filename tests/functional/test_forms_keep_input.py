"""Every form that changes an action (or decides on a finding), table-driven: valid input is
stored and shown; input the service refuses comes back on the page it was sent from, with
the error next to its field (aria-invalid, aria-describedby, a summary linking to it),
every typed value kept, no success message and nothing written."""

from __future__ import annotations

import html as html_module
import re
from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_action, make_department, make_finding, make_user
from tracker import clock
from tracker.actions import services
from tracker.actions.models import (
    ActionChange,
    ActionStatus,
    DeadlineDecision,
    DeadlineRequest,
    ImprovementAction,
    ProgressUpdate,
)
from tracker.auth.models import Role
from tracker.cocreation.models import Reaction
from tracker.extensions import db
from tracker.meetings import agenda
from tracker.meetings import services as meetings
from tracker.meetings.models import AgendaItem, Meeting, Recurrence
from tracker.surveys.models import Finding, Triage

RESULT = "Wij bellen nu elke melding binnen 4 werkuren terug."
TOO_LONG_NOTE = "lang " * 450  # more than the 2,000 characters a note or reason may have


@pytest.fixture
def world(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    director = make_user(Role.director, email="dir@example.org", name="Diederik", directs=[ict])
    owner = make_user(Role.owner, email="owner@example.org", name="Olga", staff_of=[ict])
    employee = make_user(Role.employee, email="emma@example.org", name="Emma")
    return {"ict": ict, "director": director, "owner": owner, "employee": employee}


def _at(world, status: ActionStatus, deadline: date | None = None) -> ImprovementAction:
    action = make_action(world["ict"], world["owner"], deadline=deadline)
    path = [ActionStatus.planned, ActionStatus.in_progress, ActionStatus.done]
    for step in path[: path.index(status) + 1] if status in path else []:
        services.change_status(
            world["director"],
            action,
            step,
            expected_version=action.version,
            result=RESULT if step is ActionStatus.done else None,
        )
    db.session.commit()
    return action


def _written() -> tuple:
    """Everything a refused form could have written."""
    return (
        db.session.scalar(select(func.count(ActionChange.id))),
        db.session.scalar(select(func.count(ProgressUpdate.id))),
        tuple(db.session.scalars(select(DeadlineRequest.decision).order_by(DeadlineRequest.id))),
        tuple(db.session.scalars(select(Finding.triage).order_by(Finding.id))),
        tuple(db.session.scalars(select(AgendaItem.outcome).order_by(AgendaItem.id))),
        db.session.scalar(select(func.count(Reaction.id))),
    )


def _tag(page: str, element_id: str) -> str:
    match = re.search(rf'<(?:input|select|textarea|fieldset)\b[^>]*\bid="{element_id}"[^>]*>', page)
    assert match, f"no field {element_id}"
    return match[0]


def assert_error_next_to(page: str, element_id: str, message: str) -> None:
    """The field is marked invalid and described by its error, which follows it directly
    (no other field in between) and says `message`; a summary above links to it."""
    tag = _tag(page, element_id)
    assert 'aria-invalid="true"' in tag, tag
    described = re.search(r'aria-describedby="([^"]*)"', tag)
    assert described and f"{element_id}-error" in described[1].split(), tag
    start = page.index(tag)
    error_at = page.index(f'id="{element_id}-error"')
    between = page[start + len(tag) : error_at]
    assert error_at > start and "<label" not in between and "<input" not in between
    error = page[error_at : page.index("</div>", error_at)]
    assert message in html_module.unescape(error)
    summary = page.rindex("data-error-summary", 0, start)
    assert f'href="#{element_id}"' in page[summary:start]
    assert 'tabindex="-1"' in page[page.rindex("<div", 0, summary) : summary + 30]


def _no_success(page: str) -> None:
    assert "alert-success" not in page.split("<main", 1)[1].split("</h1>", 1)[0]
    assert 'class="alert alert-success" role="status"' not in page


# --- The cases: one per form ----------------------------------------------------------------


@dataclass
class Case:
    name: str
    login: str
    #: world -> (url, valid data, check(stored), text the page after saving shows, url to see it)
    valid: object
    #: world -> (url, refused data, field id, message, typed values, text of the page sent from)
    refused: object


def _quick_update(origin: str, start: ActionStatus):
    def valid(w):
        action = _at(w, start)
        p = f"u{action.id}-"
        data = {
            p + "version": str(action.version),
            p + "origin": origin,
            p + "text": "Afgerond",
            p + "percent": "80",
            p + "new_status": "done",
            p + "result": RESULT,
        }

        def check():
            stored = db.session.get(ImprovementAction, action.id)
            return stored.status is ActionStatus.done and stored.result == RESULT

        return f"/actions/{action.id}/updates", data, check, RESULT, f"/actions/{action.id}"

    def refused(w):
        action = _at(w, start)
        p = f"u{action.id}-"
        data = {
            p + "version": str(action.version),
            p + "origin": origin,
            p + "text": "Bijna klaar, getypt",
            p + "percent": "90",
            p + "new_status": "",
            p + "result": RESULT,
        }
        return (
            f"/actions/{action.id}/updates",
            data,
            p + "new_status",
            'Kies "Gereed" als nieuwe status',
            ["Bijna klaar, getypt", RESULT, 'value="90"'],
            "Mijn acties" if origin == "mine" else action.title,
        )

    return valid, refused


def _edit():
    def valid(w):
        action = _at(w, ActionStatus.planned)
        data = _action_data(action, title="Nieuwe titel")

        def check():
            return db.session.get(ImprovementAction, action.id).title == "Nieuwe titel"

        return f"/actions/{action.id}/edit", data, check, "Nieuwe titel", f"/actions/{action.id}"

    def refused(w):
        action = _at(w, ActionStatus.planned)
        data = _action_data(action, title="  ", description="Mijn getypte beschrijving")
        return (
            f"/actions/{action.id}/edit",
            data,
            "title",
            "Geef de actie een titel",
            ["Mijn getypte beschrijving"],
            "Actie bewerken",
        )

    return valid, refused


def _action_data(action, **overrides) -> dict:
    return {
        "title": action.title,
        "description": action.description,
        "owner_id": str(action.owner_id),
        "deadline": action.deadline.isoformat(),
        "priority": action.priority.value,
        "sphere": action.sphere.value,
        "visibility": action.visibility.value,
        "public_summary": action.public_summary or "",
        "version": str(action.version),
        **overrides,
    }


def _decline():
    def valid(w):
        action = _at(w, ActionStatus.proposed)
        data = {"version": str(action.version), "constraint": "budget", "explanation": "Geen geld"}

        def check():
            return db.session.get(ImprovementAction, action.id).status is ActionStatus.declined

        return f"/actions/{action.id}/decline", data, check, "Geen geld", f"/actions/{action.id}"

    def refused(w):
        action = _at(w, ActionStatus.proposed)
        typed = "Te lange uitleg " * 400
        data = {"version": str(action.version), "constraint": "law", "explanation": typed}
        return (
            f"/actions/{action.id}/decline",
            data,
            "explanation",
            "Deze tekst is te lang",
            [typed.strip(), '<option selected value="law">'],
            action.title,
        )

    return valid, refused


def _workflow(kind: str):
    start = ActionStatus.planned if kind == "cancel" else ActionStatus.done

    def valid(w):
        action = _at(w, start)
        data = {f"{kind}-version": str(action.version), f"{kind}-reason": "Andere prioriteit"}
        if kind == "reopen":
            data["reopen-status"] = "in_progress"
        wanted = ActionStatus.cancelled if kind == "cancel" else ActionStatus.in_progress

        def check():
            return db.session.get(ImprovementAction, action.id).status is wanted

        return (
            f"/actions/{action.id}/{kind}",
            data,
            check,
            "Andere prioriteit",
            f"/actions/{action.id}",
        )

    def refused(w):
        action = _at(w, start)
        data = {f"{kind}-version": str(action.version), f"{kind}-reason": TOO_LONG_NOTE}
        if kind == "reopen":
            data["reopen-status"] = "planned"
        typed = [TOO_LONG_NOTE.strip()]
        if kind == "reopen":
            typed.append('<option selected value="planned">')
        return (
            f"/actions/{action.id}/{kind}",
            data,
            f"{kind}-reason",
            "Deze tekst is te lang",
            typed,
            action.title,
        )

    return valid, refused


def _deadline_decision():
    def requested(w):
        action = _at(w, ActionStatus.in_progress)
        services.post_update(
            w["owner"],
            action,
            expected_version=action.version,
            text="Meer tijd nodig",
            requested_deadline=action.deadline + timedelta(days=30),
        )
        db.session.commit()
        return action, db.session.scalar(select(DeadlineRequest))

    def valid(w):
        action, request = requested(w)
        data = {"note": "Akkoord, laatste keer", "approve": "Goedkeuren"}

        def check():
            stored = db.session.get(DeadlineRequest, request.id)
            return stored.decision is DeadlineDecision.approved

        url = f"/actions/{action.id}/deadline-requests/{request.id}"
        return url, data, check, "Akkoord, laatste keer", f"/actions/{action.id}"

    def refused(w):
        action, request = requested(w)
        data = {"note": TOO_LONG_NOTE, "approve": "Goedkeuren"}
        return (
            f"/actions/{action.id}/deadline-requests/{request.id}",
            data,
            f"note-{request.id}",
            "Deze tekst is te lang",
            [TOO_LONG_NOTE.strip()],
            action.title,
        )

    return valid, refused


def _first_meeting(w) -> Meeting:
    """The first meeting of a weekly staff meeting of ICT, chaired by its director."""
    series = meetings.save_series(
        w["director"],
        title="Stafoverleg ICT",
        department=w["ict"],
        recurrence=Recurrence.weekly,
        weekday=(date.today() + timedelta(days=2)).weekday(),
        starts_on=date.today() + timedelta(days=1),
        start_time=time(10),
        attendees=[w["director"]],
        location="Kamer 2.14",
    )
    db.session.commit()
    return db.session.scalar(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    )


def _meeting_step(w, start: ActionStatus):
    action = _at(w, start, deadline=clock.today())
    meeting = _first_meeting(w)
    agenda.build_agenda(w["director"], meeting)
    db.session.commit()
    rows = [i for i in agenda.visible_items(meeting)]
    number = next(n for n, i in enumerate(rows, 1) if i.action_id == action.id)
    return action, f"/meetings/{meeting.id}/run/{number}"


def _meeting_decision():
    blank = {"owner_id": "", "deadline_request": "", "constraint": "", "explanation": ""}

    def valid(w):
        action, url = _meeting_step(w, ActionStatus.planned)
        data = {
            **blank,
            "version": str(action.version),
            "decision": "Klaar verklaard",
            "new_status": "done",
            "result": RESULT,
        }

        def check():
            stored = db.session.get(ImprovementAction, action.id)
            return stored.status is ActionStatus.done and stored.result == RESULT

        return url, data, check, RESULT, f"/actions/{action.id}"

    def refused(w):
        action, url = _meeting_step(w, ActionStatus.planned)
        data = {
            **blank,
            "version": str(action.version),
            "decision": "Ons getypte besluit",
            "new_status": "",
            "result": RESULT,
        }
        return (
            url,
            data,
            "new_status",
            'Kies "Gereed" als nieuwe status',
            ["Ons getypte besluit", RESULT],
            "Vergadermodus",
        )

    return valid, refused


def _triage():
    def valid(w):
        finding = make_finding(w["ict"])
        p = f"f{finding.id}-"
        data = {p + "triage": "no_action", p + "sphere": "outside", p + "no_action_reason": "Wet"}

        def check():
            return db.session.get(Finding, finding.id).triage is Triage.no_action

        page = f"/surveys/{finding.round_id}/departments/{finding.department_id}"
        return f"/findings/{finding.id}/triage", data, check, "Wet", page

    def refused(w):
        finding = make_finding(w["ict"])
        p = f"f{finding.id}-"
        data = {p + "triage": "no_action", p + "sphere": "outside", p + "no_action_reason": " "}
        return (
            f"/findings/{finding.id}/triage",
            data,
            p + "no_action_reason",
            "Geef aan waarom er geen actie komt",
            ['<option selected value="outside">', '<option selected value="no_action">'],
            w["ict"].name,
        )

    return valid, refused


def _agenda_item():
    def valid(w):
        meeting = _first_meeting(w)
        data = {"title": "Rondvraag over de nieuwe telefooncentrale", "description": ""}

        def check():
            return (
                db.session.scalar(
                    select(AgendaItem.title).where(AgendaItem.meeting_id == meeting.id)
                )
                == data["title"]
            )

        url = f"/meetings/{meeting.id}"
        return f"{url}/agenda/items", data, check, data["title"], url

    def refused(w):
        meeting = _first_meeting(w)
        data = {"title": "  ", "description": "Mijn getypte toelichting bij het punt"}
        return (
            f"/meetings/{meeting.id}/agenda/items",
            data,
            "title",
            "Geef het agendapunt een titel",
            ["Mijn getypte toelichting bij het punt"],
            "Stafoverleg ICT",
        )

    return valid, refused


def _reaction():
    def public_action(w):
        finding = make_finding(w["ict"], triage=Triage.act)
        action = make_action(w["ict"], w["owner"], findings=[finding], title="ICT belt terug")
        services.change_status(
            w["director"], action, ActionStatus.planned, expected_version=action.version
        )
        db.session.commit()
        return action, f"/you-said-we-did/{finding.round_id}/{w['ict'].id}"

    def valid(w):
        action, page = public_action(w)
        data = {"verdict": "helps", "comment": "Fijn dat jullie terugbellen", "next": page}

        def check():
            reaction = db.session.scalar(select(Reaction).where(Reaction.action_id == action.id))
            return reaction is not None and reaction.comment == data["comment"]

        return f"/actions/{action.id}/reaction", data, check, data["comment"], page

    def refused(w):
        action, page = public_action(w)
        data = {"verdict": "", "comment": "Mijn getypte opmerking over het terugbellen"}
        data["next"] = page
        return (
            f"/actions/{action.id}/reaction",
            data,
            "verdict",
            "Kies of dit helpt",
            ["Mijn getypte opmerking over het terugbellen"],
            "ICT belt terug",
        )

    return valid, refused


CASES = [
    Case(
        "update on My actions from planned", "owner", *_quick_update("mine", ActionStatus.planned)
    ),
    Case(
        "update on My actions from in progress",
        "owner",
        *_quick_update("mine", ActionStatus.in_progress),
    ),
    Case(
        "update on the action page from planned",
        "owner",
        *_quick_update("action", ActionStatus.planned),
    ),
    Case(
        "update on the action page from in progress",
        "owner",
        *_quick_update("action", ActionStatus.in_progress),
    ),
    Case("edit action", "director", *_edit()),
    Case("decline", "director", *_decline()),
    Case("cancel", "director", *_workflow("cancel")),
    Case("reopen", "director", *_workflow("reopen")),
    Case("deadline decision", "director", *_deadline_decision()),
    Case("meeting-mode decision", "director", *_meeting_decision()),
    Case("triage on the results page", "director", *_triage()),
    Case("agenda item in a meeting", "director", *_agenda_item()),
    Case("reaction on a public action", "employee", *_reaction()),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_valid_input_is_stored_and_shown(world, client, case):
    url, data, check, shown, page = case.valid(world)
    client.login(world[case.login].email)
    response = client.post(url, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert check()
    assert shown in html_module.unescape(client.get(page).get_data(as_text=True))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_refused_input_comes_back_next_to_its_field_and_nothing_is_written(world, client, case):
    url, data, field_id, message, typed, page_text = case.refused(world)
    client.login(world[case.login].email)
    page = _refused(client, url, data, field_id, message, typed)
    assert "Controleer deze velden:" in page
    assert page_text in html_module.unescape(page)  # the page it was sent from


#: The English of each case's message.
ENGLISH = {
    'Kies "Gereed" als nieuwe status': 'Choose "Done" as the new status',
    "Geef de actie een titel": "Give the action a title",
    "Deze tekst is te lang": "This text is too long",
    "Geef aan waarom er geen actie komt": "Say why no action is taken",
    "Geef het agendapunt een titel": "Give the item a title",
    "Kies of dit helpt": "Choose whether this helps",
}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_refused_input_in_english(world, client, case):
    url, data, field_id, message, typed, _page_text = case.refused(world)
    client.login(world[case.login].email)
    client.post("/language", {"language": "en", "next": "/"})
    page = _refused(client, url, data, field_id, ENGLISH[message], typed)
    assert "Check these fields:" in page


def _refused(client, url, data, field_id, message, typed) -> str:
    before = _written()
    response = client.post(url, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    _no_success(page)
    assert_error_next_to(page, field_id, message)
    for value in typed:
        assert value in html_module.unescape(page), value
    db.session.expire_all()
    assert _written() == before
    return page
