"""Aggregated findings: one row per department x question, already scored.

Typical source: the report tables of a research agency, or our own template
(see template.py). Dutch and English headers are both accepted.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from .base import (
    GRADE10,
    LIKERT5,
    OPEN,
    SCALE_RANGES,
    SKIP,
    YESNO,
    DepartmentResult,
    ParsedQuestion,
    ParsedSurvey,
    QuestionResult,
    ScaleUnknown,
    SurveyFileError,
)
from .labels import parse_number
from .reading import Table

# Canonical field -> accepted header names (compared after _header_key()).
FIELDS: dict[str, tuple[str, ...]] = {
    "department": (
        "afdeling",
        "afdelingsnaam",
        "stafafdeling",
        "dienst",
        "organisatieonderdeel",
        "onderdeel",
        "department",
        "department name",
        "dept",
        "unit",
        "service",
    ),
    "question": (
        "vraag",
        "vraagtekst",
        "stelling",
        "item",
        "question",
        "question text",
        "statement",
    ),
    "key": ("vraagcode", "code", "vraag id", "vraagnummer", "question id", "question code", "key"),
    "theme": (
        "thema",
        "categorie",
        "domein",
        "rubriek",
        "onderwerp",
        "theme",
        "category",
        "domain",
        "topic",
    ),
    "score": (
        "score",
        "gemiddelde",
        "gemiddelde score",
        "gem",
        "cijfer",
        "mean",
        "average",
        "mean score",
    ),
    "n": (
        "n",
        "aantal",
        "aantal respondenten",
        "respondenten",
        "aantal antwoorden",
        "count",
        "responses",
        "respondents",
        "number of respondents",
    ),
    "benchmark": (
        "benchmark",
        "landelijke benchmark",
        "norm",
        "benchmark score",
        "national benchmark",
    ),
    "previous": (
        "vorige",
        "vorige meting",
        "vorige score",
        "vorig jaar",
        "vorige ronde",
        "previous",
        "previous score",
        "last year",
        "previous round",
    ),
    "sd": (
        "sd",
        "standaarddeviatie",
        "standaard deviatie",
        "std",
        "stdev",
        "std dev",
        "standard deviation",
    ),
    "scale": ("schaal", "antwoordschaal", "scale", "answer scale"),
    "comment": (
        "opmerking",
        "opmerkingen",
        "toelichting",
        "commentaar",
        "verbatim",
        "comment",
        "comments",
        "remark",
    ),
}
REQUIRED = {
    "department": "afdeling/department",
    "question": "vraag/question",
    "score": "score",
    "n": "n/aantal",
}
_BY_NAME = {name: field for field, names in FIELDS.items() for name in names}

_SCALES = {
    "1-5": LIKERT5,
    "1 5": LIKERT5,
    "5": LIKERT5,
    "likert": LIKERT5,
    "likert5": LIKERT5,
    "5 punts": LIKERT5,
    "5-punts": LIKERT5,
    "5 point": LIKERT5,
    "5-point": LIKERT5,
    "1-10": GRADE10,
    "1 10": GRADE10,
    "10": GRADE10,
    "cijfer": GRADE10,
    "rapportcijfer": GRADE10,
    "grade": GRADE10,
    "grade10": GRADE10,
    "ja/nee": YESNO,
    "ja nee": YESNO,
    "yes/no": YESNO,
    "yes no": YESNO,
    "yesno": YESNO,
    "%": YESNO,
    "percentage": YESNO,
    "0-1": YESNO,
}


def _header_key(text: str) -> str:
    text = re.sub(r"\(.*?\)", " ", text.replace("\ufeff", "").lower())
    text = re.sub(r"[_\-.:]", " ", text)
    return " ".join(text.split())


def find_header(head: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    """(row index, field -> column index) of the findings header, if any."""
    for index, row in enumerate(head[:10]):
        fields: dict[str, int] = {}
        for col, cell in enumerate(row):
            field = _BY_NAME.get(_header_key(cell))
            if field and field not in fields:
                fields[field] = col
        if {"department", "question", "score"} <= fields.keys():
            return index, fields
    return None


def _scale_kind(text: str) -> str | None:
    key = " ".join(text.lower().replace("–", "-").split())
    return _SCALES.get(key) or _SCALES.get(key.replace(" ", ""))


def parse_findings(
    table: Table,
    *,
    scale_overrides: dict | None = None,
    anonymity_threshold: int = 5,
) -> ParsedSurvey:
    found = find_header(table.head)
    if found is None:
        raise SurveyFileError(
            _l(
                "The columns %(columns)s are required for aggregated findings but were not found.",
                columns="afdeling/department, vraag/question, score, n/aantal",
            )
        )
    header_index, fields = found
    header = table.head[header_index]
    _check_header(header, fields, header_index + table.skipped + 1)
    names = {field: header[col].strip() for field, col in fields.items()}
    overrides = dict(scale_overrides or {})

    questions: dict[str, ParsedQuestion] = {}
    raw: list[tuple[int, str, str, dict]] = []  # (row number, department, key, values)
    comments: list[tuple[str, str | None, str]] = []  # (department, question key, text)
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(table.rows()):
        if number <= header_index or not any(c.strip() for c in row):
            continue
        rownum = number + table.skipped + 1
        cells = {f: row[col].strip() if col < len(row) else "" for f, col in fields.items()}
        dept = " ".join(cells["department"].split())
        text = " ".join(cells["question"].split())
        comment = cells.get("comment", "")
        if not text:
            if dept and comment:
                comments.append((dept, None, comment))  # a general remark about the department
            elif any(cells.get(f) for f in _NUMERIC):
                raise SurveyFileError(
                    _l("Row %(row)d: the question is missing.", row=rownum),
                    row=rownum,
                    column=names["question"],
                )
            continue
        if not dept:
            raise SurveyFileError(
                _l("Row %(row)d: the department is missing.", row=rownum),
                row=rownum,
                column=names["department"],
            )
        key = " ".join(cells.get("key", "").split()) or text
        if (dept, key) in seen:
            raise SurveyFileError(
                _l(
                    'Row %(row)d: department "%(department)s" and question "%(question)s" already appeared '
                    "in row %(first)d.",
                    row=rownum,
                    department=dept,
                    question=text,
                    first=seen[(dept, key)],
                ),
                row=rownum,
            )
        seen[(dept, key)] = rownum
        kind = _row_scale(cells, rownum, names)
        question = questions.setdefault(
            key, ParsedQuestion(key, text, "", theme=cells.get("theme") or None)
        )
        question.kind = question.kind or kind or ""
        raw.append((rownum, dept, key, _row_numbers(cells, rownum, names)))
        if comment:
            comments.append((dept, key, comment))

    _decide_kinds(questions, raw, overrides)
    return _build(table, questions, raw, comments, names, anonymity_threshold)


_NUMERIC = ("score", "n", "benchmark", "previous", "sd")


def _row_numbers(cells: dict[str, str], rownum: int, names: dict[str, str]) -> dict:
    values = {f: _number(cells.get(f, ""), rownum, names.get(f, f)) for f in _NUMERIC}
    if values["score"] is not None and values["n"] is None:
        raise SurveyFileError(
            _l("Row %(row)d: the number of respondents (n) is missing.", row=rownum),
            row=rownum,
            column=names["n"],
        )
    n = values["n"]
    if n is not None and (n[0] < 0 or not float(n[0]).is_integer() or n[1]):
        raise SurveyFileError(
            _l(
                'Row %(row)d, column "%(column)s": expected a whole number, found "%(value)s".',
                row=rownum,
                column=names["n"],
                value=cells["n"],
            ),
            row=rownum,
            column=names["n"],
        )
    return values


def _row_scale(cells: dict[str, str], rownum: int, names: dict[str, str]) -> str | None:
    text = cells.get("scale", "")
    if not text:
        return None
    kind = _scale_kind(text)
    if kind is None:
        raise SurveyFileError(
            _l(
                'Row %(row)d, column "%(column)s": unknown scale "%(value)s" (use 1-5, 1-10 or ja/nee).',
                row=rownum,
                column=names["scale"],
                value=text,
            ),
            row=rownum,
            column=names["scale"],
        )
    return kind


def _check_header(header: list[str], fields: dict[str, int], rownum: int) -> None:
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise SurveyFileError(
            _l(
                "Required column missing: %(columns)s.",
                columns=", ".join(REQUIRED[f] for f in missing),
            ),
            row=rownum,
        )
    for col, cell in enumerate(header):
        field = _BY_NAME.get(_header_key(cell))
        if field and fields[field] != col:
            raise SurveyFileError(
                _l(
                    'The column "%(column)s" appears more than once, so its values are ambiguous.',
                    column=cell.strip(),
                ),
                row=rownum,
                column=cell.strip(),
            )


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _number(text: str, rownum: int, column: str) -> tuple[float, bool] | None:
    """(value, was a percentage) or None for an empty cell."""
    if not text:
        return None
    percent = text.endswith("%")
    value = parse_number(text.rstrip("%"))
    if value is None:
        if _DATE.match(text):
            message = _l(
                'Row %(row)d, column "%(column)s": expected a number, found the date "%(value)s". '
                "Excel may have turned the number into a date; format the column as a number.",
                row=rownum,
                column=column,
                value=text,
            )
        else:
            message = _l(
                'Row %(row)d, column "%(column)s": expected a number, found "%(value)s".',
                row=rownum,
                column=column,
                value=text,
            )
        raise SurveyFileError(message, row=rownum, column=column)
    return (value / 100 if percent else value), percent


def _decide_kinds(questions: dict[str, ParsedQuestion], raw: list, overrides: dict) -> None:
    highest: dict[str, float] = {}
    percent: set[str] = set()
    for _, _, key, values in raw:
        for field in ("score", "benchmark", "previous"):
            if values[field] is not None:
                highest[key] = max(highest.get(key, 0.0), values[field][0])
                if values[field][1]:
                    percent.add(key)
    unknown: dict[str, tuple[float, float] | None] = {}
    for key, question in questions.items():
        override = overrides.get(key, overrides.get(question.text))
        if override in (SKIP, OPEN):
            question.kind = override
            continue
        if override:
            question.kind = override
        if question.kind:
            continue
        top = highest.get(key)
        if key in percent or (top is not None and top <= 1):
            question.kind = YESNO
        elif top is None or top <= 5:
            question.kind = LIKERT5
        elif top <= 10:
            question.kind = GRADE10
        else:
            unknown[key] = (0.0, top)
    if unknown:
        raise ScaleUnknown(
            _l(
                "The answer scale of these questions could not be recognised: %(keys)s. "
                "Add a scale column (1-5, 1-10 or ja/nee) or choose a scale for each of them.",
                keys=", ".join(unknown),
            ),
            keys=list(unknown),
            observed=unknown,
        )


def _build(table, questions, raw, comments, names, threshold) -> ParsedSurvey:
    departments: dict[str, DepartmentResult] = {}
    for _, dept, _, values in raw:
        size = int(values["n"][0]) if values["n"] else 0
        result = departments.setdefault(dept, DepartmentResult(dept, 0))
        result.respondents = max(result.respondents, size)
    for dept, _, _ in comments:
        departments.setdefault(dept, DepartmentResult(dept, 0))
    for result in departments.values():
        result.suppressed = result.respondents < threshold

    for rownum, dept, key, values in raw:
        question = questions[key]
        if question.kind in (SKIP, OPEN):
            continue
        converted = _on_scale(question, values, rownum, names)
        n = int(values["n"][0]) if values["n"] else 0
        department = departments[dept]
        hide = department.suppressed or n < threshold
        department.results[key] = QuestionResult(
            score=None if hide else converted["score"],
            n=n,
            sd=None if hide else converted["sd"],
            benchmark=converted["benchmark"],
            previous=converted["previous"],  # published last round, so not identifying now
            suppressed=hide or converted["score"] is None,
        )
    for dept, key, text in comments:
        department = departments[dept]
        if department.suppressed:
            department.withheld_comments += 1
        else:
            department.comments.append((key, text))

    kept = [q for q in questions.values() if q.kind not in (SKIP,)]
    return ParsedSurvey(
        format="findings",
        encoding=table.encoding,
        respondents=sum(d.respondents for d in departments.values()),
        questions=kept,
        departments=departments,
        department_source="file",
    )


def _on_scale(question: ParsedQuestion, values: dict, rownum: int, names: dict[str, str]) -> dict:
    """Score, benchmark, previous and sd of one row, checked against the question's scale."""
    low, high = SCALE_RANGES[question.kind]
    score = values["score"]
    converted = {}
    for field in ("score", "benchmark", "previous", "sd"):
        if values[field] is None:
            converted[field] = None
            continue
        value, was_percent = values[field]
        # Yes/no results may come as percentages (85 or 85%): store the share.
        if (
            question.kind == YESNO
            and not was_percent
            and (value > 1 or (field == "sd" and score is not None and score[0] > 1))
        ):
            value /= 100
        column = names.get(field, field)
        if field == "sd" and value < 0:
            raise SurveyFileError(
                _l(
                    'Row %(row)d, column "%(column)s": a standard deviation cannot be negative.',
                    row=rownum,
                    column=column,
                ),
                row=rownum,
                column=column,
            )
        if field != "sd" and not (low - 1e-9 <= value <= high + 1e-9):
            raise SurveyFileError(
                _l(
                    'Row %(row)d, column "%(column)s": %(value)s is outside the scale %(low)s-%(high)s '
                    'of question "%(question)s".',
                    row=rownum,
                    column=column,
                    value=_fmt(value),
                    low=_fmt(low),
                    high=_fmt(high),
                    question=question.text,
                ),
                row=rownum,
                column=column,
            )
        converted[field] = value
    return converted


def _fmt(value: float) -> str:
    return f"{value:g}"
