"""The import preview says a typed report grade is scored as a grade and lets the director
change it (issue 15 point 8)."""

import io
import re

from sqlalchemy import select

from tests.factories import make_department, make_user
from tests.unit.importers.test_typed_grades import _grades, _qualtrics_csv, _remarks
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.surveys.models import Finding, Question, QuestionScale, SurveyComment


def _preview(client):
    for name, short in (("ICT", "ICT"), ("HR", "HR"), ("Financiën", "FIN")):
        make_department(name, short)
    director = make_user(Role.director, email="dir@example.org")
    client.login(director.email)
    grades = _grades(11, 60)
    data = _qualtrics_csv(grades, _remarks(12, 60))
    response = client.post(
        "/surveys/import",
        {"file": (io.BytesIO(data), "kto.csv"), "round_name": "KTO 2026", "format": "auto"},
        content_type="multipart/form-data",
    )
    url = response.headers["Location"]
    return url.split("?")[0], client.get(url).get_data(as_text=True), grades


def _choices(page: str) -> dict:
    """The preview's own form: the question keys and the chosen (or detected) scales."""
    fields = {"round": "KTO 2026", "format": "auto", "department_column": "", "department": ""}
    for name, value in re.findall(r'name="(scale_key-[^"]+)" value="([^"]*)"', page):
        fields[name] = value
        fields[name.replace("scale_key-", "scale-")] = ""
    return fields


def _row(page: str, key: str) -> str:
    """The preview's table row of one question."""
    return next(r for r in page.split("<tr>") if 'name="scale_key-q' in r and f'value="{key}"' in r)


def _key_index(page: str, key: str) -> str:
    return re.search(rf'name="scale_key-(q\d+)" value="{key}"', page).group(1)


def test_preview_says_the_typed_grade_is_scored_and_the_import_stores_it(client, ctx):
    token_url, page, grades = _preview(client)
    row = _row(page, "Q2")
    assert "data-typed-grade" in row and "rapportcijfer" in row.lower()
    assert "Herkennen: 1–10 (rapportcijfer)" in row
    assert "grade10" not in re.sub(r'value="[^"]*"', "", row)  # no code on screen
    assert "Herkennen: Open tekst (opmerkingen)" in _row(page, "Q3")
    done = client.post(token_url, {**_choices(page), "confirm": "Importeren"})
    assert done.status_code == 302, done.get_data(as_text=True)
    question = db.session.scalar(select(Question).where(Question.key == "Q2"))
    assert question.scale is QuestionScale.grade10
    ict = db.session.scalar(
        select(Finding).where(
            Finding.question_id == question.id, Finding.department.has(name="ICT")
        )
    )
    values = [int(g) for i, g in enumerate(grades) if g.strip() and i % 3 == 0]
    assert ict.n == len(values) and abs(ict.score - sum(values) / len(values)) < 1e-9


def test_the_director_keeps_it_as_open_text(client, ctx):
    token_url, page, grades = _preview(client)
    choices = _choices(page)
    choices[f"scale-{_key_index(page, 'Q2')}"] = "open"
    again = client.post(token_url, {**choices, "preview": "Voorbeeld bijwerken"})
    row = _row(again.get_data(as_text=True), "Q2")
    assert "data-typed-grade" not in row and 'value="open" selected' in row
    done = client.post(token_url, {**choices, "confirm": "Importeren"})
    assert done.status_code == 302
    question = db.session.scalar(select(Question).where(Question.key == "Q2"))
    assert question.scale is QuestionScale.open
    typed = sum(1 for g in grades if g.strip())
    stored = db.session.scalars(
        select(SurveyComment.text).where(SurveyComment.question_id == question.id)
    ).all()
    assert len(stored) == typed


def test_a_forged_scale_is_refused_and_nothing_is_written(client, ctx):
    token_url, page, _grades_ = _preview(client)
    choices = _choices(page)
    choices[f"scale-{_key_index(page, 'Q2')}"] = "percentage"
    response = client.post(token_url, {**choices, "confirm": "Importeren"})
    assert response.status_code == 200
    assert "Kies voor elke vraag een schaal uit de lijst." in response.get_data(as_text=True)
    assert db.session.scalar(select(Question)) is None
