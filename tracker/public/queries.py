"""Read helpers for the "you said, we did" pages. Every query here filters to what may be
public: public actions (not proposed, not cancelled), triaged findings, approved quotes and
comments, and nothing of groups under the anonymity threshold."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from tracker import clock
from tracker.actions.effects import action_effects
from tracker.actions.models import (
    ActionStatus,
    ImprovementAction,
    ProgressUpdate,
    action_finding,
)
from tracker.actions.queries import public_actions
from tracker.cocreation.models import CommentStatus, Follow, Reaction, Verdict
from tracker.extensions import db
from tracker.organisation.models import Department, Organisation
from tracker.public.models import NewsFeed
from tracker.surveys.models import (
    Finding,
    Question,
    QuestionScale,
    RoundParticipation,
    SurveyComment,
    SurveyRound,
    Theme,
    Triage,
)
from tracker.surveys.scores import score_text

TRIAGED = (Triage.act, Triage.no_action, Triage.strength)


@dataclass
class DepartmentHeadline:
    department: Department
    points: int = 0
    done: int = 0
    in_progress: int = 0
    planned: int = 0
    declined: int = 0
    done_on_time: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.done_on_time / self.done if self.done else None


@dataclass
class RoundHeadlines:
    round: SurveyRound
    departments: list[DepartmentHeadline]


@dataclass(frozen=True)
class PublicLine:
    """One public action where "you said, we did" shows it: under a triaged finding of its
    round and department, or (finding_id None) as the department's own initiative in the
    round that was the latest when the action was created."""

    round_id: int
    department_id: int
    action_id: int
    status: ActionStatus
    finding_id: int | None
    on_time: bool


def _reason_given(column):
    return func.length(func.trim(func.coalesce(column, ""))) > 0


def shown_publicly():
    """Public actions, less declined ones without a public reason: the pages promise one."""
    return public_actions() & (
        (ImprovementAction.status != ActionStatus.declined)
        | _reason_given(ImprovementAction.decline_explanation)
    )


def round_of(created: date, rounds: list[SurveyRound]) -> SurveyRound | None:
    """The round an own initiative answers: the latest held on or before the day it was
    created (the first round for an action older than every round). `rounds` oldest first."""
    earlier = [r for r in rounds if r.held_on <= created]
    return earlier[-1] if earlier else (rounds[0] if rounds else None)


def _lines_query(*, round_id: int | None = None, department_id: int | None = None):
    """Every place a public action is shown: the overview counts these and the department page
    lists these, so their figures cannot differ. An own initiative's round is placed in Python
    (`round_of`); a finding's action is under its finding's round and department."""
    own = action_finding.c.finding_id.is_(None)
    query = (
        select(
            ImprovementAction.id.label("action_id"),
            ImprovementAction.status.label("status"),
            ImprovementAction.department_id.label("own_department_id"),
            ImprovementAction.created_at.label("created_at"),
            (ImprovementAction.closed_on <= ImprovementAction.deadline).label("on_time"),
            Finding.id.label("finding_id"),
            Finding.round_id.label("round_id"),
            Finding.department_id.label("department_id"),
        )
        .outerjoin(action_finding, action_finding.c.action_id == ImprovementAction.id)
        .outerjoin(Finding, Finding.id == action_finding.c.finding_id)
        .where(shown_publicly(), own | Finding.triage.in_(TRIAGED))
    )
    if department_id is not None:
        query = query.where(
            (own & (ImprovementAction.department_id == department_id))
            | (Finding.department_id == department_id)
        )
    if round_id is not None:
        query = query.where(own | (Finding.round_id == round_id))
    return query


def _own_initiative_lines(query, rounds: list[SurveyRound], round_id: int | None):
    """The lines of own initiatives (few): each under the round it answers."""
    lines = []
    for row in db.session.execute(query.where(action_finding.c.finding_id.is_(None))):
        answered = round_of(clock.local_date(row.created_at), rounds)
        if answered is None or (round_id is not None and answered.id != round_id):
            continue
        lines.append(
            PublicLine(
                answered.id,
                row.own_department_id,
                row.action_id,
                row.status,
                None,
                bool(row.on_time),
            )
        )
    return lines


def public_lines(
    rounds: list[SurveyRound], *, round_id: int | None = None, department_id: int | None = None
) -> list[PublicLine]:
    """The lines of one department's page (or any selection), in two queries. `rounds`:
    oldest first."""
    query = _lines_query(round_id=round_id, department_id=department_id)
    lines = [
        PublicLine(
            row.round_id,
            row.department_id,
            row.action_id,
            row.status,
            row.finding_id,
            bool(row.on_time),
        )
        for row in db.session.execute(query.where(action_finding.c.finding_id.is_not(None)))
    ]
    return lines + _own_initiative_lines(query, rounds, round_id)


def overview() -> list[RoundHeadlines]:
    """Per round (latest first) the departments with their headline figures, in 5 queries:
    the public lines are counted in the database (50,000 actions need not travel)."""
    rounds = db.session.scalars(select(SurveyRound).order_by(SurveyRound.held_on)).all()
    points = db.session.execute(
        select(
            Finding.round_id,
            Finding.department_id,
            func.count(Finding.id),
            # Not acting on a point, with the reason shown, counts as declined with reasons.
            func.count(
                case(
                    (
                        (Finding.triage == Triage.no_action)
                        & _reason_given(Finding.no_action_reason),
                        Finding.id,
                    )
                )
            ),
        )
        .where(Finding.triage.in_((Triage.act, Triage.no_action)))
        .group_by(Finding.round_id, Finding.department_id)
    ).all()
    departments = {d.id: d for d in db.session.scalars(select(Department))}
    table: dict[tuple[int, int], DepartmentHeadline] = {}

    def row(round_id, department_id):
        key = (round_id, department_id)
        if key not in table:
            table[key] = DepartmentHeadline(departments[department_id])
        return table[key]

    for round_id, department_id, count, not_acted in points:
        headline = row(round_id, department_id)
        headline.points = count
        headline.declined = not_acted
    lines = _lines_query()
    # An action that follows up several findings of one round counts once there.
    shown = (
        lines.with_only_columns(
            lines.selected_columns.round_id,
            lines.selected_columns.department_id,
            lines.selected_columns.action_id,
            lines.selected_columns.status,
            lines.selected_columns.on_time,
        )
        .where(action_finding.c.finding_id.is_not(None))
        .distinct()
        .subquery()
    )
    done_on_time = (shown.c.status == ActionStatus.done) & (shown.c.on_time == True)  # noqa: E712
    counts = db.session.execute(
        select(
            shown.c.round_id,
            shown.c.department_id,
            shown.c.status,
            func.count(),
            func.count(case((done_on_time, 1))),
        ).group_by(shown.c.round_id, shown.c.department_id, shown.c.status)
    )
    own_initiatives = (
        (line.round_id, line.department_id, line.status, 1, int(line.on_time))
        for line in _own_initiative_lines(lines, rounds, None)
    )
    for round_id, department_id, status, count, on_time in [*counts, *own_initiatives]:
        headline = row(round_id, department_id)
        setattr(headline, status.value, getattr(headline, status.value) + count)
        if status is ActionStatus.done:
            headline.done_on_time += on_time
    result = []
    for round_ in reversed(rounds):
        rows = sorted(
            (h for (r, _d), h in table.items() if r == round_.id), key=lambda h: h.department.name
        )
        if rows:
            result.append(RoundHeadlines(round_, rows))
    return result


@dataclass
class PublicAction:
    action: ImprovementAction
    owner_name: str | None
    last_update: ProgressUpdate | None
    helps: int = 0
    not_yet: int = 0
    comments: list[Reaction] = field(default_factory=list)
    my_reaction: Reaction | None = None
    followed: bool = False
    #: Measured effects in a later round (tracker.actions.effects), for groups large enough.
    effects: list = field(default_factory=list)


@dataclass
class PublicFinding:
    finding: Finding
    sentence: str
    actions: list[PublicAction]
    #: Actions that also follow this finding, told in full under an earlier one on the page.
    told_above: list[PublicAction] = field(default_factory=list)


@dataclass
class DepartmentPage:
    round: SurveyRound
    department: Department
    respondents: int | None
    anonymous_enough: bool
    findings: list[PublicFinding]
    quotes: list[SurveyComment]
    follows_department: bool
    #: Public actions the department took without a finding ("Ook op eigen initiatief").
    own_initiatives: list[PublicAction] = field(default_factory=list)
    #: The department's score per theme in this round, the previous round and the benchmark.
    themes: list[ThemeScore] = field(default_factory=list)


@dataclass
class Poster:
    """What fits on one printed page: the first findings with a public action or a decision
    not to act, each with at most two things done (an action, or the reason not to act), and
    how many more findings the page behind the QR code has."""

    findings: list[PublicFinding]
    more: int


#: A poster is read from two metres: few points, large type.
POSTER_FINDINGS = 3
POSTER_ACTIONS = 2


def poster(page: DepartmentPage) -> Poster:
    told = [
        item for item in page.findings if item.actions or item.finding.triage is Triage.no_action
    ]
    shown = [
        # The reason not to act takes the place of an action.
        PublicFinding(
            item.finding,
            item.sentence,
            item.actions[: POSTER_ACTIONS - (item.finding.triage is Triage.no_action)],
        )
        for item in told[:POSTER_FINDINGS]
    ]
    return Poster(shown, len(told) - len(shown))


def _last_public_updates(action_ids: list[int]) -> dict[int, ProgressUpdate]:
    if not action_ids:
        return {}
    latest = (
        select(ProgressUpdate.action_id, func.max(ProgressUpdate.id).label("id"))
        .where(ProgressUpdate.action_id.in_(action_ids), ProgressUpdate.public.is_(True))
        .group_by(ProgressUpdate.action_id)
        .subquery()
    )
    updates = db.session.scalars(
        select(ProgressUpdate).join(latest, latest.c.id == ProgressUpdate.id)
    )
    return {u.action_id: u for u in updates}


def _reactions(action_ids: list[int], user_id: int | None):
    counts: dict[tuple[int, Verdict], int] = {}
    comments: dict[int, list[Reaction]] = {}
    mine: dict[int, Reaction] = {}
    if not action_ids:
        return counts, comments, mine
    for action_id, verdict, count in db.session.execute(
        select(Reaction.action_id, Reaction.verdict, func.count(Reaction.id))
        .where(Reaction.action_id.in_(action_ids))
        .group_by(Reaction.action_id, Reaction.verdict)
    ):
        counts[(action_id, verdict)] = count
    shown = db.session.scalars(
        select(Reaction)
        .where(
            Reaction.action_id.in_(action_ids),
            (Reaction.comment_status == CommentStatus.approved)
            | (Reaction.user_id == (user_id or -1)),
        )
        .order_by(Reaction.updated_at)
    ).all()
    for reaction in shown:
        if reaction.user_id == user_id:
            mine[reaction.action_id] = reaction
        if reaction.comment_status is CommentStatus.approved:
            comments.setdefault(reaction.action_id, []).append(reaction)
    return counts, comments, mine


def department_page(
    round_: SurveyRound, department: Department, organisation: Organisation, user_id: int | None
) -> DepartmentPage:
    threshold = organisation.anonymity_threshold
    respondents = db.session.scalar(
        select(RoundParticipation.respondents).where(
            RoundParticipation.round_id == round_.id,
            RoundParticipation.department_id == department.id,
        )
    )
    anonymous_enough = respondents is not None and respondents >= threshold
    findings = db.session.scalars(
        select(Finding)
        .where(
            Finding.round_id == round_.id,
            Finding.department_id == department.id,
            Finding.triage.in_(TRIAGED),
        )
        .options(joinedload(Finding.question).joinedload(Question.theme))
        .join(Question, Finding.question_id == Question.id)
        .order_by(case((Finding.triage == Triage.strength, 1), else_=0), Question.position)
    ).all()
    rounds = db.session.scalars(select(SurveyRound).order_by(SurveyRound.held_on)).all()
    lines = public_lines(rounds, round_id=round_.id, department_id=department.id)
    pairs = [(line.finding_id, line.action_id) for line in lines if line.finding_id]
    own_initiatives = sorted({line.action_id for line in lines if line.finding_id is None})
    action_ids = sorted({line.action_id for line in lines})
    actions = (
        {
            a.id: a
            for a in db.session.scalars(
                select(ImprovementAction)
                .where(ImprovementAction.id.in_(action_ids))
                .options(
                    joinedload(ImprovementAction.owner), selectinload(ImprovementAction.findings)
                )
            )
        }
        if action_ids
        else {}
    )
    updates = _last_public_updates(action_ids)
    counts, comments, mine = _reactions(action_ids, user_id)
    effects = action_effects(list(actions.values()), threshold, kept=True) if actions else {}
    followed = set()
    follows_department = False
    if user_id:
        for follow in db.session.scalars(select(Follow).where(Follow.user_id == user_id)):
            followed.add(follow.action_id)
            follows_department |= follow.department_id == department.id
    public_actions_by_id = {
        action_id: PublicAction(
            action=action,
            owner_name=action.owner.name if department.publish_owner_names else None,
            last_update=updates.get(action_id),
            helps=counts.get((action_id, Verdict.helps), 0),
            not_yet=counts.get((action_id, Verdict.not_yet), 0),
            comments=comments.get(action_id, []),
            my_reaction=mine.get(action_id),
            followed=action_id in followed,
            # Done actions: what the next round measured, or why that cannot be said yet.
            effects=[
                e
                for e in effects.get(action_id, [])
                if action.status is ActionStatus.done and e.verdict.value != "not_done"
            ],
        )
        for action_id, action in actions.items()
    }
    by_finding: dict[int, list[PublicAction]] = {}
    for finding_id, action_id in pairs:
        by_finding.setdefault(finding_id, []).append(public_actions_by_id[action_id])
    earlier = [r for r in rounds if r.held_on < round_.held_on]
    previous = earlier[-1] if earlier else None
    items = []
    # An action that follows several findings is told in full under the first one only.
    told: set[int] = set()
    for f in findings:
        followed_up = sorted(by_finding.get(f.id, []), key=lambda p: p.action.deadline)
        items.append(
            PublicFinding(
                finding=f,
                sentence=said(f, department.short_name, previous, threshold)
                if anonymous_enough
                else said(_suppressed(f), department.short_name, None, threshold),
                actions=[p for p in followed_up if p.action.id not in told],
                told_above=[p for p in followed_up if p.action.id in told],
            )
        )
        told.update(p.action.id for p in followed_up)
    quotes = (
        db.session.scalars(
            select(SurveyComment)
            .where(
                SurveyComment.round_id == round_.id,
                SurveyComment.department_id == department.id,
                SurveyComment.approved.is_(True),
            )
            .order_by(SurveyComment.id)
        ).all()
        if anonymous_enough
        else []
    )
    return DepartmentPage(
        round_,
        department,
        respondents,
        anonymous_enough,
        items,
        list(quotes),
        follows_department,
        own_initiatives=sorted(
            (public_actions_by_id[a] for a in own_initiatives), key=lambda p: p.action.deadline
        ),
        themes=theme_scores(round_, department, threshold) if anonymous_enough else [],
    )


class _suppressed:
    """A finding seen through the anonymity rule: no score, whatever is stored."""

    def __init__(self, finding: Finding):
        self.question = finding.question
        self.score = None
        self.benchmark = None
        self.previous_score = None


def to_grade(score: float, scale: QuestionScale) -> float:
    """Put a score on the 1-10 scale so themes mixing scales can be averaged and compared."""
    low, high = scale.bounds
    return 1 + (score - low) * 9 / (high - low)


@dataclass(frozen=True)
class ThemeScore:
    """A department's mean per theme on a 1-10 scale: this round, the previous round (the
    same questions' previous scores) and the benchmark; None where there is none."""

    theme: str
    score: float
    previous: float | None
    benchmark: float | None


