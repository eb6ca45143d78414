"""Everything that changes survey data: importing a file, proposing findings, triage."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, or_, select, tuple_, update
from sqlalchemy.orm import joinedload

from tracker.auth.models import Role, User
from tracker.auth.permissions import may_manage_department
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.organisation import events
from tracker.organisation.models import Department, DepartmentAlias, Organisation
from tracker.organisation.queries import get_organisation
from tracker.organisation.services import remember_name, set_predecessors
from tracker.surveys import importers, queries
from tracker.surveys.importers.base import ParsedSurvey, ScaleUnknown, SurveyFileError
from tracker.surveys.models import (
    Finding,
    FindingKind,
    ImportOutcome,
    Question,
    QuestionScale,
    RoundParticipation,
    Sphere,
    SurveyComment,
    SurveyImport,
    SurveyRound,
    Triage,
)
from tracker.surveys.themes import themes_at_import
from tracker.types import utcnow

import_log = logging.getLogger("tracker.imports")


class UnknownDepartments(DomainError):
    """The file names departments the organisation does not have (yet)."""

    def __init__(self, names: list[str]):
        super().__init__(
            _l(
                "The file names departments that do not exist: %(names)s. Map them to existing "
                "departments or let the import create them.",
                names=", ".join(names),
            )
        )
        self.names = names


class ScaleQuestion(DomainError):
    """The scale of some questions cannot be inferred: the user must choose it."""

    def __init__(self, error: ScaleUnknown):
        super().__init__(error.message)
        self.keys = error.keys
        self.observed = error.observed


@dataclass
class ImportRequest:
    """What the user chose in the wizard or on the command line."""

    round_name: str
    held_on: date | None = None
    #: First day of fieldwork (a new round only); actions done later are too late for it.
    fieldwork_started_on: date | None = None
    format: str = "auto"
    department_column: str | None = None
    department: str | None = None
    department_blocks: dict[str, str] | None = None
    #: File department name -> existing department id (from the wizard's mapping step).
    department_mapping: dict[str, int] = field(default_factory=dict)
    create_departments: bool = False
    scale_overrides: dict[str, str] | None = None
    #: File department name -> ids of the departments it continues (renamed or merged).
    department_predecessors: dict[str, list[int]] = field(default_factory=dict)
    #: File question key -> the earlier round's question it continues (reworded).
    question_mapping: dict[str, int] = field(default_factory=dict)
    #: Question key or text -> theme name, for files without a theme column.
    question_themes: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportSummary:
    survey_import: SurveyImport
    round: SurveyRound
    parsed: ParsedSurvey
    #: File department name -> Department.
    departments: dict[str, Department]
    findings: int
    proposed: int
    comments: int
    seconds: float


def file_error_message(file_name: str, error: SurveyFileError) -> str:
    """The parser's message (which names the row and column) with the file it is about."""
    return f"{file_name}: {error.message}"


def _may_import(user: User | None) -> None:
    if user is not None and not user.has_role(Role.director):
        raise DomainError(_l("Only directors and administrators may import survey results."))


def parse_upload(
    data: bytes,
    file_name: str,
    request: ImportRequest,
    organisation: Organisation,
    label_map: dict | None = None,
    progress=None,
) -> ParsedSurvey:
    """Parse without touching the database; file problems become DomainErrors."""
    if not data:
        raise DomainError(_l("%(file)s: the file is empty.", file=file_name))
    try:
        return importers.parse(
            data,
            file_name,
            format=request.format,
            department_column=request.department_column or None,
            department=request.department or None,
            department_blocks=request.department_blocks or None,
            label_map=label_map or None,
            scale_overrides=request.scale_overrides or None,
            anonymity_threshold=organisation.anonymity_threshold,
            progress=progress,
        )
    except ScaleUnknown as error:
        raise ScaleQuestion(error) from None
    except SurveyFileError as error:
        raise DomainError(file_error_message(file_name, error)) from None
    except ValueError:
        # Conflicting choices (e.g. a department column and a single department at once).
        raise DomainError(
            _l(
                "Choose either the department column, one department for the "
                "whole file, or column blocks per department."
            )
        ) from None


