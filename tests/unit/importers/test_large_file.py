"""A large synthetic export gives the same numbers as a bare csv.reader loop.

The speed comparison (100,000 x 40, target <= 3x the bare loop) is a benchmark, not a test:
bench/bench_import.py. Tests carry no wall-clock limits.
"""

from __future__ import annotations

import csv
import io

from bench.synthetic import LIKERT_LABELS, generate
from tracker.surveys.importers import parse

RESPONDENTS, QUESTIONS, DEPARTMENTS = 5_000, 40, 12


def _bare_loop(data: bytes) -> dict:
    """What a minimal hand-written importer does: csv.reader plus dict aggregation."""
    labels = {label: i + 1 for i, label in enumerate(LIKERT_LABELS)}
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    keys = next(reader)
    next(reader)
    next(reader)
    dept = keys.index("Q1")
    questions = [
        i for i, k in enumerate(keys) if k.startswith("Q") and i != dept and not k.endswith("_TEXT")
    ]
    sums: dict = {}
    for row in reader:
        name = row[dept]
        for i in questions:
            value = row[i]
            if value:
                number = labels.get(value)
                if number is None:
                    try:
                        number = float(value)
                    except ValueError:
                        continue
                acc = sums.get((name, i))
                if acc is None:
                    acc = sums[(name, i)] = [0, 0.0, 0.0]
                acc[0] += 1
                acc[1] += number
                acc[2] += number * number
    return sums


def test_large_qualtrics_file_matches_a_bare_loop():
    survey = generate(RESPONDENTS, QUESTIONS, DEPARTMENTS, seed=7)
    sums = _bare_loop(survey.data)
    parsed = parse(survey.data, "groot.csv")
    assert parsed.respondents == RESPONDENTS
    assert len(parsed.questions) == QUESTIONS + 1  # plus the open comment question
    # Same numbers as the bare loop (which does not exclude anything but "Weet niet").
    keys = csv.reader(io.StringIO(survey.data.decode("utf-8-sig").split("\r\n", 1)[0])).__next__()
    ict, q2 = parsed.departments["ICT"].results["Q2"], keys.index("Q2")
    count, total, _ = sums[("ICT", q2)]
    assert (ict.n, ict.score) == (count, total / count)


def test_progress_is_reported_while_reading():
    survey = generate(12_000, 5, 3, seed=3)
    calls = []
    parsed = parse(
        survey.data, "groot.csv", progress=lambda done, expected: calls.append((done, expected))
    )
    assert parsed.respondents == 12_000
    # Every 5,000 rows, and once at the end with the real count (3 header rows included).
    assert [done for done, _ in calls] == [5_000, 10_000, 12_003]
    assert all(done <= expected for done, expected in calls)
