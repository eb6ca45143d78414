"""A report grade asked as a text field is scored as a 1-10 grade (issue 15 point 8)."""

from __future__ import annotations

import csv
import io
import json
import random

from tracker.surveys.importers import ScaleUnknown, detect, parse

from .helpers import ALL_REAL, xlsx_bytes

DEPARTMENTS = ["ICT", "HR", "Financiën"]
WORDS = [
    "Sneller terugbellen graag",
    "Prima geholpen door de servicedesk",
    "Het portaal is onduidelijk",
    "Meer uitleg bij afwijzingen",
    "Geen idee wie ik moet bellen",
]


def _grades(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    # Some leave it blank; the rest type a whole number, some with spaces around it.
    return [rng.choice(["", f"{rng.randint(4, 10)}", f" {rng.randint(1, 10)} "]) for _ in range(n)]


def _qualtrics_csv(grades: list[str], remarks: list[str]) -> bytes:
    """Qualtrics' three header rows; Q2 and Q3 are text entry (QIDn_TEXT)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ResponseId", "Q1", "Q2", "Q3"])
    writer.writerow(
        [
            "Response ID",
            "Voor welke afdeling vult u dit in?",
            "Welk rapportcijfer geeft u de afdeling?",
            "Wat kan beter?",
        ]
    )
    writer.writerow(
        [json.dumps({"ImportId": i}) for i in ("_recordId", "QID1", "QID2_TEXT", "QID3_TEXT")]
    )
    for i, (grade, remark) in enumerate(zip(grades, remarks)):
        writer.writerow([f"R_{i}", DEPARTMENTS[i % 3], grade, remark])
    return out.getvalue().encode()


def _remarks(seed: int, n: int) -> list[str]:
    # Mostly words, and a few respondents who typed a number anyway.
    rng = random.Random(seed)
    return ["8" if i % 10 == 0 else rng.choice(WORDS) for i in range(n)]


def test_qualtrics_text_entry_grade_is_scored_and_words_stay_open_text():
    grades, remarks = _grades(1, 60), _remarks(2, 60)
    survey = parse(_qualtrics_csv(grades, remarks), "kto.csv")
    assert survey.question("Q2").kind == "grade10"
    assert survey.question("Q2").typed_grade
    assert survey.question("Q3").kind == "open"
    values = [int(g) for i, g in enumerate(grades) if g.strip() and i % 3 == 0]
    ict = survey.departments["ICT"].results["Q2"]
    assert ict.n == len(values)
    assert abs(ict.score - sum(values) / len(values)) < 1e-9
    assert any(text == "Prima geholpen door de servicedesk" for _, text in survey.overall.comments)


def test_a_stray_answer_is_reported_not_a_reason_to_give_up_the_grade():
    grades = [str(i % 10 + 1) for i in range(40)] + ["7/8"]
    survey = parse(_qualtrics_csv(grades, ["Prima"] * len(grades)), "kto.csv")
    question = survey.question("Q2")
    assert question.kind == "grade10" and question.invalid_count == 1


def test_numbers_outside_one_to_ten_or_fractions_stay_open_text():
    grades = ["12", "40", "8", "9", "75"] * 4
    survey = parse(_qualtrics_csv(grades, ["Prima"] * len(grades)), "kto.csv")
    assert survey.question("Q2").kind == "open"


def test_the_director_can_keep_a_typed_grade_as_open_text():
    grades = _grades(3, 30)
    survey = parse(
        _qualtrics_csv(grades, _remarks(4, 30)), "kto.csv", scale_overrides={"Q2": "open"}
    )
    assert survey.question("Q2").kind == "open"


def _surveymonkey_xlsx(grades: list[str], remarks: list[str]) -> bytes:
    rows: list[list] = [
        ["Respondent ID", "Afdeling", "Rapportcijfer voor de afdeling", "Wat kan beter?"],
        ["", "Response", "Open-Ended Response", "Open-Ended Response"],
    ]
    for i, (grade, remark) in enumerate(zip(grades, remarks)):
        # Excel keeps a typed number as a number cell.
        cell = int(grade) if grade.strip() and i % 2 else grade
        rows.append([1000 + i, DEPARTMENTS[i % 3], cell, remark])
    return xlsx_bytes(rows)


def test_surveymonkey_open_answer_with_grades_in_xlsx():
    grades, remarks = _grades(5, 45), _remarks(6, 45)
    data = _surveymonkey_xlsx(grades, remarks)
    assert detect(data, "kto.xlsx").format == "surveymonkey"
    survey = parse(data, "kto.xlsx")
    grade = survey.question("Rapportcijfer voor de afdeling")
    assert (grade.kind, grade.typed_grade) == ("grade10", True)
    assert survey.question("Wat kan beter?").kind == "open"
    values = [int(g) for g in grades if g.strip()]
    overall = survey.overall.results[grade.key]
    assert overall.n == len(values)
    assert abs(overall.score - sum(values) / len(values)) < 1e-9


def test_real_exports_choose_the_same_kinds_as_before():
    # None of the real exports has a text field answered with grades only.
    for path in ALL_REAL:
        try:
            survey = parse(path.read_bytes(), path.name)
        except ScaleUnknown:  # the user chooses a scale for these; unchanged
            continue
        assert not any(q.typed_grade for q in survey.questions), path.name
