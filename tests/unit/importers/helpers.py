"""Paths and small builders shared by the importer tests."""

from __future__ import annotations

import csv
import io
import statistics
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
REAL = DATA / "real"  # byte-for-byte copies of shared/fixtures/real (see SOURCES.md there)

QUALTRICS_SAMPLE = REAL / "qualtrics" / "sample.csv"
QUALTRICS_LEGACY = REAL / "qualtrics" / "No_Basis_for_Evaluation (Legacy).csv"
QUALTRICS_INSIGHTS = REAL / "qualtrics" / "No_Basis_for_Evaluation (Insights).csv"
SURVEYMONKEY_STEAK = REAL / "surveymonkey" / "steak-risk-survey.csv"
GOOGLE_FORMS = (
    REAL
    / "google-forms"
    / "Autistica_Turing Citizen Science Platform (Responses) - Form Responses 1(3).csv"
)
LIMESURVEY = REAL / "limesurvey" / "survey_998192_R_data_file.csv"
ALL_REAL = [
    QUALTRICS_SAMPLE,
    QUALTRICS_LEGACY,
    QUALTRICS_INSIGHTS,
    SURVEYMONKEY_STEAK,
    GOOGLE_FORMS,
    LIMESURVEY,
]


def read_rows(path: Path, encoding: str = "utf-8-sig", delimiter: str = ",") -> list[list[str]]:
    """The file through the plain csv module, as an independent reference."""
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def column(rows: list[list[str]], header: str, header_row: int = 0) -> int:
    return rows[header_row].index(header)


def mean_sd(values: list[float]) -> tuple[float, float | None]:
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else None)


def xlsx_bytes(rows: list[list], sheet_title: str = "Sheet1") -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
