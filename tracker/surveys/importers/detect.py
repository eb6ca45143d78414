"""Which tool made this file? Decided from the first rows only."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from .base import FINDINGS, DetectedFile, SurveyFileError
from .findings import find_header
from .headers import (
    _SUBLABEL_RESPONSE,
    _TIMESTAMPS,
    block_labels,
    department_candidates,
    is_import_id_row,
    layout,
    norm_header,
)
from .reading import Table, open_table

UNSURE_BELOW = 0.6

_SM_IDS = {
    "respondent id",
    "respondentid",
    "respondent-id",
    "collector id",
    "collectorid",
    "collector-id",
}
_LIME_SETS = (
    {"response id", "date submitted"},
    {"response id", "last page"},
    {"id", "submitdate"},
    {"id", "lastpage"},
    {"antwoord id", "datum verstuurd"},
    {"antwoord id", "laatste pagina"},
)
_MSFORMS_SETS = (
    {"id", "start time", "completion time"},
    {"id", "begintijd", "tijd van voltooien"},
    {"id", "begintijd", "voltooiingstijd"},
)
_QUALTRICS_NAMES = {
    "responseid",
    "startdate",
    "enddate",
    "recordeddate",
    "responseset",
    "ipaddress",
}


def guess_format(head: list[list[str]]) -> tuple[str, float]:
    """(format, confidence) from the first rows."""
    if find_header(head):
        return FINDINGS, 0.95
    r0 = [norm_header(c) for c in head[0]]
    r1 = [norm_header(c) for c in head[1]] if len(head) > 1 else []
    names = set(r0)
    first = r0[0] if r0 else ""
    if len(head) > 2 and is_import_id_row(head[2]):
        return "qualtrics", 1.0
    if first == "v1" and "responseid" in r1:
        return "qualtrics", 0.95
    if len(names & _QUALTRICS_NAMES) >= 2:
        return "qualtrics", 0.8
    sublabels = sum(1 for c in r1 if c in _SUBLABEL_RESPONSE)
    if names & _SM_IDS:
        return "surveymonkey", 0.95 if sublabels else 0.7
    if sublabels and r1 and not r1[0]:
        return "surveymonkey", 0.7
    if any(s <= names for s in _LIME_SETS):
        return "limesurvey", 0.9
    if any(s <= names for s in _MSFORMS_SETS):
        return "msforms", 0.9
    if first in _TIMESTAMPS:
        data = head[1][0] if len(head) > 1 and head[1] else ""
        return "googleforms", 0.9 if re.match(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", data) else 0.7
    if sum(1 for c in r0 if c) >= 2:
        return "generic", 0.3
    raise SurveyFileError(
        _l(
            "This does not look like a survey export: no header row with several columns was found."
        ),
        row=1,
    )


def describe(table: Table, fmt: str, confidence: float) -> DetectedFile:
    detected = DetectedFile(
        format=fmt,
        container=table.container,
        encoding=table.encoding,
        delimiter=table.delimiter,
        header_rows=1,
        confidence=confidence,
        unsure=confidence < UNSURE_BELOW,
    )
    if fmt == FINDINGS:
        detected.header_rows = find_header(table.head)[0] + 1
        return detected
    header_rows, columns, hints = layout(fmt, table.head)
    detected.header_rows = header_rows
    detected.columns = columns
    detected.department_columns = department_candidates(columns, table.head[header_rows:], hints)
    detected.department_block_labels = block_labels(columns)
    return detected


def detect(data: bytes, filename: str = "") -> DetectedFile:
    table = open_table(data, filename)
    fmt, confidence = guess_format(table.head)
    return describe(table, fmt, confidence)
