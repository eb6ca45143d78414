"""The same question and the same department across rounds: reworded questions and renamed or
merged departments are mapped by hand in the import wizard, kept, and editable afterwards; the
change since the previous round and the effect of actions follow the mapping."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from tests.factories import make_action, make_department, make_finding, make_user
from tracker.actions import services as actions
from tracker.actions.effects import Verdict, action_effects
from tracker.actions.models import ActionStatus
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.organisation.models import Department, DepartmentAlias
from tracker.organisation.queries import department_lineage
from tracker.surveys.models import Finding, Question, SurveyRound
from tracker.surveys.queries import question_lineage

OLD = "Ik word teruggebeld zoals beloofd"
NEW = "Ik word teruggebeld zoals is afgesproken"

REPORT_2025 = f"""afdeling;vraag;score;n;sd;schaal
ICT;{OLD};6,0;48;1,5;1-10
ICT;De servicedesk is goed bereikbaar;3,6;48;0,9;1-5
Financiën;{OLD};7,0;20;1,2;1-10
Inkoop;{OLD};5,0;30;1,0;1-10
""".encode("cp1252")

REPORT_2026 = f"""afdeling;vraag;score;n;sd;schaal
ICT;{NEW};6,8;52;1,4;1-10
ICT;De servicedesk is goed bereikbaar;3,5;52;0,8;1-5
Financiële administratie;{NEW};7,1;25;1,1;1-10
Bedrijfsvoering;{NEW};5,2;40;1,0;1-10
""".encode("cp1252")


@pytest.fixture
def world(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    fin = make_department("Financiën", "FIN")
    inkoop = make_department("Inkoop", "INK")
    admin = make_user(Role.admin, email="admin@example.org")
    director = make_user(Role.director, email="dir@example.org", directs=[ict, fin, inkoop])
    return {"ICT": ict, "FIN": fin, "INK": inkoop, "admin": admin, "director": director}


def _import(client, data, round_name, held_on, fields=None):
    response = client.post(
        "/surveys/import",
        {
            "file": (io.BytesIO(data), f"{round_name}.csv"),
            "round_name": round_name,
            "held_on": held_on,
            "format": "auto",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    token_url = preview_url.split("?")[0]
    return preview_url, token_url


def _finding(department, round_name, text):
    return db.session.scalar(
        select(Finding)
        .join(Question)
        .join(SurveyRound, Finding.round_id == SurveyRound.id)
        .where(
            Finding.department_id == department.id,
            SurveyRound.name == round_name,
            Question.text == text,
        )
    )


def _question(round_name, text):
    return db.session.scalar(
        select(Question)
        .join(SurveyRound)
        .where(SurveyRound.name == round_name, Question.text == text)
    )


def _confirm(client, token_url, round_name, held_on, **fields):
    return client.post(
        token_url,
        {
            "round": round_name,
            "held_on": held_on,
            "format": "auto",
            "department_column": "",
            "department": "",
            "confirm": "Importeren",
            **fields,
        },
    )


def _import_2025(client):
    _preview, token = _import(client, REPORT_2025, "KTO 2025", "2025-03-01")
    assert _confirm(client, token, "KTO 2025", "2025-03-01").status_code == 302


def test_the_wizard_maps_a_reworded_question_and_renamed_and_merged_departments(client, world):
    client.login("dir@example.org")
    _import_2025(client)
    preview_url, token = _import(client, REPORT_2026, "KTO 2026", "2026-03-01")
    preview = client.get(preview_url).get_data(as_text=True)
    # The wizard offers the earlier wording, and shows which question matches by its text.
    assert "Dezelfde vraag als in een eerdere ronde" in preview
    assert f">{OLD}</option>" in preview
    assert "Dezelfde tekst als in KTO 2025" in preview
    old_question = _question("KTO 2025", OLD)
    # Rows: 1 ICT, 2 Financiële administratie (Financiën renamed), 3 Bedrijfsvoering (formed
    # from Inkoop). Question q1 is the reworded one.
    done = _confirm(
        client,
        token,
        "KTO 2026",
        "2026-03-01",
        create_departments="y",
        **{
            "map_name-1": "ICT",
            "map-1": "",
            "map_name-2": "Financiële administratie",
            "map-2": str(world["FIN"].id),
            "map_name-3": "Bedrijfsvoering",
            "map-3": "",
            "continues-3": str(world["INK"].id),
            "scale_key-q1": _key_of(preview, NEW),
            "same-q1": str(old_question.id),
        },
    )
    assert done.status_code == 302, done.get_data(as_text=True)

    new_question = _question("KTO 2026", NEW)
    assert new_question.continues_id == old_question.id
    # The change since the previous round follows the reworded question ...
    assert _finding(world["ICT"], "KTO 2026", NEW).previous_score == pytest.approx(6.0)
    # ... the renamed department (the name is kept for the next import) ...
    assert _finding(world["FIN"], "KTO 2026", NEW).previous_score == pytest.approx(7.0)
    assert (
        db.session.scalar(
            select(DepartmentAlias.department_id).where(
                DepartmentAlias.name == "Financiële administratie"
            )
        )
        == world["FIN"].id
    )
    # ... and the new department formed from Inkoop.
    merged = db.session.scalar(select(Department).where(Department.name == "Bedrijfsvoering"))
    db.session.refresh(world["INK"])
    assert world["INK"].successor_id == merged.id
    assert _finding(merged, "KTO 2026", NEW).previous_score == pytest.approx(5.0)
    assert department_lineage()[world["INK"].id] == merged.id


def _key_of(preview: str, text: str) -> str:
    """The question key the preview holds for a question text (its scale_key hidden input)."""
    import re

    for _index, key in re.findall(r'name="scale_key-q(\d+)" value="([^"]*)"', preview):
        if text in key or key.endswith(text):
            return key
    raise AssertionError(f"no key for {text}")


def test_a_name_mapped_once_is_recognised_by_the_next_import(client, world):
    client.login("dir@example.org")
    _import_2025(client)
    _preview, token = _import(client, REPORT_2026, "KTO 2026", "2026-03-01")
    assert (
        _confirm(
            client,
            token,
            "KTO 2026",
            "2026-03-01",
            create_departments="y",
            **{"map_name-2": "Financiële administratie", "map-2": str(world["FIN"].id)},
        ).status_code
        == 302
    )
    # A later round's file uses the new name again: no mapping needed.
    report_2027 = REPORT_2026.replace(b"6,8;52", b"7,0;50").replace(b"7,1;25", b"7,3;21")
    preview_url, _token = _import(client, report_2027, "KTO 2027", "2027-03-01")
    preview = client.get(preview_url).get_data(as_text=True)
    assert "(onbekend: kies of maak aan)" not in preview.split("h-questions")[0]


def test_the_question_mapping_is_editable_after_the_import(client, world):
    client.login("dir@example.org")
    _import_2025(client)
    _preview, token = _import(client, REPORT_2026, "KTO 2026", "2026-03-01")
    assert (
        _confirm(client, token, "KTO 2026", "2026-03-01", create_departments="y").status_code == 302
    )
    ict_2026 = _finding(world["ICT"], "KTO 2026", NEW)
    assert ict_2026.previous_score is None  # different text, not mapped: a new question
    round_2026 = ict_2026.round_id
    new_question, old_question = _question("KTO 2026", NEW), _question("KTO 2025", OLD)

    page = client.get(f"/surveys/{round_2026}/questions").get_data(as_text=True)
    assert "Vragen over rondes heen" in page and f"same-{new_question.id}" in page
    saved = client.post(
        f"/surveys/{round_2026}/questions", {f"same-{new_question.id}": str(old_question.id)}
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert _question("KTO 2026", NEW).continues_id == old_question.id
    assert _finding(world["ICT"], "KTO 2026", NEW).previous_score == pytest.approx(6.0)
    assert question_lineage()[new_question.id] == question_lineage()[old_question.id]

    # A question on another scale cannot be mapped: a message, nothing changes.
    likert = _question("KTO 2025", "De servicedesk is goed bereikbaar")
    refused = client.post(
        f"/surveys/{round_2026}/questions",
        {f"same-{new_question.id}": str(likert.id)},
        follow_redirects=True,
    )
    assert "andere schaal" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert _question("KTO 2026", NEW).continues_id == old_question.id

    # Undo the mapping: a new question again.
    client.post(f"/surveys/{round_2026}/questions", {f"same-{new_question.id}": ""})
    db.session.expire_all()
    assert _question("KTO 2026", NEW).continues_id is None


def test_the_department_page_keeps_other_names_and_predecessors(client, world):
    client.login("admin@example.org")
    fin, ink = world["FIN"], world["INK"]
    response = client.post(
        f"/admin/departments/{fin.id}",
        {
            "name": fin.name,
            "short_name": fin.short_name,
            "directorate_id": "0",
            "active": "y",
            "aliases": "Financiële administratie\nFinance\n\n",
            "predecessors": [str(ink.id)],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert sorted(a.name for a in db.session.get(Department, fin.id).aliases) == [
        "Finance",
        "Financiële administratie",
    ]
    assert db.session.get(Department, ink.id).successor_id == fin.id
    form = client.get(f"/admin/departments/{fin.id}").get_data(as_text=True)
    assert "Finance" in form and "Andere namen in onderzoeksbestanden" in form

    # A loop (Financiën continues in Inkoop, which continues in Financiën) is refused.
    refused = client.post(
        f"/admin/departments/{ink.id}",
        {
            "name": ink.name,
            "short_name": ink.short_name,
            "directorate_id": "0",
            "active": "y",
            "predecessors": [str(fin.id)],
        },
    )
    assert refused.status_code == 200
    db.session.expire_all()
    assert db.session.get(Department, fin.id).successor_id is None
    # Another department's name is refused as an alias.
    taken = client.post(
        f"/admin/departments/{ink.id}",
        {
            "name": ink.name,
            "short_name": ink.short_name,
            "directorate_id": "0",
            "active": "y",
            "aliases": "finance",
        },
    )
    assert "is al een naam van Financiën" in taken.get_data(as_text=True)
    assert db.session.scalar(select(func.count(DepartmentAlias.id))) == 2


def _done(action, director, day):
    now = datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc)
    for status in (ActionStatus.planned, ActionStatus.in_progress, ActionStatus.done):
        db.session.refresh(action)
        extra = {"result": "Gedaan."} if status is ActionStatus.done else {}
        actions.change_status(
            director, action, status, expected_version=action.version, now=now, **extra
        )
        db.session.commit()


def test_effects_follow_a_reworded_question_into_a_merged_department(ctx, client):
    db.session.add_all(
        [
            SurveyRound(name="KTO 2025", held_on=date(2025, 3, 1), label_map={}),
            SurveyRound(
                name="KTO 2026",
                held_on=date(2026, 3, 1),
                fieldwork_started_on=date(2026, 2, 1),
                label_map={},
            ),
        ]
    )
    db.session.commit()
    inkoop = make_department("Inkoop", "INK")
    bedrijfsvoering = make_department("Bedrijfsvoering", "BV")
    director = make_user(Role.director, email="d@example.org", directs=[inkoop, bedrijfsvoering])
    owner = make_user(Role.owner, email="o@example.org", staff_of=[inkoop])
    before = make_finding(inkoop, "KTO 2025", score=5.0, sd=1.0, n=40, question_text=OLD)
    after = make_finding(bedrijfsvoering, "KTO 2026", score=6.0, sd=1.0, n=40, question_text=NEW)
    # A question without an action, to compare with: it rose by 0.1.
    for department, round_name, score in (
        (inkoop, "KTO 2025", 6.0),
        (bedrijfsvoering, "KTO 2026", 6.1),
    ):
        make_finding(
            department, round_name, score=score, sd=1.0, n=40, question_text="De bestelling klopt"
        )
    action = make_action(inkoop, owner, by=director, findings=[before])
    _done(action, director, date(2025, 10, 1))
    db.session.refresh(action)

    # Neither mapped: nothing to measure, as no later round asked the question.
    threshold = 5
    (effect,) = action_effects([action], threshold)[action.id]
    assert effect.verdict is Verdict.no_second_round and effect.estimate is None
    # The department merged, but the question was reworded: still nothing.
    inkoop.successor = bedrijfsvoering
    db.session.commit()
    (effect,) = action_effects([action], threshold)[action.id]
    assert effect.verdict is Verdict.no_second_round
    # Both mapped: the effect is measured in the merged department's result.
    after.question.continues = before.question
    db.session.commit()
    (effect,) = action_effects([action], threshold)[action.id]
    assert effect.after_round == "KTO 2026"
    assert effect.estimate.change == pytest.approx(1.0)
    assert effect.difference.value == pytest.approx(0.9)
    assert effect.verdict is Verdict.improved
    # The merged department's results page lists the effect of Inkoop's action.
    client.login("d@example.org")
    html = client.get(f"/surveys/{after.round_id}/departments/{bedrijfsvoering.id}").get_data(
        as_text=True
    )
    assert action.title in html.split("data-effects", 1)[1].split("</section>", 1)[0]


def test_the_wizard_keeps_the_first_day_of_the_fieldwork(client, world):
    client.login("dir@example.org")
    refused = client.post(
        "/surveys/import",
        {
            "file": (io.BytesIO(REPORT_2025), "kto.csv"),
            "round_name": "KTO 2025",
            "held_on": "2025-03-01",
            "fieldwork_started_on": "2025-04-01",
            "format": "auto",
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 200
    assert "Het veldwerk begint voordat de resultaten bekend zijn." in refused.get_data(
        as_text=True
    )
    response = client.post(
        "/surveys/import",
        {
            "file": (io.BytesIO(REPORT_2025), "kto.csv"),
            "round_name": "KTO 2025",
            "held_on": "2025-03-01",
            "fieldwork_started_on": "2025-02-03",
            "format": "auto",
        },
        content_type="multipart/form-data",
    )
    preview_url = response.headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert 'name="fieldwork" value="2025-02-03"' in preview
    assert (
        _confirm(
            client, preview_url.split("?")[0], "KTO 2025", "2025-03-01", fieldwork="2025-02-03"
        ).status_code
        == 302
    )
    round_ = db.session.scalar(select(SurveyRound).where(SurveyRound.name == "KTO 2025"))
    assert round_.fieldwork_started_on == date(2025, 2, 3)
    assert "veldwerk vanaf" in client.get(f"/surveys/{round_.id}").get_data(as_text=True)


def test_a_department_given_a_predecessor_afterwards_gets_its_previous_scores(
    client, make_client, world
):
    """The lineage is set on the department page (organisation); the previous scores of its
    rounds follow at once (surveys)."""
    servicedesk = "De servicedesk is goed bereikbaar"
    before = f"afdeling;vraag;score;n;sd;schaal\nInkoop;{servicedesk};3,0;30;1,0;1-5\n"
    after = f"afdeling;vraag;score;n;sd;schaal\nBedrijfsvoering;{servicedesk};3,4;40;1,0;1-5\n"
    client.login("dir@example.org")
    _preview, token = _import(client, before.encode(), "KTO 2025", "2025-03-01")
    assert _confirm(client, token, "KTO 2025", "2025-03-01").status_code == 302
    _preview, token = _import(client, after.encode(), "KTO 2026", "2026-03-01")
    done = _confirm(
        client,
        token,
        "KTO 2026",
        "2026-03-01",
        create_departments="y",
        **{"map_name-1": "Bedrijfsvoering", "map-1": ""},
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    new = db.session.scalar(select(Department).where(Department.name == "Bedrijfsvoering"))
    assert _finding(new, "KTO 2026", servicedesk).previous_score is None

    admin = make_client()
    admin.login("admin@example.org")
    response = admin.post(
        f"/admin/departments/{new.id}",
        {
            "name": new.name,
            "short_name": new.short_name or "",
            "directorate_id": "0",
            "active": "y",
            "predecessors": [str(world["INK"].id)],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert _finding(new, "KTO 2026", servicedesk).previous_score == pytest.approx(3.0)