def match_departments(
    names: list[str], mapping: dict[str, int]
) -> tuple[dict[str, Department], list[str]]:
    """File names -> departments, by explicit mapping, name or short name, or a name kept
    from an earlier import's mapping (any case)."""
    departments = list(db.session.scalars(select(Department)))
    by_id = {d.id: d for d in departments}
    by_name = {}
    for alias in db.session.scalars(select(DepartmentAlias)):
        by_name[alias.name.casefold()] = by_id[alias.department_id]
    for department in departments:
        by_name.setdefault(department.short_name.casefold(), department)
        by_name[department.name.casefold()] = department
    matched, unknown = {}, []
    for name in names:
        department = by_id.get(mapping.get(name)) if mapping.get(name) else None
        department = department or by_name.get(name.strip().casefold())
        if department is None:
            unknown.append(name)
        else:
            matched[name] = department
    return matched, unknown


def _previous_scores(
    round_: SurveyRound, department_ids: list[int], lines: queries.Lineage
) -> dict[tuple[int, str], float]:
    """(department, question) key -> score in the latest earlier round that had it. For a
    department merged from several, the mean of theirs weighted by the number of answers."""
    previous = {}
    earlier = queries.findings_by_question(department_ids, held_before=round_.held_on, lines=lines)
    for key, rows in earlier.items():
        scored = [row for row in rows if row.score is not None]
        if scored:
            latest = [row for row in scored if row.round_id == scored[-1].round_id]
            answers = sum(row.n for row in latest)
            previous[key] = (
                sum(row.score * row.n for row in latest) / answers if answers else latest[-1].score
            )
    return previous


def _earlier_question(round_: SurveyRound, question: Question, earlier_id: int) -> Question:
    """The earlier round's question a (reworded) question continues, if it may."""
    earlier = db.session.get(Question, earlier_id)
    if earlier is None or earlier.round_id == round_.id or earlier.round.held_on >= round_.held_on:
        raise DomainError(
            _l(
                "'%(question)s' can only continue a question of an earlier round.",
                question=question.text,
            )
        )
    if earlier.scale is not question.scale:
        raise DomainError(
            _l(
                "'%(question)s' cannot continue '%(earlier)s': they have different scales, so their "
                "scores cannot be compared.",
                question=question.text,
                earlier=earlier.text,
            )
        )
    return earlier


def _scale_factor(scale: QuestionScale) -> float:
    low, high = scale.bounds
    return (high - low) / 9.0


def _shown_average(results) -> dict[str, float]:
    """The organisation's own average per question over the groups that are shown. An
    average over every respondent would give a hidden group's score away: with the shown
    groups' scores and sizes, the rest is simple arithmetic."""
    sums: dict[str, tuple[float, int]] = {}
    for result in results:
        if result.suppressed:
            continue
        for key, outcome in result.results.items():
            if outcome.suppressed or outcome.score is None or not outcome.n:
                continue
            total, count = sums.get(key, (0.0, 0))
            sums[key] = (total + outcome.score * outcome.n, count + outcome.n)
    return {key: round(total / count, 2) for key, (total, count) in sums.items() if count}


def _keep_covariances(by_key: dict[str, Finding], covariances: dict) -> None:
    """Each pair of questions on the finding of the one with the lower id (ids are known once
    the questions are flushed)."""
    for (first, second), (n, covariance) in covariances.items():
        if first not in by_key or second not in by_key:
            continue
        low, high = sorted((by_key[first], by_key[second]), key=lambda f: f.question.id)
        low.covariances = [*(low.covariances or []), [high.question.id, n, covariance]]


def propose_findings(findings: list[Finding], organisation: Organisation) -> int:
    """Apply the tunable rules to one department's results; returns how many were proposed."""
    scored = [f for f in findings if f.score is not None and f.question.scale.bounds]
    for finding in scored:
        factor = _scale_factor(finding.question.scale)
        kind = None
        if finding.benchmark is not None and (
            finding.score <= finding.benchmark - organisation.finding_below_benchmark * factor
        ):
            kind = FindingKind.below_benchmark
        elif finding.previous_score is not None and (
            finding.score <= finding.previous_score - organisation.finding_dropped * factor
        ):
            kind = FindingKind.dropped
        elif finding.benchmark is not None and (
            finding.score >= finding.benchmark + organisation.finding_strength_above * factor
        ):
            kind = FindingKind.strength
        if kind is not None:
            finding.kind, finding.proposed = kind, True

    def relative(finding: Finding) -> float:
        low, high = finding.question.scale.bounds
        return (finding.score - low) / (high - low)

    rest = sorted((f for f in scored if not f.proposed), key=relative)
    for finding in rest[: organisation.finding_lowest_count]:
        finding.kind, finding.proposed = FindingKind.lowest, True
    return sum(1 for f in findings if f.proposed)


