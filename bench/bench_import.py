"""Survey import benchmark (issue 3).

A Qualtrics export of 100,000 respondents x 40 questions is imported through the real import
service into a fresh SQLite database, and compared with a bare reference measured in the same
run: Python's csv module reading the file, plain dict aggregation per department x question,
and one bulk insert of the results. Target: at most 3x the reference, peak memory under 1 GB.

    .venv/bin/python bench/bench_import.py [--respondents N] [--questions Q]
"""
from __future__ import annotations

import argparse
import csv
import io
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.surveys.importers.synthetic import generate  # noqa: E402

LABELS = {"Helemaal mee oneens": 1, "Mee oneens": 2, "Neutraal": 3, "Mee eens": 4,
          "Helemaal mee eens": 5}


def reference(data: bytes, db_path: str) -> float:
    """The least work any importer must do: read, aggregate in dicts, insert the results."""
    started = time.perf_counter()
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    keys = next(reader)
    next(reader), next(reader)
    department_column = keys.index("Q1")
    question_columns = [i for i, k in enumerate(keys) if k.startswith("Q") and k[1:].isdigit() and k != "Q1"]
    sums: dict[tuple[str, int], list[float]] = {}
    for row in reader:
        department = row[department_column]
        for column in question_columns:
            value = row[column]
            number = LABELS.get(value)
            if number is None:
                try:
                    number = float(value)
                except ValueError:
                    continue
            entry = sums.get((department, column))
            if entry is None:
                sums[(department, column)] = [number, 1]
            else:
                entry[0] += number
                entry[1] += 1
    connection = sqlite3.connect(db_path)
    connection.execute("create table result (department text, question int, score real, n int)")
    connection.executemany(
        "insert into result values (?, ?, ?, ?)",
        [(d, q, total / n, n) for (d, q), (total, n) in sums.items()],
    )
    connection.commit()
    connection.close()
    return time.perf_counter() - started


def tracker_import(data: bytes, db_path: str) -> tuple[float, int]:
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.extensions import db
    from tracker.surveys.services import ImportRequest, import_survey

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        summary = import_survey(None, data, "bench.csv", ImportRequest(
            round_name="Benchmark", create_departments=True))
        db.session.commit()
        elapsed = time.perf_counter() - started
        return elapsed, summary.findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args()
    data = generate(respondents=args.respondents, questions=args.questions, departments=12,
                    seed=1).data
    print(f"Qualtrics CSV: {args.respondents:,} respondents x {args.questions} questions, "
          f"{len(data) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        ref = reference(data, f"{tmp}/reference.db")
        ours, findings = tracker_import(data, f"{tmp}/tracker.db")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"reference (csv + dicts + bulk insert): {ref:6.2f} s")
    print(f"tracker import ({findings} results):    {ours:6.2f} s")
    print(f"ratio: {ours / ref:.2f}x (target <= 3x)")
    print(f"peak memory of this process: {peak_mb:.0f} MB (target < 1024 MB)")


if __name__ == "__main__":
    main()
