"""Survey import benchmark (issue 3).

The shared generator's survey export (bench/generate.py: 100,000 respondents x 40 questions
about the same 50 departments and questions as the generated organisation) is imported
through the real import service as the 11th round of that organisation (a copy of the
full-scale SQLite database: 10 earlier rounds, 20,000 findings, 50,000 actions), and compared
with a bare reference measured in the same run: Python's csv module reading the file, plain
dict aggregation per department x question, and one bulk insert of the results into an empty
database. Target: at most 3x the reference, peak memory under 1 GB.

    .venv/bin/python bench/bench_import.py
"""

from __future__ import annotations

import csv
import io
import json
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Results  # noqa: E402
from bench.generate import app_for, copy_database, data_dir  # noqa: E402

TARGET = 3.0

LABELS = {
    "Helemaal mee oneens": 1,
    "Mee oneens": 2,
    "Neutraal": 3,
    "Mee eens": 4,
    "Helemaal mee eens": 5,
}


def reference(data: bytes, db_path: str) -> float:
    """The least work any importer must do: read, aggregate in dicts, insert the results."""
    started = time.perf_counter()
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    keys = next(reader)
    next(reader), next(reader)
    department_column = keys.index("Q1")
    question_columns = [
        i for i, k in enumerate(keys) if k.startswith("Q") and k[1:].isdigit() and k != "Q1"
    ]
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


def tracker_import(data: bytes, tmp: str) -> tuple[float, int, int]:
    from sqlalchemy import func, select

    from tracker import clock
    from tracker.extensions import db
    from tracker.surveys.models import SurveyRound
    from tracker.surveys.services import ImportRequest, import_survey

    path, world = copy_database("full", Path(tmp) / "tracker.db")
    app = app_for(path)
    with app.app_context():
        rounds = db.session.scalar(select(func.count(SurveyRound.id)))
        started = time.perf_counter()
        summary = import_survey(
            None,
            data,
            "klantonderzoek.csv",
            ImportRequest(
                round_name=f"Intern klantonderzoek {rounds + 1}",
                held_on=clock.today(),
                create_departments=True,
            ),
        )
        db.session.commit()
        elapsed = time.perf_counter() - started
        new_departments = len(summary.departments) - len(
            set(world["department_ids"]) & {d.id for d in summary.departments.values()}
        )
        return elapsed, summary.findings, new_departments


def main() -> int:
    results = Results("bench_import")
    export = data_dir() / "survey-export.csv"
    data = export.read_bytes()
    manifest = json.loads((data_dir() / "manifest.json").read_text())
    print(
        f"Qualtrics CSV from bench/generate.py: {len(data) / 1e6:.1f} MB "
        f"({manifest['export']['respondents']:,} respondents x "
        f"{manifest['export']['questions']} questions)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ref = reference(data, f"{tmp}/reference.db")
        ours, findings, new_departments = tracker_import(data, tmp)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"reference (csv + dicts + bulk insert): {ref:6.2f} s")
    print(
        f"tracker import ({findings} results, round 11 of the generated organisation, "
        f"{new_departments} departments created): {ours:6.2f} s"
    )
    ratio = results.ratio(
        "survey import, 100,000 respondents x 40 questions",
        ours * 1000,
        ref * 1000,
        "csv + dicts + bulk insert",
        target=f"<= {TARGET:g}x",
        ok=ours / ref <= TARGET,
    )
    print(f"ratio: {ratio:.2f}x (target <= {TARGET:g}x)")
    results.check(
        "peak memory of the import process",
        f"{peak_mb:.0f} MB",
        target="< 1024 MB",
        ok=peak_mb < 1024,
    )
    print(f"peak memory of this process: {peak_mb:.0f} MB (target < 1024 MB)")
    if new_departments:
        results.notes.append(f"{new_departments} departments of the file were not matched")
    results.save()
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
