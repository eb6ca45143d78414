"""Survey importers: pure parsing of survey exports (bytes in, dataclasses out).

    detected = detect(data, filename)
    survey = parse(data, filename, department_column=detected.department_columns[0].key)

No database, no Flask app: messages are lazy translatable strings that fall
back to English outside a request.
"""

from .api import detect, parse
from .base import (
    FORMATS,
    KINDS,
    ColumnInfo,
    DepartmentResult,
    DetectedFile,
    ParsedQuestion,
    ParsedSurvey,
    QuestionResult,
    ScaleUnknown,
    SkippedColumn,
    SurveyFileError,
)
from .template import findings_template, template_filename

__all__ = [
    "FORMATS",
    "KINDS",
    "ColumnInfo",
    "DepartmentResult",
    "DetectedFile",
    "ParsedQuestion",
    "ParsedSurvey",
    "QuestionResult",
    "ScaleUnknown",
    "SkippedColumn",
    "SurveyFileError",
    "detect",
    "findings_template",
    "parse",
    "template_filename",
]
