"""The importers' entry points: detect() and parse()."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .base import FINDINGS, FORMATS, ParsedSurvey
from .detect import detect, guess_format
from .findings import parse_findings
from .reading import open_table
from .responses import parse_responses

__all__ = ["detect", "parse"]

PROGRESS_EVERY = 5000


def _reporting(
    rows: Iterator[list[str]], already: int, expected: int, progress: Callable[[int, int], None]
) -> Iterator[list[str]]:
    """The rows unchanged, telling `progress` how far along the file is (`already`: the
    rows read ahead for detection)."""
    count = already
    for count, row in enumerate(rows, start=already + 1):
        if count % PROGRESS_EVERY == 0:
            progress(count, max(expected, count))
        yield row
    progress(count, count)


def parse(
    data: bytes,
    filename: str = "",
    *,
    format: str = "auto",
    department_column: str | None = None,
    department: str | None = None,
    department_blocks: dict[str, str] | None = None,
    label_map: dict | None = None,
    scale_overrides: dict | None = None,
    anonymity_threshold: int = 5,
    progress: Callable[[int, int], None] | None = None,
) -> ParsedSurvey:
    """Parse an uploaded survey file.

    Department source for raw responses (give at most one): `department_column`
    (key or header text of the department question), `department` (the whole
    file is about one department), or `department_blocks` ({label in the
    column headers: department name}). With none of them the department
    question is detected; when there is none, only `overall` is filled.

    `label_map` ({answer label: number or None to exclude}) and
    `scale_overrides` ({question key: 'likert5' | 'grade10' | 'yesno' | 'open'
    | 'skip'}) come from the caller, typically after a ScaleUnknown.

    `progress(rows_read, rows_expected)` is called every few thousand rows (the expected
    number is an estimate from the line count, for a progress bar).

    Raises SurveyFileError (ScaleUnknown is one) for problems in the file, and
    ValueError for invalid arguments.
    """
    if format != "auto" and format not in FORMATS:
        raise ValueError(f"format must be 'auto' or one of {FORMATS}, not {format!r}")
    if sum(x is not None for x in (department_column, department, department_blocks)) > 1:
        raise ValueError("give at most one of department_column, department and department_blocks")
    if anonymity_threshold < 1:
        raise ValueError("anonymity_threshold must be at least 1")
    table = open_table(data, filename)
    if progress is not None:
        table._rest = _reporting(table._rest, len(table.head), max(1, data.count(b"\n")), progress)
    fmt = guess_format(table.head)[0] if format == "auto" else format
    if fmt == FINDINGS:
        return parse_findings(
            table, scale_overrides=scale_overrides, anonymity_threshold=anonymity_threshold
        )
    return parse_responses(
        table,
        fmt,
        department_column=department_column,
        department=department,
        department_blocks=department_blocks,
        label_map=label_map,
        scale_overrides=scale_overrides,
        anonymity_threshold=anonymity_threshold,
    )
