"""Read helpers for survey pages: rounds, a department's results, and the plain-language
summary of a finding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tracker import changes
from tracker.extensions import db
from tracker.formatting import number
from tracker.organisation.models import Department
from tracker.organisation.queries import department_lineage
from tracker.surveys.models import (
    Finding,
    Question,
    QuestionScale,
    RoundParticipation,
    SurveyComment,
    SurveyImport,
    SurveyRound,
    Triage,
)
from tracker.surveys.scores import score_text


def rounds_newest_first() -> list[SurveyRound]:
    return list(db.session.scalars(select(SurveyRound).order_by(SurveyRound.held_on.desc())))


def question_lineage() -> dict[int, str]:
    """Question id -> the key shared by the same question in every round (one query).

    Rounds are walked oldest first: a question mapped by hand to an earlier one (its wording
    changed) takes that one's key; otherwise a question with the same text as an earlier one
    takes its key; otherwise its text is a new key."""
    rows = db.session.execute(
        select(Question.id, Question.text, Question.continues_id)
        .join(SurveyRound, Question.round_id == SurveyRound.id)
        .order_by(SurveyRound.held_on, SurveyRound.id, Question.position, Question.id)
    )
    lineage: dict[int, str] = {}
    by_text: dict[str, str] = {}
    for row in rows:
        if row.continues_id is not None and row.continues_id in lineage:
            key = lineage[row.continues_id]
        else:
            key = by_text.get(row.text, row.text)
        lineage[row.id] = key
        by_text.setdefault(row.text, key)
    return lineage


@dataclass(frozen=True)
class Lineage:
    """Which results are the same across rounds: department id -> the department its results
    continue in (`department_lineage`), question id -> its key (`question_lineage`)."""

    departments: dict[int, int]
    questions: dict[int, str]

    def key(self, department_id: int, question_id: int, text: str) -> tuple[int, str]:
        """The (department, question) a result belongs to in every round."""
        return (
            self.departments.get(department_id, department_id),
            self.questions.get(question_id, text),
        )

    def related(self, department_ids) -> list[int]:
        """The departments whose results continue in the same place as these."""
        ends = {self.departments.get(d, d) for d in department_ids}
        return [d for d, end in self.departments.items() if end in ends]


def lineage() -> Lineage:
    """Two queries, over all departments and all questions (both small)."""
    return Lineage(department_lineage(), question_lineage())


def kept_lineage() -> Lineage:
    """`lineage()` for pages: computed once per data version (tracker.changes), as only an
    import, a question mapping or a department change moves it. A service that changes
    questions or departments in its own transaction uses `lineage()`."""
    return changes.kept(("surveys.lineage",), lineage)


def findings_by_question(
    department_ids,
    held_before: date | None = None,
    lines: Lineage | None = None,
    *,
    covariances: bool = False,
) -> dict:
    """(department, question) key -> the results on that question in every round (or every
    round held before `held_before`), oldest round first, as light rows.

    The same question across rounds: identical text or mapped by hand; the same department:
    itself, or the departments it was renamed or merged into, so a key's department is the one
    the results continue in today (`Lineage`). `covariances`: with the stored covariances of
    the answers (for the effects of actions). One query, plus two without `lines`."""
    lines = lines or lineage()
    related = lines.related(department_ids)
    if not related:
        return {}
    query = (
        select(
            Finding.id,
            Finding.department_id,
            Finding.round_id,
            Finding.question_id,
            Finding.score,
            Finding.n,
            Finding.sd,
            Finding.suppressed,
            Question.text,
            Question.scale,
            SurveyRound.name.label("round_name"),
            SurveyRound.held_on,
            SurveyRound.fieldwork_started_on,
        )
        .join(Question, Finding.question_id == Question.id)
        .join(SurveyRound, Finding.round_id == SurveyRound.id)
        .where(Finding.department_id.in_(related))
        .order_by(SurveyRound.held_on, Finding.id)
    )
    if held_before is not None:
        query = query.where(SurveyRound.held_on < held_before)
    if covariances:
        query = query.add_columns(Finding.covariances)
    series: dict[tuple[int, str], list] = {}
    for row in db.session.execute(query):
        series.setdefault(lines.key(row.department_id, row.question_id, row.text), []).append(row)
    return series


def previous_round(round_: SurveyRound) -> SurveyRound | None:
    return db.session.scalar(
        select(SurveyRound)
        .where(SurveyRound.held_on < round_.held_on)
        .order_by(SurveyRound.held_on.desc())
        .limit(1)
    )


@dataclass
class RoundDepartmentRow:
    department: Department
    respondents: int
    results: int
    proposed: int
    untriaged: int


def round_overview(round_: SurveyRound) -> list[RoundDepartmentRow]:
    counts = {
        row.department_id: row
        for row in db.session.execute(
            select(
                Finding.department_id,
                func.count(Finding.id).label("results"),
                func.count(Finding.id).filter(Finding.proposed.is_(True)).label("proposed"),
                func.count(Finding.id)
                .filter(Finding.proposed.is_(True), Finding.triage == Triage.untriaged)
                .label("untriaged"),
            )
            .where(Finding.round_id == round_.id)
            .group_by(Finding.department_id)
        )
    }
    participations = db.session.scalars(
        select(RoundParticipation)
        .where(RoundParticipation.round_id == round_.id)
        .options(joinedload(RoundParticipation.department))
    ).all()
    rows = []
    for participation in sorted(participations, key=lambda p: p.department.name):
        count = counts.get(participation.department_id)
        rows.append(
            RoundDepartmentRow(
                participation.department,
                participation.respondents,
                count.results if count else 0,
                count.proposed if count else 0,
                count.untriaged if count else 0,
            )
        )
    return rows


def department_findings(round_id: int, department_id: int) -> list[Finding]:
    return list(
        db.session.scalars(
            select(Finding)
            .where(Finding.round_id == round_id, Finding.department_id == department_id)
            .options(joinedload(Finding.question).joinedload(Question.theme))
            .join(Question, Finding.question_id == Question.id)
            .order_by(Question.position)
        )
    )


def department_comments(
    round_id: int, department_id: int, approved_only: bool = False
) -> list[SurveyComment]:
    """The department's comments of a round; `approved_only`: the quotes it approved."""
    query = select(SurveyComment).where(
        SurveyComment.round_id == round_id, SurveyComment.department_id == department_id
    )
    if approved_only:
        query = query.where(SurveyComment.approved.is_(True))
    return list(
        db.session.scalars(
            query.options(joinedload(SurveyComment.question)).order_by(SurveyComment.id)
        )
    )


