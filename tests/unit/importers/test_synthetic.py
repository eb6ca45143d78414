"""The synthetic Qualtrics generator (benchmark and demo data)."""

from __future__ import annotations

import csv
import io
import statistics

from bench.synthetic import (
    COMMENT_QUESTION,
    DEPARTMENT_QUESTION,
    THEMES,
    generate,
    main,
)
from tracker.surveys.importers import detect, parse


def test_generator_is_seeded_and_realistic():
    first, again, other = (
        generate(300, 12, 5, seed=3),
        generate(300, 12, 5, seed=3),
        generate(300, 12, 5, seed=4),
    )
    assert first.data == again.data and first.data != other.data
    assert first.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(first.data.decode("utf-8-sig"))))
    assert len(rows) == 3 + 300
    assert rows[1][rows[0].index("Q1")] == DEPARTMENT_QUESTION
    assert rows[1][-1] == COMMENT_QUESTION
    assert rows[2][rows[0].index("Q1")] == '{"ImportId": "QID1"}'
    assert {q.theme for q in first.questions} == set(THEMES)
    assert {r[rows[0].index("Q1")] for r in rows[3:]} == set(first.departments)


def test_generated_file_parses_to_the_same_numbers_as_the_csv_module():
    survey = generate(600, 30, 4, seed=11, labels=False)
    detected = detect(survey.data, "synthetisch.csv")
    assert (detected.format, detected.header_rows, detected.department_columns[0].key) == (
        "qualtrics",
        3,
        "Q1",
    )
    parsed = parse(survey.data, "synthetisch.csv")
    rows = list(csv.reader(io.StringIO(survey.data.decode("utf-8-sig"))))
    dept, keys = rows[0].index("Q1"), rows[0]
    grade = next(q for q in survey.questions if q.kind == "grade10")
    for question in (survey.questions[0], grade):
        col = keys.index(question.key)
        values = [float(r[col]) for r in rows[3:] if r[dept] == "HR" and float(r[col]) >= 0]
        result = parsed.departments["HR"].results[question.key]
        assert parsed.question(question.key).kind == question.kind
        assert result.n == len(values)
        assert abs(result.score - statistics.mean(values)) < 1e-9
        assert abs(result.sd - statistics.stdev(values)) < 1e-9
    comments = parsed.departments["HR"].comments
    assert comments and all(key == survey.comment_key for key, _ in comments)


def test_command_line_writes_a_file(tmp_path):
    target = tmp_path / "demo.csv"
    main([str(target), "--respondents", "50", "--questions", "5", "--departments", "3"])
    assert parse(target.read_bytes(), target.name).respondents == 50
