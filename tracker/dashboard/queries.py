"""What the start page shows each role: what needs them now. Every part is a fixed number of
queries, however many actions, requests or findings there are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload

from tracker.actions.models import (
    OPEN_STATUSES,
    ActionChange,
    DeadlineDecision,
    DeadlineRequest,
    ImprovementAction,
    ProgressUpdate,
)
from tracker.actions.queries import involving, pending_requests_by_action, public_actions
from tracker.auth.models import User
from tracker.cocreation.models import CommentStatus, Reaction
from tracker.extensions import db
from tracker.organisation.models import Department
from tracker.surveys.models import Finding, SurveyRound, Triage

#: Longer lists link to the full page instead.
SHOWN = 20
#: Due within this many days counts as "soon" for an owner.
SOON_DAYS = 14


@dataclass
class WaitingCount:
    """Something waiting in one department (of one round), with how many."""

    department: Department
    count: int
    round: SurveyRound | None = None


@dataclass
class WaitingRequest:
    request: DeadlineRequest
    action: ImprovementAction


@dataclass
class DirectorStart:
    deadline_requests: list[WaitingRequest]
    reactions: list[WaitingCount]
    findings: list[WaitingCount]
    overdue: list[ImprovementAction]
    #: More overdue actions than shown.
    more_overdue: bool

    @property
    def empty(self) -> bool:
        return not (self.deadline_requests or self.reactions or self.findings or self.overdue)


def director_start(department_ids, today: date) -> DirectorStart:
    ids = list(department_ids)
    requests = [
        WaitingRequest(request, action)
        for request, action in db.session.execute(
            select(DeadlineRequest, ImprovementAction)
            .join(ImprovementAction, ImprovementAction.id == DeadlineRequest.action_id)
            .where(
                ImprovementAction.department_id.in_(ids),
                DeadlineRequest.decision == DeadlineDecision.pending,
            )
            .options(
                joinedload(ImprovementAction.department),
                joinedload(DeadlineRequest.requested_by),
            )
            .order_by(DeadlineRequest.requested_at, DeadlineRequest.id)
            .limit(SHOWN)
        )
    ]
    reactions = [
        WaitingCount(department, count)
        for department, count in db.session.execute(
            select(Department, func.count(Reaction.id))
            .join(ImprovementAction, ImprovementAction.department_id == Department.id)
            .join(Reaction, Reaction.action_id == ImprovementAction.id)
            .where(Department.id.in_(ids), Reaction.comment_status == CommentStatus.pending)
            .group_by(Department.id)
            .order_by(Department.name)
        )
    ]
    findings = [
        WaitingCount(department, count, round_)
        for round_, department, count in db.session.execute(
            select(SurveyRound, Department, func.count(Finding.id))
            .join(Finding, Finding.round_id == SurveyRound.id)
            .join(Department, Department.id == Finding.department_id)
            .where(
                Finding.department_id.in_(ids),
                # The latest round only: what an older round proposed was passed over then.
                Finding.round_id
                == select(SurveyRound.id)
                .order_by(SurveyRound.held_on.desc(), SurveyRound.id.desc())
                .limit(1)
                .scalar_subquery(),
                Finding.proposed.is_(True),
                Finding.triage == Triage.untriaged,
            )
            .group_by(SurveyRound.id, Department.id)
            .order_by(SurveyRound.held_on.desc(), Department.name)
        )
    ]
    overdue = list(
        db.session.scalars(
            select(ImprovementAction)
            .where(
                ImprovementAction.department_id.in_(ids),
                ImprovementAction.status.in_(OPEN_STATUSES),
                ImprovementAction.deadline < today,
            )
            .options(joinedload(ImprovementAction.owner), joinedload(ImprovementAction.department))
            .order_by(ImprovementAction.deadline, ImprovementAction.id)
            .limit(SHOWN + 1)
        )
    )
    return DirectorStart(requests, reactions, findings, overdue[:SHOWN], len(overdue) > SHOWN)


@dataclass
class OwnerStart:
    overdue: list[ImprovementAction] = field(default_factory=list)
    soon: list[ImprovementAction] = field(default_factory=list)
    later: list[ImprovementAction] = field(default_factory=list)
    #: Action id -> its pending request for a new deadline.
    requested: dict[int, DeadlineRequest] = field(default_factory=dict)
    more: bool = False

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.soon or self.later)


def owner_start(user: User, today: date) -> OwnerStart:
    """The user's open actions by urgency: overdue, due within two weeks, later."""
    actions = list(
        db.session.scalars(
            select(ImprovementAction)
            .where(
                ImprovementAction.id.in_(involving(user)),
                ImprovementAction.status.in_(OPEN_STATUSES),
            )
            .options(joinedload(ImprovementAction.department))
            .order_by(ImprovementAction.deadline, ImprovementAction.id)
            .limit(SHOWN + 1)
        )
    )
    start = OwnerStart(more=len(actions) > SHOWN)
    actions = actions[:SHOWN]
    soon = today + timedelta(days=SOON_DAYS)
    for action in actions:
        if action.deadline < today:
            start.overdue.append(action)
        elif action.deadline <= soon:
            start.soon.append(action)
        else:
            start.later.append(action)
    start.requested = pending_requests_by_action(a.id for a in actions)
    return start


@dataclass
class PublicChange:
    """A public action that changed since the reader's last visit."""

    action: ImprovementAction
    #: Its latest public news since then, if any.
    news: ProgressUpdate | None = None


def public_changes(since: datetime) -> list[PublicChange]:
    """Public actions whose status changed or that got public news since `since`, the most
    recent first: two queries."""
    status_changed = exists().where(
        ActionChange.action_id == ImprovementAction.id,
        ActionChange.field == "status",
        ActionChange.changed_at > since,
    )
    news = exists().where(
        ProgressUpdate.action_id == ImprovementAction.id,
        ProgressUpdate.public.is_(True),
        ProgressUpdate.created_at > since,
    )
    actions = list(
        db.session.scalars(
            select(ImprovementAction)
            .where(
                public_actions(),
                or_(status_changed, news),
            )
            .options(joinedload(ImprovementAction.department))
            .order_by(ImprovementAction.updated_at.desc(), ImprovementAction.id.desc())
            .limit(SHOWN)
        )
    )
    latest: dict[int, ProgressUpdate] = {}
    if actions:
        for update in db.session.scalars(
            select(ProgressUpdate)
            .where(
                ProgressUpdate.action_id.in_([a.id for a in actions]),
                ProgressUpdate.public.is_(True),
                ProgressUpdate.created_at > since,
            )
            .order_by(ProgressUpdate.created_at, ProgressUpdate.id)
        ):
            latest[update.action_id] = update
    return [PublicChange(a, latest.get(a.id)) for a in actions]
