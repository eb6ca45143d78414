"""The aggregation step shared by every raw-response format.

Input: for each group (department) and question, a tally of distinct raw
answer strings -> count. Keeping a tally instead of every answer bounds memory
by the number of distinct answers, lets the scale of a column be inferred
from *all* its answers after a single pass, and gives exactly the same count,
mean and sample standard deviation as running sums would.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from . import answers
from .base import (
    GRADE10,
    KINDS,
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
    SkippedColumn,
    SurveyFileError,
)
from .headers import OPEN_HINT as _OPEN_HINT
from .headers import duplicate_error
from .labels import BLANK, CUSTOM, EXCLUDED, LIKERT, NUMBER, UNKNOWN, Classifier, normalise
from .labels import YESNO as YESNO_LABEL

Tally = dict  # raw answer string -> count


@dataclass
class QuestionSpec:
    key: str
    text: str
    hint: str | None = None  # 'open' when the export says so (Qualtrics *_TEXT)


@dataclass
class Group:
    respondents: int
    tallies: list[Tally]  # aligned with the question specs
    #: Each respondent's answers as codes (`answers`), row after row; None when not kept.
    answers: array | None = None
    #: Code -> raw answer (shared by all groups of one file).
    raws: list[str] | None = None


_TRIVIAL_COMMENTS = {
    "geen",
    "nee",
    "no",
    "none",
    "niets",
    "nothing",
    "geen opmerkingen",
    "nope",
    "x",
    "-",
    ".",
}
_MAX_EXAMPLES = 5
#: A text field counts as a typed report grade when at least this share of its answers are
#: whole numbers 1-10 (the rest, e.g. "7/8" or "-", is reported as not understood).
_TYPED_GRADE_SHARE = 0.95
_TYPED_GRADE_MIN = 3


def merge_tallies(groups: list[Group], size: int) -> Group:
    merged = [dict() for _ in range(size)]
    respondents = 0
    for group in groups:
        respondents += group.respondents
        for target, tally in zip(merged, group.tallies):
            for raw, count in tally.items():
                target[raw] = target.get(raw, 0) + count
    # The codes of one file are shared by its groups: their rows simply follow each other.
    kept = [g for g in groups if g.answers is not None]
    if groups and len(kept) == len(groups) and all(g.raws is groups[0].raws for g in kept):
        rows = answers.new_rows()
        for group in kept:
            rows.extend(group.answers)
        return Group(respondents, merged, rows, groups[0].raws)
    return Group(respondents, merged)


@dataclass
class _Decision:
    kind: str  # a KIND, SKIP, or 'unknown'
    reason: str = ""
    convert: dict | None = None  # raw -> number, or None when not counted
    invalid: int = 0
    examples: tuple[str, ...] = ()
    observed: tuple[float, float] | None = None
    typed_grade: bool = False


def _typed_grade(tally: Tally, classify: Classifier) -> bool:
    """A text-entry question answered with whole numbers 1-10: a report grade ("rapportcijfer")
    asked as text, as Qualtrics text entry or a SurveyMonkey open answer gives it."""
    grades = others = 0
    for raw, count in tally.items():
        cls, value = classify(raw)
        if cls in (BLANK, EXCLUDED):
            continue
        if cls == NUMBER and value == int(value) and 1 <= value <= 10:
            grades += count
        else:
            others += count
    return grades >= _TYPED_GRADE_MIN and grades >= _TYPED_GRADE_SHARE * (grades + others)


def _is_open(spec: QuestionSpec, texts: Tally, answered: int) -> bool:
    total = sum(texts.values())
    if not total:
        return False
    hinted = spec.hint == OPEN or bool(_OPEN_HINT.search(normalise(spec.text)))
    if hinted and total >= 0.3 * answered:
        return True
    mean_len = sum(len(t.strip()) * c for t, c in texts.items()) / total
    if mean_len >= 60:
        return True
    if total >= 5:
        return len(texts) / total >= 0.6 and mean_len >= 15
    return mean_len >= 25


def _accepts(kind: str, cls: str, value: float | None) -> bool:
    if cls in (NUMBER, CUSTOM):
        low, high = SCALE_RANGES[kind]
        if kind == YESNO:
            return value in (0.0, 1.0)
        return low <= value <= high
    if cls == LIKERT:
        return kind == LIKERT5
    if cls == YESNO_LABEL:
        return kind == YESNO
    return False


def decide(
    spec: QuestionSpec,
    tally: Tally,
    classify: Classifier,
    override: str | None,
    respondents: int = 0,
) -> _Decision:
    """Kind of one question from all its answers (or the caller's override).

    `respondents` is the number of rows, to tell how many left it blank.
    """
    counts = {NUMBER: 0, CUSTOM: 0, LIKERT: 0, YESNO_LABEL: 0, EXCLUDED: 0, UNKNOWN: 0}
    numbers: set[float] = set()
    texts: Tally = {}
    for raw, count in tally.items():
        cls, value = classify(raw)
        if cls == BLANK:
            continue
        counts[cls] += count
        if cls in (NUMBER, CUSTOM):
            numbers.add(value)
        elif cls == UNKNOWN:
            texts[raw] = count
    answered = sum(counts.values()) - counts[EXCLUDED]
    observed = (min(numbers), max(numbers)) if numbers else None

    if override == SKIP:
        return _Decision(SKIP, "override")
    if override == OPEN:
        return _Decision(OPEN)
    kind = override
    typed_grade = False
    if kind is None:
        if answered == 0:
            return _Decision(SKIP, "empty")
        if spec.hint == OPEN:  # the export marks it as a text field
            if not _typed_grade(tally, classify):
                return _Decision(OPEN)
            kind, typed_grade = GRADE10, True
    if kind is None:
        if counts[UNKNOWN] > answered / 2 or (
            counts[UNKNOWN] and _OPEN_HINT.search(normalise(spec.text))
        ):
            if _is_open(spec, texts, answered):
                return _Decision(OPEN)
            if counts[UNKNOWN] > answered / 2:
                return _Decision(SKIP, "categorical")
        if counts[LIKERT] + counts[YESNO_LABEL] > counts[NUMBER] + counts[CUSTOM]:
            kind = YESNO if counts[YESNO_LABEL] > counts[LIKERT] else LIKERT5
        elif observed is None:
            return _Decision("unknown")
        else:
            low, high = observed
            blanks = respondents - sum(counts.values())
            if numbers == {1.0} and blanks > 0 and not counts[YESNO_LABEL]:
                # "1" or empty: a ticked box of a multiple-choice question.
                return _Decision(SKIP, "multiple-choice")
            if numbers <= {0.0, 1.0}:
                kind = YESNO
            elif low >= 1 and high <= 5:
                kind = LIKERT5
            elif low >= 1 and high <= 10:
                kind = GRADE10
            else:
                return _Decision("unknown", observed=observed)

    convert: dict = {}
    invalid = 0
    examples: list[str] = []
    for raw, count in tally.items():
        cls, value = classify(raw)
        if cls in (BLANK, EXCLUDED):
            convert[raw] = None
        elif _accepts(kind, cls, value):
            convert[raw] = value
        else:
            convert[raw] = None
            invalid += count
            if len(examples) < _MAX_EXAMPLES:
                examples.append(raw.strip())
    return _Decision(
        kind,
        convert=convert,
        invalid=invalid,
        examples=tuple(examples),
        observed=observed,
        typed_grade=typed_grade,
    )


def _score(tally: Tally, convert: dict) -> tuple[int, float | None, float | None]:
    n = 0
    total = 0.0
    pairs = []
    for raw, count in tally.items():
        value = convert.get(raw)
        if value is None:
            continue
        n += count
        total += value * count
        pairs.append((value, count))
    if not n:
        return 0, None, None
    mean = total / n
    # Two-pass over the (few) distinct values: exact and numerically stable.
    sd = math.sqrt(sum(c * (v - mean) ** 2 for v, c in pairs) / (n - 1)) if n > 1 else None
    return n, mean, sd


def _comments(key: str, tally: Tally, classify: Classifier) -> list[tuple[str, str]]:
    found = []
    for raw, count in tally.items():
        text = raw.strip()
        cls, _ = classify(raw)
        if cls in (BLANK, EXCLUDED) or normalise(text) in _TRIVIAL_COMMENTS:
            continue
        if not any(ch.isalnum() for ch in text):
            continue
        found.extend([(key, text)] * count)
    return found


def _result_for(
    name: str,
    group: Group,
    questions: list[tuple[int, ParsedQuestion, _Decision, Classifier]],
    threshold: int,
) -> DepartmentResult:
    suppressed = group.respondents < threshold
    result = DepartmentResult(name=name, respondents=group.respondents, suppressed=suppressed)
    for j, question, decision, classify in questions:
        tally = group.tallies[j]
        if question.kind == OPEN:
            comments = _comments(question.key, tally, classify)
            result.results[question.key] = QuestionResult(
                None, len(comments), suppressed=suppressed
            )
            if suppressed:
                result.withheld_comments += len(comments)
            else:
                result.comments.extend(comments)
            continue
        n, mean, sd = _score(tally, decision.convert)
        hide = suppressed or n < threshold
        result.results[question.key] = QuestionResult(
            score=None if hide else mean, n=n, sd=None if hide else sd, suppressed=hide
        )
    if not suppressed and group.answers is not None and name:
        result.covariances = _covariances(group, questions, result, threshold)
    return result


#: Covariances are stored rounded: enough for an interval, no more than that.
COVARIANCE_DIGITS = 4


def _covariances(group: Group, questions, result: DepartmentResult, threshold: int) -> dict:
    """(key, key) -> (answers to both, covariance) for every pair of shown scored questions
    that at least `threshold` respondents both answered (like every figure)."""
    shown = [
        (j, question, decision)
        for j, question, decision, _ in questions
        if question.kind != OPEN and not result.results[question.key].suppressed
    ]
    if len(shown) < 2:
        return {}
    values = answers.scored(
        group.answers, group.raws, len(group.tallies), [(j, d.convert) for j, _, d in shown]
    )
    counts, covariances = answers.pairwise_covariances(values)
    found = {}
    for a, (_, first, _) in enumerate(shown):
        for b in range(a + 1, len(shown)):
            n = int(counts[a, b])
            if n >= max(threshold, 2):
                found[(first.key, shown[b][1].key)] = (
                    n,
                    round(float(covariances[a, b]), COVARIANCE_DIGITS),
                )
    return found


def aggregate(
    *,
    fmt: str,
    encoding: str | None,
    specs: list[QuestionSpec],
    groups: dict[str, Group],
    overall: Group,
    total_respondents: int,
    source: str,
    department_column: str | None = None,
    unassigned: int = 0,
    skipped: list[SkippedColumn] | None = None,
    label_map: dict | None = None,
    scale_overrides: dict | None = None,
    anonymity_threshold: int = 5,
) -> ParsedSurvey:
    # label_map: {label: number} for every question, or {question key: {label: number}}
    # for one question (e.g. Qualtrics coding yes=1, no=2).
    shared = {k: v for k, v in (label_map or {}).items() if not isinstance(v, dict)}
    per_question = {k: v for k, v in (label_map or {}).items() if isinstance(v, dict)}
    classify_all = Classifier(shared)
    overrides = _check_overrides(scale_overrides)
    skipped = list(skipped or [])
    questions: list[tuple[int, ParsedQuestion, _Decision, Classifier]] = []
    unknown: dict[str, tuple[float, float] | None] = {}
    for j, spec in enumerate(specs):
        override = overrides.get(spec.key, overrides.get(spec.text))
        own = per_question.get(spec.key, per_question.get(spec.text))
        classify = Classifier({**shared, **own}) if own else classify_all
        decision = decide(spec, overall.tallies[j], classify, override, overall.respondents)
        if decision.kind == "unknown":
            unknown[spec.key] = decision.observed
        elif decision.kind == SKIP:
            skipped.append(SkippedColumn(spec.key, spec.text, decision.reason))
        else:
            question = ParsedQuestion(
                spec.key,
                spec.text,
                decision.kind,
                invalid_count=decision.invalid,
                invalid_examples=decision.examples,
                typed_grade=decision.typed_grade,
            )
            questions.append((j, question, decision, classify))
    keys = Counter(q.key for _, q, _, _ in questions)
    for _, question, _, _ in questions:
        if keys[question.key] > 1:  # two scored columns under one name: results would collide
            raise duplicate_error(question.key, question.text)
    if unknown:
        raise ScaleUnknown(
            _l(
                "The answer scale of these questions could not be recognised: %(keys)s. "
                "Choose a scale for each of them.",
                keys=", ".join(unknown),
            ),
            keys=list(unknown),
            observed=unknown,
        )
    if not questions:
        raise SurveyFileError(_l("No survey questions with answers were found in this file."))

    departments = {
        name: _result_for(name, group, questions, anonymity_threshold)
        for name, group in groups.items()
    }
    warnings = []
    for _, question, _, _ in questions:
        if question.invalid_count:
            warnings.append(
                lazy_ngettext(
                    'Question "%(question)s": %(num)d answer was not understood and was ignored '
                    '("%(example)s").',
                    'Question "%(question)s": %(num)d answers were not understood and were ignored '
                    '(for example "%(example)s").',
                    question.invalid_count,
                    question=question.key,
                    example=question.invalid_examples[0],
                )
            )
    if unassigned:
        warnings.append(
            lazy_ngettext(
                "%(num)d respondent did not name a department; they only count in the overall "
                "results.",
                "%(num)d respondents did not name a department; they only count in the overall "
                "results.",
                unassigned,
            )
        )
    return ParsedSurvey(
        format=fmt,
        encoding=encoding,
        respondents=total_respondents,
        questions=[q for _, q, _, _ in questions],
        departments=departments,
        department_source=source,
        department_column=department_column,
        overall=_result_for("", overall, questions, anonymity_threshold),
        unassigned_respondents=unassigned,
        skipped_columns=skipped,
        warnings=warnings,
    )


def _check_overrides(overrides: dict | None) -> dict:
    allowed = set(KINDS) | {SKIP}
    for key, kind in (overrides or {}).items():
        if kind not in allowed:
            raise ValueError(
                f"scale override for {key!r} must be one of {sorted(allowed)}, not {kind!r}"
            )
    return dict(overrides or {})
