"""From imported survey files to an action's verdict: the covariances kept at import (on both
databases), paired intervals for raw answers, independent ones for a findings file."""

from __future__ import annotations

import csv
import io
import random
from datetime import date

import pytest
from sqlalchemy import select

from tests.factories import make_action, make_user
from tests.functional.test_effects import _done_on
from tracker.actions.effects import Verdict, action_effects
from tracker.actions.estimator import Method
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.organisation.models import Department
from tracker.surveys.models import Finding, Question
from tracker.surveys.services import ImportRequest, import_survey

QUESTIONS = [
    "Ik word teruggebeld zoals beloofd",
    "De servicedesk is bereikbaar",
    "Mijn vraag wordt begrepen",
    "De oplossing werkt",
    "Ik word op de hoogte gehouden",
    "De medewerkers zijn vriendelijk",
]


def _answers(seed: int, respondents: int, lift: float, effect: float) -> list[list[str]]:
    """Likert answers 1-5 with a personal mood; `lift` for all questions, `effect` for the
    first; every tenth answer left blank."""
    rng = random.Random(seed)
    rows = []
    for person in range(respondents):
        mood = rng.gauss(0, 0.8)
        row = []
        for q in range(len(QUESTIONS)):
            latent = 3.0 + lift + (effect if q == 0 else 0) + mood + rng.gauss(0, 0.5)
            row.append("" if (person + q) % 10 == 0 else str(min(5, max(1, round(latent)))))
        rows.append(row)
    return rows


def _raw_file(ict_rows, hr_rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Afdeling", *QUESTIONS])
    for name, rows in (("ICT", ict_rows), ("HR", hr_rows)):
        for row in rows:
            writer.writerow([name, *row])
    return out.getvalue().encode()


def _import(data: bytes, round_name: str, held_on: date, name: str = "kto.csv"):
    summary = import_survey(
        None,
        data,
        name,
        ImportRequest(
            round_name=round_name,
            held_on=held_on,
            fieldwork_started_on=held_on.replace(month=2),
            department_column="Afdeling",
            create_departments=True,
        ),
    )
    db.session.commit()
    return summary


def _covariance(rows, i: int, j: int) -> tuple[int, float]:
    both = [(int(r[i]), int(r[j])) for r in rows if r[i] and r[j]]
    mean_i = sum(a for a, _ in both) / len(both)
    mean_j = sum(b for _, b in both) / len(both)
    return len(both), sum((a - mean_i) * (b - mean_j) for a, b in both) / (len(both) - 1)


@pytest.fixture
def imported(ctx):
    ict_2025 = _answers(1, 40, lift=0.0, effect=0.0)
    ict_2026 = _answers(2, 40, lift=0.3, effect=1.0)
    _import(_raw_file(ict_2025, _answers(3, 3, 0, 0)), "KTO 2025", date(2025, 3, 1))
    _import(_raw_file(ict_2026, _answers(4, 3, 0, 0)), "KTO 2026", date(2026, 3, 1))
    return {"2025": ict_2025, "2026": ict_2026}


def test_the_import_keeps_the_covariances_of_each_large_enough_department(imported):
    ict = db.session.scalar(select(Department).where(Department.name == "ICT"))
    findings = db.session.scalars(
        select(Finding).join(Question).order_by(Finding.round_id, Question.id)
    ).all()
    # HR had 3 respondents: under the anonymity threshold nothing is kept.
    assert {f.department_id for f in findings if f.covariances} == {ict.id}
    first_round = [
        f for f in findings if f.round_id == findings[0].round_id and f.department_id == ict.id
    ]
    positions = {f.question_id: QUESTIONS.index(f.question.text) for f in first_round}
    pairs = [(f.question_id, *pair) for f in first_round for pair in f.covariances or []]
    # Every pair once, on the finding of the question with the lower id.
    assert len(pairs) == len(QUESTIONS) * (len(QUESTIONS) - 1) // 2
    assert all(i < j for i, j, _, _ in pairs)
    for i, j, n, cov in pairs:
        expected_n, expected = _covariance(imported["2025"], positions[i], positions[j])
        assert (n, cov) == (expected_n, round(expected, 4))


def _done_ict_action(question: str, **values):
    """An action of ICT on its first-round finding of `question`, done on 1 October 2025."""
    ict = db.session.scalar(select(Department).where(Department.name == "ICT"))
    director = make_user(Role.director, email="dir@example.org", directs=[ict])
    before = db.session.scalar(
        select(Finding)
        .join(Question)
        .where(Finding.department_id == ict.id, Question.text == question)
        .order_by(Finding.round_id)
    )
    action = make_action(ict, director, by=director, findings=[before], **values)
    _done_on(action, director, date(2025, 10, 1))
    return action


def test_a_raw_import_gives_a_paired_verdict_beyond_the_general_rise(imported):
    action = _done_ict_action(QUESTIONS[0], title="Terugbelgarantie")
    (effect,) = action_effects([action], threshold=5)[action.id]
    assert effect.after_round == "KTO 2026"
    assert effect.estimate.method is Method.paired
    assert effect.estimate.comparison_count == len(QUESTIONS) - 1
    assert effect.estimate.comparison_change > 0.1  # everything rose
    assert effect.verdict is Verdict.improved


def test_a_findings_file_falls_back_to_independent_means(ctx):
    header = "afdeling;vraag;score;n;sd;schaal\n"
    rows = {
        "KTO 2025": [("Terugbellen", 6.0, 1.2), ("Bereikbaar", 6.0, 1.0), ("Begrip", 6.5, 1.1)],
        "KTO 2026": [("Terugbellen", 7.2, 1.0), ("Bereikbaar", 6.2, 1.0), ("Begrip", 6.6, 1.1)],
    }
    for year, (round_name, results) in zip((2025, 2026), rows.items()):
        text = header + "".join(
            f"ICT;{question};{score};60;{sd};1-10\n".replace(".", ",")
            for question, score, sd in results
        )
        _import(text.encode(), round_name, date(year, 3, 1), name=f"bevindingen-{year}.csv")
    assert all(f.covariances is None for f in db.session.scalars(select(Finding)))
    action = _done_ict_action("Terugbellen")
    (effect,) = action_effects([action], threshold=5)[action.id]
    assert effect.estimate.method is Method.independent
    assert effect.estimate.difference == pytest.approx(1.2 - 0.15)
    assert effect.verdict is Verdict.improved


def test_pairs_under_a_raised_threshold_are_not_used(imported):
    # 40 respondents, a tenth of the answers blank: each pair has 32 to 36 answers to both.
    action = _done_ict_action(QUESTIONS[0])
    (effect,) = action_effects([action], threshold=35)[action.id]
    assert effect.estimate.method is Method.independent