def theme_scores(round_: SurveyRound, department: Department, threshold: int) -> list[ThemeScore]:
    """One query. Only results of groups at or over the anonymity threshold count; the
    previous round and the benchmark are averaged over the same questions as the score."""
    rows = db.session.execute(
        select(Theme.name, Question.scale, Finding.score, Finding.previous_score, Finding.benchmark)
        .join(Question, Finding.question_id == Question.id)
        .join(Theme, Question.theme_id == Theme.id)
        .where(
            Finding.round_id == round_.id,
            Finding.department_id == department.id,
            Finding.score.is_not(None),
            Finding.suppressed.is_(False),
            Finding.n >= threshold,
            Question.scale != QuestionScale.open,
        )
    ).all()
    grades: dict[str, tuple[list[float], list[float], list[float]]] = {}
    for theme, scale, score, previous, benchmark in rows:
        scores, previous_scores, benchmarks = grades.setdefault(theme, ([], [], []))
        scores.append(to_grade(score, scale))
        if previous is not None:
            previous_scores.append(to_grade(previous, scale))
        if benchmark is not None:
            benchmarks.append(to_grade(benchmark, scale))

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 1) if values else None

    return [
        ThemeScore(theme, mean(scores), mean(previous_scores), mean(benchmarks))
        for theme, (scores, previous_scores, benchmarks) in sorted(grades.items())
    ]


