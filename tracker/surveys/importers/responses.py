"""Raw responses (one row per respondent): one engine for every tool.

The per-tool differences are only in the header rows (see headers.layout).
Rows are streamed once; the hot loop does nothing but count distinct raw
answer strings per department and question. Everything slow (label lookup,
number parsing, scale inference) happens afterwards, once per distinct answer.
"""

from __future__ import annotations

import itertools
from operator import itemgetter

from flask_babel import lazy_gettext as _l

from . import answers
from .aggregate import Group, QuestionSpec, aggregate, merge_tallies
from .base import ColumnInfo, ParsedSurvey, SkippedColumn, SurveyFileError
from .headers import department_candidates, duplicate_error, layout, match_block, norm_header
from .labels import is_excluded_label, normalise
from .reading import Table


def parse_responses(
    table: Table,
    fmt: str,
    *,
    department_column: str | None = None,
    department: str | None = None,
    department_blocks: dict[str, str] | None = None,
    label_map: dict | None = None,
    scale_overrides: dict | None = None,
    anonymity_threshold: int = 5,
) -> ParsedSurvey:
    header_rows, columns, hints = layout(fmt, table.head)
    width = max((c.index for c in columns), default=-1) + 1
    rows = itertools.islice(table.rows(), header_rows, None)
    skipped = [SkippedColumn(c.key, c.text, "metadata") for c in columns if c.metadata]
    candidates = [c for c in columns if not c.metadata]
    common = dict(
        fmt=fmt,
        encoding=table.encoding,
        label_map=label_map,
        scale_overrides=scale_overrides,
        anonymity_threshold=anonymity_threshold,
    )

    if department_blocks:
        return _by_blocks(
            rows, width, candidates, hints, department_blocks, skipped, header_rows, common
        )

    dept_col: ColumnInfo | None = None
    if department is not None:
        source = "fixed"
        if not department.strip():
            raise ValueError("department must not be empty")
    elif department_column is not None:
        source = "column"
        dept_col = _find_column(columns, department_column)
    else:
        found = department_candidates(columns, table.head[header_rows:], hints)
        dept_col = found[0] if found else None
        source = "column" if dept_col else "none"
    if dept_col is not None:
        candidates = [c for c in candidates if c.index != dept_col.index]
        skipped = [c for c in skipped if c.key != dept_col.key]
        skipped.append(SkippedColumn(dept_col.key, dept_col.text, "department"))
        width = max(width, dept_col.index + 1)

    specs = [QuestionSpec(c.key, c.text, hints.get(c.index)) for c in candidates]
    raw_groups, total = _tally_rows(
        rows, width, dept_col.index if dept_col else None, [c.index for c in candidates]
    )
    if source == "fixed":
        merged = {department.strip(): merge_tallies(list(raw_groups.values()), len(specs))}
    else:
        merged = _merge_department_names(raw_groups, len(specs))
    unassigned = merged.pop("", None) if source == "column" else None
    overall_parts = list(merged.values()) + ([unassigned] if unassigned else [])
    overall = merge_tallies(overall_parts, len(specs))
    return aggregate(
        specs=specs,
        groups=merged if source != "none" else {},
        overall=overall,
        total_respondents=total,
        source=source,
        department_column=dept_col.key if dept_col else None,
        unassigned=unassigned.respondents if unassigned else 0,
        skipped=skipped,
        **common,
    )


def _merge_department_names(raw_groups: dict[str, Group], size: int) -> dict[str, Group]:
    """One group per department, however the answer was typed.

    Answers differing only in case or spacing are one department, named by
    the most frequent spelling; "weet niet" and the like count as no answer ("").
    """
    spellings: dict[str, dict[str, int]] = {}
    parts: dict[str, list[Group]] = {}
    for raw_name, group in raw_groups.items():
        name = " ".join(raw_name.split())
        folded = "" if is_excluded_label(name) else name.casefold()
        spellings.setdefault(folded, {})[name] = (
            spellings.get(folded, {}).get(name, 0) + group.respondents
        )
        parts.setdefault(folded, []).append(group)
    merged = {}
    for folded, groups in parts.items():
        name = "" if not folded else max(spellings[folded].items(), key=lambda item: item[1])[0]
        merged[name] = groups[0] if len(groups) == 1 else merge_tallies(groups, size)
    return merged


