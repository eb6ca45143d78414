"""Survey rounds, their questions and themes, the findings per department, verbatim comments,
and one record per imported file."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.organisation.models import Department


class QuestionScale(enum.Enum):
    likert5 = "likert5"
    grade10 = "grade10"
    yesno = "yesno"
    open = "open"

    @property
    def bounds(self) -> tuple[float, float] | None:
        return {"likert5": (1.0, 5.0), "grade10": (1.0, 10.0), "yesno": (0.0, 1.0)}.get(self.value)


class FindingKind(enum.Enum):
    """Why a result was proposed as a finding (or 'result' when no rule picked it)."""

    result = "result"
    below_benchmark = "below_benchmark"
    dropped = "dropped"
    lowest = "lowest"
    strength = "strength"


class Triage(enum.Enum):
    untriaged = "untriaged"
    act = "act"
    no_action = "no_action"
    strength = "strength"


class Sphere(enum.Enum):
    """Sphere of influence: who can change this."""

    own = "own"
    management = "management"
    outside = "outside"


class SurveyRound(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: When the results were published (orders rounds: the previous round is the one before).
    held_on: Mapped[date]
    #: First day of fieldwork: actions done after it are too late to show in this round.
    fieldwork_started_on: Mapped[date | None]
    source_tool: Mapped[str | None] = mapped_column(String(40))
    #: Answer label -> number overrides for this round's imports ({"Heel goed": 5, ...}).
    label_map: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="round", order_by="Question.position", cascade="all, delete-orphan"
    )


class Theme(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Question(db.Model):
    __table_args__ = (UniqueConstraint("round_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id"), index=True)
    #: The column id in the export (Qualtrics tag, or the header text).
    key: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id"), index=True)
    scale: Mapped[QuestionScale] = mapped_column(Enum(QuestionScale, native_enum=False, length=20))
    position: Mapped[int] = mapped_column(default=0)
    #: The same question in an earlier round, mapped by hand because its wording changed
    #: (questions with identical text match without a mapping).
    continues_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="SET NULL"), index=True
    )

    round: Mapped[SurveyRound] = relationship(back_populates="questions")
    theme: Mapped[Theme | None] = relationship()
    continues: Mapped[Question | None] = relationship(remote_side=[id])


class RoundParticipation(db.Model):
    """How many respondents spoke about a department in a round."""

    __table_args__ = (UniqueConstraint("round_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    respondents: Mapped[int]

    round: Mapped[SurveyRound] = relationship()
    department: Mapped[Department] = relationship()


class Finding(db.Model):
    """A department's result on one question in one round; the rules propose some of them
    for follow-up, and the director triages those."""

    __table_args__ = (
        UniqueConstraint("round_id", "department_id", "question_id"),
        Index("ix_finding_department_round", "department_id", "round_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    #: Mean on the question's own scale; None when the group is under the anonymity threshold.
    score: Mapped[float | None] = mapped_column(Float)
    #: Valid answers behind the score.
    n: Mapped[int]
    #: Sample standard deviation of the answers, when known (for confidence intervals).
    sd: Mapped[float | None] = mapped_column(Float)
    benchmark: Mapped[float | None] = mapped_column(Float)
    #: Score of the same question and department in the previous round.
    previous_score: Mapped[float | None] = mapped_column(Float)
    suppressed: Mapped[bool] = mapped_column(default=False)
    #: How the answers to this question varied together with those to each later question of
    #: the round, from the same respondents: [[question id, answers to both, covariance], …].
    #: What the interval of an action's effect needs, without keeping anyone's answers; only
    #: for groups at or over the anonymity threshold, rounded, never shown. None for files
    #: without raw answers.
    covariances: Mapped[list | None] = mapped_column(JSON)
    kind: Mapped[FindingKind] = mapped_column(
        Enum(FindingKind, native_enum=False, length=20), default=FindingKind.result
    )
    #: Proposed by the rules as something to follow up (or to celebrate, for strengths).
    proposed: Mapped[bool] = mapped_column(default=False)
    triage: Mapped[Triage] = mapped_column(
        Enum(Triage, native_enum=False, length=20), default=Triage.untriaged
    )
    sphere: Mapped[Sphere | None] = mapped_column(Enum(Sphere, native_enum=False, length=20))
    #: Why no action is taken; shown publicly later ("we decided not to, because …").
    no_action_reason: Mapped[str | None] = mapped_column(Text)
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    round: Mapped[SurveyRound] = relationship()
    department: Mapped[Department] = relationship()
    question: Mapped[Question] = relationship()
    triaged_by: Mapped[User | None] = relationship()


class SurveyComment(db.Model):
    """A verbatim comment; only imported for groups at or over the anonymity threshold."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"))
    text: Mapped[str] = mapped_column(Text)
    #: A director approved it as a quote for the "you said, we did" pages.
    approved: Mapped[bool] = mapped_column(default=False)

    round: Mapped[SurveyRound] = relationship()
    department: Mapped[Department] = relationship()
    question: Mapped[Question | None] = relationship()


class ImportOutcome(enum.Enum):
    imported = "imported"
    failed = "failed"


class SurveyImport(db.Model):
    """One imported file: what it was, who brought it in, what came out."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("survey_round.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    detected_format: Mapped[str | None] = mapped_column(String(40))
    encoding: Mapped[str | None] = mapped_column(String(40))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    respondents: Mapped[int] = mapped_column(default=0)
    departments: Mapped[int] = mapped_column(default=0)
    findings: Mapped[int] = mapped_column(default=0)
    comments: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[ImportOutcome] = mapped_column(
        Enum(ImportOutcome, native_enum=False, length=20)
    )
    message: Mapped[str | None] = mapped_column(Text)

    round: Mapped[SurveyRound | None] = relationship()
    imported_by: Mapped[User | None] = relationship()