def said(finding, department_name: str, previous: SurveyRound | None, threshold: int) -> str:
    """What colleagues said, in plain words: "Colleagues are less satisfied with ICT on '…':
    5,8 against 7,1 on average. In 2025 this was 6,2." (no statistics)."""
    question = finding.question
    if finding.score is None:
        return _(
            "Fewer than %(threshold)d people answered for %(department)s, so no score is "
            "shown for '%(question)s'.",
            threshold=threshold,
            department=department_name,
            question=question.text,
        )
    values = {
        "department": department_name,
        "question": question.text,
        "score": score_text(finding.score, question.scale),
        "benchmark": score_text(finding.benchmark, question.scale),
    }
    difference = None if finding.benchmark is None else finding.score - finding.benchmark
    if difference is None:
        sentence = _("Colleagues give %(department)s a %(score)s on '%(question)s'.", **values)
    elif difference <= -0.05:
        sentence = _(
            "Colleagues are less satisfied with %(department)s on '%(question)s': %(score)s "
            "against %(benchmark)s on average.",
            **values,
        )
    elif difference >= 0.05:
        sentence = _(
            "Colleagues are more satisfied with %(department)s on '%(question)s': %(score)s "
            "against %(benchmark)s on average.",
            **values,
        )
    else:
        sentence = _(
            "Colleagues are as satisfied with %(department)s on '%(question)s' as on "
            "average: %(score)s.",
            **values,
        )
    if finding.previous_score is not None:
        sentence += " " + _(
            "In %(round)s this was %(previous)s.",
            round=previous.name if previous else _("the previous round"),
            previous=score_text(finding.previous_score, question.scale),
        )
    return sentence


def fingerprint(*parts) -> str:
    """An ETag from what a page shows: changes of any of these parts change it."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def feed_entries(limit: int = 50) -> list[ImprovementAction]:
    """Public actions that were done or declined, newest first: the "we did" feed."""
    return list(
        db.session.scalars(
            select(ImprovementAction)
            .where(
                shown_publicly(),
                ImprovementAction.status.in_((ActionStatus.done, ActionStatus.declined)),
            )
            .options(joinedload(ImprovementAction.department))
            .order_by(ImprovementAction.updated_at.desc())
            .limit(limit)
        )
    )


def news_feed_by_token(token: str) -> NewsFeed | None:
    return db.session.scalar(
        select(NewsFeed).where(NewsFeed.token == token).options(joinedload(NewsFeed.user))
    )