def import_survey(
    acting_user: User | None, data: bytes, file_name: str, request: ImportRequest, progress=None
) -> ImportSummary:
    """Import one file as one unit of work: the caller commits, or rolls back on any error."""
    started = time.perf_counter()
    _may_import(acting_user)
    organisation = get_organisation()
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = db.session.scalar(
        select(SurveyImport).where(
            SurveyImport.sha256 == sha256, SurveyImport.outcome == ImportOutcome.imported
        )
    )
    if earlier is not None:
        raise DomainError(
            _l(
                "%(file)s was already imported on %(date)s (as %(earlier)s); nothing was imported "
                "again.",
                file=file_name,
                date=earlier.imported_at.date().isoformat(),
                earlier=earlier.file_name,
            )
        )
    name = (request.round_name or "").strip()
    if not name:
        raise DomainError(_l("Give the survey round a name."), "round_name")

    round_ = db.session.scalar(select(SurveyRound).where(SurveyRound.name == name))
    label_map = round_.label_map if round_ is not None else None
    parsed = parse_upload(data, file_name, request, organisation, label_map, progress)
    if not parsed.departments:
        raise DomainError(
            _l(
                "%(file)s: no department could be found. Choose the column with the department, "
                "or the department the whole file is about.",
                file=file_name,
            )
        )

    matched, unknown = match_departments(list(parsed.departments), request.department_mapping)
    if unknown:
        if not request.create_departments:
            raise UnknownDepartments(unknown)
        for department_name in unknown:
            department = Department(
                name=department_name.strip(), short_name=department_name.strip()[:40]
            )
            db.session.add(department)
            matched[department_name] = department
        db.session.flush()

    for department_name, department_id in request.department_mapping.items():
        if department_name in matched and matched[department_name].id == department_id:
            remember_name(acting_user, matched[department_name], department_name)
    for department_name, earlier_ids in request.department_predecessors.items():
        if department_name in matched and earlier_ids:
            earlier = list(
                db.session.scalars(select(Department).where(Department.id.in_(earlier_ids)))
            )
            set_predecessors(
                acting_user,
                matched[department_name],
                earlier + list(matched[department_name].predecessors),
            )

    if round_ is None:
        held_on = request.held_on or date.today()
        fieldwork = request.fieldwork_started_on
        if fieldwork is not None and fieldwork > held_on:
            raise DomainError(_l("The fieldwork starts before the results are known."))
        round_ = SurveyRound(
            name=name,
            held_on=held_on,
            fieldwork_started_on=fieldwork,
            source_tool=parsed.format,
            label_map={},
        )
        db.session.add(round_)
        db.session.flush()
    department_ids = [d.id for d in matched.values()]
    already = db.session.scalars(
        select(Department.name)
        .join(Finding, Finding.department_id == Department.id)
        .where(Finding.round_id == round_.id, Department.id.in_(department_ids))
        .distinct()
    ).all()
    if already:
        raise DomainError(
            _l(
                "Round %(round)s already has results for %(names)s. Import this file into a new "
                "round, or remove the earlier import first.",
                round=name,
                names=", ".join(already),
            )
        )

    theme_of = themes_at_import(round_, request.question_themes, request.question_mapping)
    questions = {
        q.key: q for q in db.session.scalars(select(Question).where(Question.round_id == round_.id))
    }
    position = len(questions)
    for parsed_question in parsed.questions:
        if parsed_question.key in questions:
            continue
        position += 1
        question = Question(
            round=round_,
            key=parsed_question.key[:500],
            text=parsed_question.text,
            scale=QuestionScale(parsed_question.kind),
            position=position,
            theme=theme_of(parsed_question),
        )
        db.session.add(question)
        earlier_id = request.question_mapping.get(parsed_question.key)
        if earlier_id:
            question.continues = _earlier_question(round_, question, earlier_id)
        questions[parsed_question.key] = question
    db.session.flush()

    lines = queries.lineage()
    previous = _previous_scores(round_, department_ids, lines)
    # Without a benchmark in the file, the organisation's own average is the benchmark: over
    # the groups that are shown only (complementary suppression, DESIGN.md).
    # (A findings report without benchmarks has none: its groups are the report's own.)
    shown_average = (
        _shown_average(parsed.departments.values()) if parsed.overall is not None else {}
    )
    finding_count = proposed = comment_count = 0
    comment_rows = []
    for file_name_of_department, result in parsed.departments.items():
        department = matched[file_name_of_department]
        db.session.add(
            RoundParticipation(
                round_id=round_.id, department_id=department.id, respondents=result.respondents
            )
        )
        findings, scored_keys = [], []
        for key, outcome in result.results.items():
            question = questions[key]
            if question.scale is QuestionScale.open:
                continue
            finding = Finding(
                round_id=round_.id,
                department_id=department.id,
                question=question,
                score=None if outcome.suppressed else outcome.score,
                n=outcome.n,
                sd=None if outcome.suppressed else outcome.sd,
                benchmark=(
                    outcome.benchmark if outcome.benchmark is not None else shown_average.get(key)
                ),
                previous_score=(
                    outcome.previous
                    if outcome.previous is not None
                    else previous.get(lines.key(department.id, question.id, question.text))
                ),
                suppressed=outcome.suppressed,
            )
            db.session.add(finding)
            findings.append(finding)
            scored_keys.append(key)
        finding_count += len(findings)
        proposed += propose_findings(findings, organisation)
        if result.covariances:
            _keep_covariances(dict(zip(scored_keys, findings)), result.covariances)
        if not result.suppressed:
            for key, text in result.comments:
                comment_rows.append(
                    {
                        "round_id": round_.id,
                        "department_id": department.id,
                        "question_id": questions[key].id if key in questions else None,
                        "text": text,
                        "approved": False,
                    }
                )
    if comment_rows:
        # One bulk insert: a large survey has tens of thousands of comments.
        db.session.execute(insert(SurveyComment), comment_rows)
        comment_count = len(comment_rows)

    survey_import = SurveyImport(
        round=round_,
        file_name=file_name[:300],
        sha256=sha256,
        detected_format=parsed.format,
        encoding=parsed.encoding,
        imported_by_id=acting_user.id if acting_user else None,
        respondents=parsed.respondents,
        departments=len(parsed.departments),
        findings=finding_count,
        comments=comment_count,
        outcome=ImportOutcome.imported,
    )
    db.session.add(survey_import)
    db.session.flush()
    seconds = time.perf_counter() - started
    import_log.info(
        "survey import file=%s format=%s respondents=%d departments=%d findings=%d "
        "proposed=%d comments=%d seconds=%.2f by=%s",
        file_name,
        parsed.format,
        parsed.respondents,
        len(parsed.departments),
        finding_count,
        proposed,
        comment_count,
        seconds,
        acting_user.id if acting_user else "cli",
    )
    return ImportSummary(
        survey_import, round_, parsed, matched, finding_count, proposed, comment_count, seconds
    )