def sees_raw_comments(user, department_id: int) -> bool:
    """The comments as written are for the department: its directors, the people who work
    in it, and administrators. Other directors read the quotes it approved."""
    return user.is_admin or department_id in user.department_ids


def respondents(round_id: int, department_id: int) -> int | None:
    return db.session.scalar(
        select(RoundParticipation.respondents).where(
            RoundParticipation.round_id == round_id,
            RoundParticipation.department_id == department_id,
        )
    )


def imports_of_round(round_id: int) -> list[SurveyImport]:
    return list(
        db.session.scalars(
            select(SurveyImport)
            .where(SurveyImport.round_id == round_id)
            .options(selectinload(SurveyImport.imported_by))
            .order_by(SurveyImport.imported_at)
        )
    )


def difference_text(value: float, scale: QuestionScale) -> str:
    if scale is QuestionScale.yesno:
        return _("%(points)s percentage points", points=number(abs(value) * 100, 0))
    return number(abs(value), 1)


def summary(
    finding: Finding, department_name: str, previous_round_name: str | None, threshold: int
) -> str:
    """One sentence in the reader's language, e.g. "ICT scores 6,1 on '…': 0,8 below the
    benchmark and 0,4 lower than in 2025."."""
    question = finding.question
    if finding.score is None:
        return _(
            "Fewer than %(threshold)d people answered for %(department)s, so no score is "
            "shown for '%(question)s'.",
            threshold=threshold,
            department=department_name,
            question=question.text,
        )
    head = _(
        "%(department)s scores %(score)s on '%(question)s'",
        department=department_name,
        score=score_text(finding.score, question.scale),
        question=question.text,
    )
    parts = []
    if finding.benchmark is not None:
        diff = round(finding.score - finding.benchmark, 2)
        if abs(diff) < 0.05:
            parts.append(_("equal to the benchmark"))
        elif diff < 0:
            parts.append(
                _("%(diff)s below the benchmark", diff=difference_text(diff, question.scale))
            )
        else:
            parts.append(
                _("%(diff)s above the benchmark", diff=difference_text(diff, question.scale))
            )
    if finding.previous_score is not None:
        diff = round(finding.score - finding.previous_score, 2)
        since = previous_round_name or _("the previous round")
        if abs(diff) < 0.05:
            parts.append(_("the same as in %(round)s", round=since))
        elif diff < 0:
            parts.append(
                _(
                    "%(diff)s lower than in %(round)s",
                    diff=difference_text(diff, question.scale),
                    round=since,
                )
            )
        else:
            parts.append(
                _(
                    "%(diff)s higher than in %(round)s",
                    diff=difference_text(diff, question.scale),
                    round=since,
                )
            )
    if not parts:
        return head + "."
    if len(parts) == 1:
        return _("%(head)s: %(detail)s.", head=head, detail=parts[0])
    return _("%(head)s: %(first)s and %(second)s.", head=head, first=parts[0], second=parts[1])


def question_benchmarks(round_id: int) -> list[tuple[Question, float | None]]:
    """The round's scored questions with their benchmark (the first department's, as they
    usually share one)."""
    questions = db.session.scalars(
        select(Question)
        .where(Question.round_id == round_id, Question.scale != QuestionScale.open)
        .order_by(Question.position)
    ).all()
    current = dict(
        db.session.execute(
            select(Finding.question_id, func.max(Finding.benchmark))
            .where(Finding.round_id == round_id)
            .group_by(Finding.question_id)
        ).all()
    )
    return [(q, current.get(q.id)) for q in questions]


def latest_rounds() -> dict[int, int]:
    """Department id -> id of the latest round with results for it (one query)."""
    rows = db.session.execute(
        select(Finding.department_id, SurveyRound.id, SurveyRound.held_on)
        .join(SurveyRound, Finding.round_id == SurveyRound.id)
        .group_by(Finding.department_id, SurveyRound.id, SurveyRound.held_on)
        .order_by(SurveyRound.held_on)
    ).all()
    return {department_id: round_id for department_id, round_id, _held_on in rows}
