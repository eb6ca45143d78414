"""Read helpers for the "you said, we did" pages. Every query here filters to what may be
public: public actions (not proposed, not cancelled), triaged findings, approved quotes and
comments, and nothing of groups under the anonymity threshold."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import joinedload, selectinload

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
from tracker.surveys.queries import previous_round, summary

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


def overview() -> list[RoundHeadlines]:
    """Per round (latest first) the departments with their headline figures, in 4 queries."""
    rounds = db.session.scalars(select(SurveyRound).order_by(SurveyRound.held_on.desc())).all()
    points = db.session.execute(
        select(Finding.round_id, Finding.department_id, func.count(Finding.id))
        .where(Finding.triage.in_((Triage.act, Triage.no_action)))
        .group_by(Finding.round_id, Finding.department_id)
    ).all()
    # An action that follows up several findings of one round counts once there (counted
    # DISTINCT in one pass, not made distinct in a subquery first).
    on_time = case(
        (ImprovementAction.closed_on <= ImprovementAction.deadline, ImprovementAction.id)
    )
    statuses = db.session.execute(
        select(
            Finding.round_id,
            Finding.department_id,
            ImprovementAction.status,
            func.count(distinct(ImprovementAction.id)),
            func.count(distinct(on_time)),
        )
        .join(action_finding, action_finding.c.finding_id == Finding.id)
        .join(ImprovementAction, ImprovementAction.id == action_finding.c.action_id)
        .where(public_actions())
        .group_by(Finding.round_id, Finding.department_id, ImprovementAction.status)
    ).all()
    departments = {d.id: d for d in db.session.scalars(select(Department))}
    table: dict[tuple[int, int], DepartmentHeadline] = {}

    def row(round_id, department_id):
        key = (round_id, department_id)
        if key not in table:
            table[key] = DepartmentHeadline(departments[department_id])
        return table[key]

    for round_id, department_id, count in points:
        row(round_id, department_id).points = count
    for round_id, department_id, status, count, on_time in statuses:
        headline = row(round_id, department_id)
        setattr(headline, status.value if isinstance(status, ActionStatus) else status, count)
        if (status is ActionStatus.done) or status == "done":
            headline.done_on_time = int(on_time or 0)
    result = []
    for round_ in rounds:
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


@dataclass
class DepartmentPage:
    round: SurveyRound
    department: Department
    respondents: int | None
    anonymous_enough: bool
    findings: list[PublicFinding]
    quotes: list[SurveyComment]
    follows_department: bool


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
    finding_ids = [f.id for f in findings]
    pairs = (
        db.session.execute(
            select(action_finding.c.finding_id, action_finding.c.action_id)
            .join(ImprovementAction, ImprovementAction.id == action_finding.c.action_id)
            .where(action_finding.c.finding_id.in_(finding_ids), public_actions())
        ).all()
        if finding_ids
        else []
    )
    action_ids = sorted({a for _f, a in pairs})
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
            effects=[e for e in effects.get(action_id, []) if e.measured],
        )
        for action_id, action in actions.items()
    }
    by_finding: dict[int, list[PublicAction]] = {}
    for finding_id, action_id in pairs:
        by_finding.setdefault(finding_id, []).append(public_actions_by_id[action_id])
    previous = previous_round(round_)
    items = [
        PublicFinding(
            finding=f,
            sentence=summary(
                f, department.short_name, previous.name if previous else None, threshold
            )
            if anonymous_enough
            else summary(_suppressed(f), department.short_name, None, threshold),
            actions=sorted(by_finding.get(f.id, []), key=lambda p: p.action.deadline),
        )
        for f in findings
    ]
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
        round_, department, respondents, anonymous_enough, items, list(quotes), follows_department
    )


class _suppressed:
    """A finding seen through the anonymity rule: no score, whatever is stored."""

    def __init__(self, finding: Finding):
        self.question = finding.question
        self.score = None
        self.benchmark = None
        self.previous_score = None


@dataclass
class ThemeTrend:
    rounds: list[SurveyRound]
    themes: list[str]
    #: (round id, theme) -> mean score on a 1-10 scale, or None.
    values: dict[tuple[int, str], float | None]


def to_grade(score: float, scale: QuestionScale) -> float:
    """Put a score on the 1-10 scale so themes mixing scales can be averaged and compared."""
    low, high = scale.bounds
    return 1 + (score - low) * 9 / (high - low)


def theme_trend(department_id: int) -> ThemeTrend:
    rows = db.session.execute(
        select(SurveyRound, Theme.name, Question.scale, Finding.score)
        .join(Finding, Finding.round_id == SurveyRound.id)
        .join(Question, Finding.question_id == Question.id)
        .join(Theme, Question.theme_id == Theme.id)
        .where(
            Finding.department_id == department_id,
            Finding.score.is_not(None),
            Question.scale != QuestionScale.open,
        )
        .order_by(SurveyRound.held_on)
    ).all()
    rounds: dict[int, SurveyRound] = {}
    sums: dict[tuple[int, str], list[float]] = {}
    for round_, theme, scale, score in rows:
        rounds[round_.id] = round_
        sums.setdefault((round_.id, theme), []).append(to_grade(score, scale))
    themes = sorted({theme for _r, theme in sums})
    values = {key: round(sum(v) / len(v), 1) for key, v in sums.items()}
    return ThemeTrend(list(rounds.values()), themes, values)


def fingerprint(*parts) -> str:
    """An ETag from what a page shows: changes of any of these parts change it."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def feed_entries(limit: int = 50) -> list[ImprovementAction]:
    """Public actions that were done or declined, newest first: the "we did" feed."""
    return list(
        db.session.scalars(
            select(ImprovementAction)
            .where(
                public_actions(),
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