def may_triage(user: User, finding: Finding) -> bool:
    return may_manage_department(user, finding.department_id)


def triage_finding(
    acting_user: User, finding: Finding, triage: Triage, sphere: Sphere | None, reason: str | None
) -> Finding:
    """The director decides: act on it, consciously no action (with a public reason), or a strength."""
    if not may_triage(acting_user, finding):
        raise DomainError(_l("Only a director of this department may triage its findings."))
    reason = (reason or "").strip()
    if triage is Triage.no_action and not reason:
        raise DomainError(
            _l("Say why no action is taken; internal customers will read this reason."),
            "no_action_reason",
        )
    finding.triage = triage
    finding.sphere = sphere
    finding.no_action_reason = reason if triage is Triage.no_action else None
    finding.triaged_by_id = acting_user.id
    finding.triaged_at = utcnow()
    finding.proposed = finding.proposed or triage is not Triage.untriaged
    db.session.flush()
    return finding


def save_label_map(
    acting_user: User, round_: SurveyRound, label_map: dict[str, float | None]
) -> None:
    if not acting_user.has_role(Role.director):
        raise DomainError(_l("Only directors and administrators may change answer labels."))
    round_.label_map = dict(label_map)
    db.session.flush()


def set_benchmarks(
    acting_user: User, round_: SurveyRound, benchmarks: dict[int, float | None]
) -> int:
    """Enter the benchmark per question (e.g. the national one) and propose findings again.

    Findings a director already triaged keep their decision. Returns the number of findings
    proposed afterwards.
    """
    if not acting_user.has_role(Role.director):
        raise DomainError(_l("Only directors and administrators may enter benchmarks."))
    findings = db.session.scalars(
        select(Finding).where(Finding.round_id == round_.id).options(joinedload(Finding.question))
    ).all()
    for question_id, value in benchmarks.items():
        question = db.session.get(Question, question_id)
        if question is None or question.round_id != round_.id:
            raise DomainError(_l("This question is not part of the round."))
        bounds = question.scale.bounds
        if value is not None and bounds and not bounds[0] <= value <= bounds[1]:
            raise DomainError(
                _l(
                    "The benchmark of '%(question)s' must lie between %(low)s and %(high)s.",
                    question=question.text,
                    low=f"{bounds[0]:g}",
                    high=f"{bounds[1]:g}",
                )
            )
    for finding in findings:
        if finding.question_id in benchmarks:
            finding.benchmark = benchmarks[finding.question_id]
    return _propose_again(findings)