def _find_column(columns: list[ColumnInfo], wanted: str) -> ColumnInfo:
    for match in (
        lambda c: c.key == wanted,
        lambda c: norm_header(c.key) == norm_header(wanted),
        lambda c: norm_header(c.text) == norm_header(wanted),
    ):
        found = [col for col in columns if match(col)]
        if len(found) > 1:
            raise duplicate_error(found[0].key, found[0].text)
        if found:
            return found[0]
    raise SurveyFileError(
        _l('The department column "%(column)s" is not in this file.', column=wanted), column=wanted
    )


def _tally_rows(
    rows, width: int, group_index: int | None, indexes: list[int]
) -> tuple[dict[str, Group], int]:
    """The hot loop: each respondent's answers as a row of codes, per group (`answers`)."""
    groups: dict[str, Group] = {}
    size = len(indexes)
    if size == 0:
        pick = lambda row: ()  # noqa: E731
    elif size == 1:
        only = indexes[0]
        pick = lambda row: (row[only],)  # noqa: E731
    else:
        pick = itemgetter(*indexes)
    lookup = answers.new_lookup()
    encode = answers.encode
    pad = [""] * width
    total = 0
    for row in rows:
        if not any(row):
            continue
        if len(row) < width:
            row = row + pad[len(row) :]
        total += 1
        name = row[group_index] if group_index is not None else ""
        group = groups.get(name)
        if group is None:
            group = groups[name] = Group(0, [], answers.new_rows())
        group.respondents += 1
        group.answers.extend(encode(lookup, pick(row)))
    raws = answers.raw_answers(lookup)
    for group in groups.values():
        group.raws = raws
        group.tallies = answers.tallies(group.answers, raws, size)
    return groups, total


def _by_blocks(
    rows, width, candidates, hints, department_blocks, skipped, header_rows, common
) -> ParsedSurvey:
    """Per-department column blocks: "ICT - Ik word teruggebeld", "HR - Ik word...".

    The same question under several labels becomes one question; a respondent
    counts for a department when they answered anything in its block.
    """
    labels = sorted(
        ((normalise(label), label) for label in department_blocks),
        key=lambda t: len(t[0]),
        reverse=True,
    )
    specs: list[QuestionSpec] = []
    spec_index: dict[str, int] = {}
    blocks: dict[str, list[tuple[int, int]]] = {}  # department -> [(column index, question index)]
    seen: dict[tuple[str, int], ColumnInfo] = {}
    for col in candidates:
        found = match_block(col.text, labels)
        if not found:
            skipped.append(SkippedColumn(col.key, col.text, "outside-blocks"))
            continue
        label, text = found
        dept = department_blocks[label].strip()
        key = text
        if normalise(key) not in spec_index:
            spec_index[normalise(key)] = len(specs)
            specs.append(QuestionSpec(key, text, hints.get(col.index)))
        j = spec_index[normalise(key)]
        if (dept, j) in seen:
            raise SurveyFileError(
                _l(
                    'The question "%(question)s" appears twice for department "%(department)s".',
                    question=text,
                    department=dept,
                ),
                row=header_rows,
                column=col.text,
            )
        seen[(dept, j)] = col
        blocks.setdefault(dept, []).append((col.index, j))
    if not blocks:
        raise SurveyFileError(
            _l("None of the given department labels occurs in the column headers.")
        )

    groups = {dept: Group(0, [], answers.new_rows()) for dept in blocks}
    lookup = answers.new_lookup()
    plan = [(groups[dept], pairs) for dept, pairs in blocks.items()]
    pad = [""] * width
    blank_row = [answers.BLANK_CODE] * len(specs)
    total = 0
    for row in rows:
        if not any(row):
            continue
        if len(row) < width:
            row = row + pad[len(row) :]
        total += 1
        for group, pairs in plan:
            codes = None
            for i, j in pairs:
                value = row[i]
                if value and not value.isspace():
                    if codes is None:
                        codes = list(blank_row)
                    code = lookup.get(value)
                    if code is None:
                        code = lookup[value] = len(lookup)
                    codes[j] = code
            # A respondent counts for a department when they answered anything in its block.
            if codes is not None:
                group.respondents += 1
                group.answers.extend(codes)
    raws = answers.raw_answers(lookup)
    for group in groups.values():
        group.raws = raws
        group.tallies = answers.tallies(group.answers, raws, len(specs))
    overall = merge_tallies(list(groups.values()), len(specs))
    overall.respondents = total
    return aggregate(
        specs=specs,
        groups=groups,
        overall=overall,
        total_respondents=total,
        source="blocks",
        skipped=skipped,
        **common,
    )