def _propose_again(findings: list[Finding]) -> int:
    """Apply the rules again after a benchmark or the previous score changed; findings a
    director already triaged keep their decision. Returns how many are proposed."""
    by_department: dict[int, list[Finding]] = {}
    for finding in findings:
        if finding.triage is Triage.untriaged:
            finding.proposed, finding.kind = False, FindingKind.result
        by_department.setdefault(finding.department_id, []).append(finding)
    organisation = get_organisation()
    proposed = sum(propose_findings(group, organisation) for group in by_department.values())
    db.session.flush()
    return proposed


def earlier_questions(held_on: date) -> list[Question]:
    """Questions of rounds held before `held_on` that a question may continue, newest round
    first (one per wording: the latest round that asked it)."""
    rows = db.session.scalars(
        select(Question)
        .join(SurveyRound, Question.round_id == SurveyRound.id)
        .where(SurveyRound.held_on < held_on, Question.scale != QuestionScale.open)
        .options(joinedload(Question.round))
        .order_by(SurveyRound.held_on.desc(), Question.position)
    )
    seen, result = set(), []
    for question in rows:
        if question.text not in seen:
            seen.add(question.text)
            result.append(question)
    return result


def map_questions(acting_user: User, round_: SurveyRound, mapping: dict[int, int | None]) -> int:
    """Say by hand which earlier question each of this round's questions continues (None: a
    new question, or matched by identical text). The change since the previous round is
    computed again and the rules propose findings again; returns how many are proposed."""
    if not acting_user.has_role(Role.director):
        raise DomainError(_l("Only directors and administrators may map questions."))
    questions = {q.id: q for q in round_.questions}
    for question_id, earlier_id in mapping.items():
        question = questions.get(question_id)
        if question is None:
            raise DomainError(_l("This question is not part of the round."))
        question.continues = _earlier_question(round_, question, earlier_id) if earlier_id else None
    db.session.flush()
    return refresh_previous_scores(round_)


def refresh_previous_scores(round_: SurveyRound) -> int:
    """Compute each finding's previous score again from the questions' and departments'
    mapping. A finding keeps the previous score its file gave when the tracker has none."""
    findings = db.session.scalars(
        select(Finding)
        .where(Finding.round_id == round_.id)
        .options(joinedload(Finding.question), joinedload(Finding.department))
    ).all()
    department_ids = sorted({f.department_id for f in findings})
    lines = queries.lineage()
    previous = _previous_scores(round_, department_ids, lines)
    for finding in findings:
        score = previous.get(
            lines.key(finding.department_id, finding.question_id, finding.question.text)
        )
        if score is not None or finding.previous_score is None:
            finding.previous_score = score
    return _propose_again(findings)


def refresh_rounds_of(department: Department) -> None:
    """The departments `department` continues have changed: the previous scores of every
    round it has findings in follow (`organisation.events.lineage_changed`)."""
    for round_ in db.session.scalars(
        select(SurveyRound).where(
            SurveyRound.id.in_(
                select(Finding.round_id).where(Finding.department_id == department.id)
            )
        )
    ):
        refresh_previous_scores(round_)


def connect_events() -> None:
    """What surveys does when organisation, which does not import it, changes something."""
    events.lineage_changed.connect(refresh_rounds_of)
    events.anonymity_threshold_saved.connect(apply_anonymity_threshold)


def apply_anonymity_threshold(threshold: int) -> int:
    """A raised anonymity threshold applies at once to everything imported before: a
    finding of fewer answers than it, and every finding of a group (a department in a
    round) of fewer respondents than it, loses its score, spread and the covariances of its
    answers, and that group's comments are deleted. For good: lowering the threshold again brings nothing back, as
    nothing under a threshold is ever stored. Returns the findings newly hidden."""
    small_groups = select(RoundParticipation.round_id, RoundParticipation.department_id).where(
        RoundParticipation.respondents < threshold
    )
    in_small_group = tuple_(Finding.round_id, Finding.department_id).in_(small_groups)
    hidden = db.session.execute(
        update(Finding)
        .where(Finding.suppressed.is_(False), or_(Finding.n < threshold, in_small_group))
        .values(suppressed=True, score=None, sd=None, previous_score=None, covariances=None),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.execute(
        delete(SurveyComment).where(
            tuple_(SurveyComment.round_id, SurveyComment.department_id).in_(small_groups)
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.expire_all()
    return hidden
