"""Read helpers for the action pages, exports and other areas (findings pages, meetings).

Each helper loads what its page shows in a fixed number of queries, however many actions,
findings or updates there are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Date, Select, and_, bindparam, case, exists, func, or_, select, union_all
from sqlalchemy.orm import joinedload, noload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from tracker import changes
from tracker.actions.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    PUBLIC_STATUSES,
    ActionChange,
    ActionStatus,
    ActionTemplate,
    DeadlineDecision,
    DeadlineRequest,
    DeclineTemplate,
    ImprovementAction,
    ProgressUpdate,
    Visibility,
    action_co_owner,
    action_finding,
)
from tracker.auth.models import DepartmentMembership, MembershipRole, User
from tracker.extensions import db
from tracker.organisation.models import Department
from tracker.surveys.models import Finding, Question, SurveyRound, Theme, Triage

PER_PAGE = 25


def public_actions():
    """The SQL filter of every public query over actions (pages, feed, messages to
    followers): the same rule as `services.is_public`."""
    return (ImprovementAction.visibility == Visibility.public) & ImprovementAction.status.in_(
        PUBLIC_STATUSES
    )


# --- Dates ----------------------------------------------------------------------------


def quarter_bounds(today: date) -> tuple[date, date]:
    """First and last day of the calendar quarter that holds `today`."""
    first_month = 3 * ((today.month - 1) // 3) + 1
    start = date(today.year, first_month, 1)
    if first_month == 10:
        end = date(today.year, 12, 31)
    else:
        end = date(today.year, first_month + 3, 1) - timedelta(days=1)
    return start, end


# --- Lists with filters -------------------------------------------------------------------

#: Pseudo-statuses a filter may ask for besides the real ones.
OPEN = "open"
CLOSED = "closed"

SORTS = ("deadline", "status", "priority", "owner", "title", "updated", "department")


@dataclass
class ActionFilter:
    """What the department overview, the all-departments overview and the exports show."""

    department_ids: list[int] | None = None
    #: A status value, OPEN, CLOSED or None for all.
    status: str | None = None
    owner_id: int | None = None
    overdue: bool = False
    due_within_days: int | None = None
    round_id: int | None = None
    theme_id: int | None = None
    quick_win: bool = False
    #: Only open actions whose owner's account is deactivated (the owner left).
    owner_left: bool = False
    sort: str = "deadline"
    descending: bool = False


_STATUS_ORDER = case(
    {status.value: index for index, status in enumerate(ActionStatus)},
    value=ImprovementAction.status,
)
_PRIORITY_ORDER = case({"high": 0, "normal": 1, "low": 2}, value=ImprovementAction.priority)

#: Eager loading for list rows: every row's owner in the same query, no query per row.
LIST_OPTIONS = (joinedload(ImprovementAction.owner),)


def filtered_actions(action_filter: ActionFilter, today: date) -> Select:
    query = select(ImprovementAction)
    f = action_filter
    if f.department_ids is not None:
        query = query.where(ImprovementAction.department_id.in_(f.department_ids))
    if f.status == OPEN:
        query = query.where(ImprovementAction.status.in_(OPEN_STATUSES))
    elif f.status == CLOSED:
        query = query.where(ImprovementAction.status.in_(CLOSED_STATUSES))
    elif f.status:
        query = query.where(ImprovementAction.status == ActionStatus(f.status))
    if f.owner_id:
        query = query.where(ImprovementAction.owner_id == f.owner_id)
    if f.overdue:
        query = query.where(
            ImprovementAction.status.in_(OPEN_STATUSES), ImprovementAction.deadline < today
        )
    if f.due_within_days is not None:
        query = query.where(
            ImprovementAction.status.in_(OPEN_STATUSES),
            ImprovementAction.deadline >= today,
            ImprovementAction.deadline <= today + timedelta(days=f.due_within_days),
        )
    if f.round_id:
        query = query.where(
            ImprovementAction.id.in_(
                select(action_finding.c.action_id)
                .join(Finding, Finding.id == action_finding.c.finding_id)
                .where(Finding.round_id == f.round_id)
            )
        )
    if f.theme_id:
        query = query.where(
            ImprovementAction.id.in_(
                select(action_finding.c.action_id)
                .join(Finding, Finding.id == action_finding.c.finding_id)
                .join(Question, Question.id == Finding.question_id)
                .where(Question.theme_id == f.theme_id)
            )
        )
    if f.quick_win:
        query = query.where(ImprovementAction.quick_win.is_(True))
    if f.owner_left:
        query = query.where(
            ImprovementAction.status.in_(OPEN_STATUSES),
            ImprovementAction.owner_id.in_(_deactivated_people()),
        )
    return _sorted(query, f.sort, f.descending)


def _deactivated_people():
    return select(User.id).where(User.active.is_(False))


def owner_left_counts(department_ids: list[int]) -> dict[int, int]:
    """Per department: open actions whose owner left (deactivated account), to be reassigned
    by the department's director. One query per data version (kept: only a commit changes it),
    departments without any left out."""
    if not department_ids:
        return {}
    return changes.kept(
        ("actions.owner_left_counts", tuple(department_ids)),
        lambda: _owner_left_counts(department_ids),
    )


def _owner_left_counts(department_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(ImprovementAction.department_id, func.count(ImprovementAction.id))
        .where(
            ImprovementAction.status.in_(OPEN_STATUSES),
            ImprovementAction.owner_id.in_(_deactivated_people()),
            ImprovementAction.department_id.in_(department_ids),
        )
        .group_by(ImprovementAction.department_id)
    )
    return {department_id: int(count) for department_id, count in rows}


def _sorted(query: Select, sort: str, descending: bool) -> Select:
    if sort == "owner":
        query = query.join(User, User.id == ImprovementAction.owner_id)
        key = User.name
    elif sort == "department":
        query = query.join(Department, Department.id == ImprovementAction.department_id)
        key = Department.name
    else:
        key = {
            "status": _STATUS_ORDER,
            "priority": _PRIORITY_ORDER,
            "title": ImprovementAction.title,
            "updated": ImprovementAction.last_update_at,
        }.get(sort, ImprovementAction.deadline)
    # Never-updated actions last either way, on SQLite and PostgreSQL alike.
    if descending:
        return query.order_by(key.desc().nulls_last(), ImprovementAction.id.desc())
    return query.order_by(key.asc().nulls_last(), ImprovementAction.id)


def page_of(query: Select, page: int, per_page: int = PER_PAGE, with_department: bool = False):
    """A page of actions with their owners (and departments): two queries, a count and
    the rows."""
    options = LIST_OPTIONS + (
        (joinedload(ImprovementAction.department),) if with_department else ()
    )
    return db.paginate(
        query.options(*options),
        page=page,
        per_page=per_page,
        error_out=False,
        count=True,
    )


@dataclass
class ExportData:
    actions: list[ImprovementAction]
    #: action id -> names of its co-owners
    co_owners: dict[int, list[str]]
    #: action id -> the findings it follows up
    findings: dict[int, list[Finding]]


def export_data(query: Select) -> ExportData:
    """Every action of a filtered list with its co-owners and findings, in three queries
    however many rows (no IN-list batches that grow with the list)."""
    actions = list(
        db.session.scalars(
            query.options(
                joinedload(ImprovementAction.owner),
                joinedload(ImprovementAction.department),
            )
        )
    )
    chosen = query.with_only_columns(ImprovementAction.id).order_by(None).scalar_subquery()
    co_owners: dict[int, list[str]] = defaultdict(list)
    for action_id, name in db.session.execute(
        select(action_co_owner.c.action_id, User.name)
        .join(User, User.id == action_co_owner.c.user_id)
        .where(action_co_owner.c.action_id.in_(chosen))
        .order_by(User.name)
    ):
        co_owners[action_id].append(name)
    findings: dict[int, list[Finding]] = defaultdict(list)
    for action_id, finding in db.session.execute(
        select(action_finding.c.action_id, Finding)
        .join(Finding, Finding.id == action_finding.c.finding_id)
        .where(action_finding.c.action_id.in_(chosen))
        .options(joinedload(Finding.round), joinedload(Finding.question))
        .order_by(Finding.id)
    ):
        findings[action_id].append(finding)
    return ExportData(actions, co_owners, findings)


@dataclass
class Counters:
    open: int = 0
    overdue: int = 0
    done_this_quarter: int = 0
    declined: int = 0


def _counters_statement(by_department: bool):
    """Four counts in one statement, each answered from the (department, status, deadline,
    closed_on) index alone. Built once; the values are bound per call."""

    def count(*conditions):
        query = select(func.count()).select_from(ImprovementAction).where(*conditions)
        if by_department:
            query = query.where(
                ImprovementAction.department_id.in_(bindparam("department_ids", expanding=True))
            )
        return query.scalar_subquery()

    is_open = ImprovementAction.status.in_(OPEN_STATUSES)
    return select(
        count(is_open),
        count(is_open, ImprovementAction.deadline < bindparam("today", type_=Date)),
        count(
            ImprovementAction.status == ActionStatus.done,
            ImprovementAction.closed_on >= bindparam("start", type_=Date),
            ImprovementAction.closed_on <= bindparam("end", type_=Date),
        ),
        count(ImprovementAction.status == ActionStatus.declined),
    )


_COUNTERS = {True: _counters_statement(True), False: _counters_statement(False)}


def counters(department_ids: list[int] | None, today: date) -> Counters:
    """The figures that matter in the staff meeting: open, overdue, done this quarter (in the
    organisation's time zone), declined. Kept per data version and day: only a commit or
    midnight changes them."""
    key = tuple(department_ids) if department_ids is not None else None
    return changes.kept(("actions.counters", key, today), lambda: _counters(department_ids, today))


def _counters(department_ids: list[int] | None, today: date) -> Counters:
    start, end = quarter_bounds(today)
    values = {"today": today, "start": start, "end": end}
    if department_ids is not None:
        values["department_ids"] = list(department_ids)
    row = db.session.execute(_COUNTERS[department_ids is not None], values).one()
    return Counters(*(int(value or 0) for value in row))


def involving(user: User):
    """Ids of the actions the user owns or co-owns: two index lookups (an OR of both
    conditions makes SQLite and PostgreSQL read every action of the statuses asked for)."""
    return union_all(
        select(ImprovementAction.id).where(ImprovementAction.owner_id == user.id),
        select(action_co_owner.c.action_id).where(action_co_owner.c.user_id == user.id),
    )


def my_actions(user: User, page: int, include_closed: bool = False):
    """Actions the user owns or co-owns, by deadline (open ones unless asked otherwise),
    with the co-owners of those the user co-owns (the update form asks; one query at most)."""
    query = select(ImprovementAction).where(ImprovementAction.id.in_(involving(user)))
    if not include_closed:
        query = query.where(ImprovementAction.status.in_(OPEN_STATUSES))
    query = query.order_by(ImprovementAction.deadline, ImprovementAction.id)
    pagination = page_of(query, page, with_department=True)
    load_co_owners(a for a in pagination.items if a.owner_id != user.id)
    return pagination


def has_actions(user: User) -> bool:
    # Two index lookups (the menu asks on every page; an OR of both read every action).
    return (
        db.session.scalar(
            select(
                or_(
                    exists().where(ImprovementAction.owner_id == user.id),
                    exists().where(action_co_owner.c.user_id == user.id),
                )
            )
        )
        or False
    )


# --- One action ---------------------------------------------------------------------------


def action_for_page(action_id: int) -> ImprovementAction | None:
    return db.session.scalar(
        select(ImprovementAction)
        .where(ImprovementAction.id == action_id)
        .options(
            joinedload(ImprovementAction.owner),
            joinedload(ImprovementAction.department),
            joinedload(ImprovementAction.created_by),
            selectinload(ImprovementAction.co_owners),
            selectinload(ImprovementAction.findings).options(
                joinedload(Finding.round),
                joinedload(Finding.question).joinedload(Question.theme),
            ),
        )
    )


@dataclass
class TimelineEntry:
    """One moment in an action's history: an update with what it changed, or an edit."""

    at: datetime
    by: User | None
    update: ProgressUpdate | None = None
    changes: list[ActionChange] = field(default_factory=list)


def timeline(action: ImprovementAction) -> list[TimelineEntry]:
    """The audit trail, newest first, in two queries."""
    updates = db.session.scalars(
        select(ProgressUpdate)
        .where(ProgressUpdate.action_id == action.id)
        .options(joinedload(ProgressUpdate.author))
    ).all()
    changes = db.session.scalars(
        select(ActionChange)
        .where(ActionChange.action_id == action.id)
        .options(joinedload(ActionChange.changed_by))
        .order_by(ActionChange.id)
    ).all()
    entries: dict[tuple, TimelineEntry] = {}
    for update in updates:
        entries[("u", update.id)] = TimelineEntry(update.created_at, update.author, update)
    for change in changes:
        key = (
            ("u", change.update_id)
            if change.update_id
            else ("c", change.changed_at, change.changed_by_id)
        )
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = TimelineEntry(change.changed_at, change.changed_by)
        entry.changes.append(change)
    return sorted(
        entries.values(),
        key=lambda e: (e.at, e.update.id if e.update else 0, e.changes[0].id if e.changes else 0),
        reverse=True,
    )


def changes_since(action_id: int, version: int | None) -> list[ActionChange]:
    """What others changed after a form was opened at `version` (for the conflict message)."""
    query = (
        select(ActionChange)
        .where(ActionChange.action_id == action_id)
        .options(joinedload(ActionChange.changed_by))
        .order_by(ActionChange.id)
    )
    if version is not None:
        query = query.where(ActionChange.version > version)
    else:
        query = query.limit(0)
    return list(db.session.scalars(query))


def pending_deadline_requests(action_id: int) -> list[DeadlineRequest]:
    return list(
        db.session.scalars(
            select(DeadlineRequest)
            .where(
                DeadlineRequest.action_id == action_id,
                DeadlineRequest.decision == DeadlineDecision.pending,
            )
            .options(joinedload(DeadlineRequest.requested_by))
            .order_by(DeadlineRequest.id)
        )
    )


def pending_requests_by_action(action_ids) -> dict[int, DeadlineRequest]:
    """The latest pending request for a new deadline of each action: one query."""
    ids = list(action_ids)
    if not ids:
        return {}
    requests = db.session.scalars(
        select(DeadlineRequest)
        .where(
            DeadlineRequest.action_id.in_(ids),
            DeadlineRequest.decision == DeadlineDecision.pending,
        )
        .order_by(DeadlineRequest.id)
    )
    return {r.action_id: r for r in requests}


# --- For the findings pages ---------------------------------------------------------------


def actions_by_finding(finding_ids) -> dict[int, list[ImprovementAction]]:
    """The actions that follow up each finding, in one query (plus one for co-owners)."""
    finding_ids = list(finding_ids)
    result: dict[int, list[ImprovementAction]] = {fid: [] for fid in finding_ids}
    if not finding_ids:
        return result
    rows = db.session.execute(
        select(action_finding.c.finding_id, ImprovementAction)
        .join(ImprovementAction, ImprovementAction.id == action_finding.c.action_id)
        .where(action_finding.c.finding_id.in_(finding_ids))
        .options(joinedload(ImprovementAction.owner), noload(ImprovementAction.co_owners))
        .order_by(ImprovementAction.deadline, ImprovementAction.id)
    )
    for finding_id, action in rows:
        result[finding_id].append(action)
    load_co_owners({a.id: a for actions in result.values() for a in actions}.values())
    return result


#: Actions listed under one finding on the results page; the others are counted and linked.
ACTIONS_PER_FINDING = 10


@dataclass
class FirstActions:
    """Per finding: its first actions by deadline, and how many it has in all."""

    actions: dict[int, list[ImprovementAction]]
    totals: dict[int, int]


def first_actions_by_finding(finding_ids, limit: int = ACTIONS_PER_FINDING) -> FirstActions:
    """`actions_by_finding`, at most `limit` per finding, with the number of all of them: the
    same two queries however many actions a finding has."""
    finding_ids = list(finding_ids)
    result = FirstActions({fid: [] for fid in finding_ids}, dict.fromkeys(finding_ids, 0))
    if not finding_ids:
        return result
    order = (ImprovementAction.deadline, ImprovementAction.id)
    links = (
        select(
            action_finding.c.finding_id,
            action_finding.c.action_id,
            func.row_number()
            .over(partition_by=action_finding.c.finding_id, order_by=order)
            .label("place"),
            func.count().over(partition_by=action_finding.c.finding_id).label("total"),
        )
        .join(ImprovementAction, ImprovementAction.id == action_finding.c.action_id)
        .where(action_finding.c.finding_id.in_(finding_ids))
        .subquery()
    )
    rows = db.session.execute(
        select(links.c.finding_id, links.c.total, ImprovementAction)
        .join(ImprovementAction, ImprovementAction.id == links.c.action_id)
        .where(links.c.place <= limit)
        .options(joinedload(ImprovementAction.owner), noload(ImprovementAction.co_owners))
        .order_by(*order)
    )
    for finding_id, total, action in rows:
        result.actions[finding_id].append(action)
        result.totals[finding_id] = total
    load_co_owners({a.id: a for actions in result.actions.values() for a in actions}.values())
    return result


def load_co_owners(actions) -> None:
    """Fill the co-owners of these actions in one query, however many there are (selectinload
    takes one per 500 actions)."""
    actions = {action.id: action for action in actions}
    if not actions:
        return
    found: dict[int, list[User]] = {action_id: [] for action_id in actions}
    rows = db.session.execute(
        select(action_co_owner.c.action_id, User)
        .join(User, User.id == action_co_owner.c.user_id)
        .where(action_co_owner.c.action_id.in_(list(actions)))
        .order_by(User.name)
    )
    for action_id, user in rows:
        found[action_id].append(user)
    for action_id, action in actions.items():
        set_committed_value(action, "co_owners", found[action_id])


def findings_for_linking(department_id: int, linked_ids=()) -> list[Finding]:
    """Findings an action of this department can follow up: those triaged 'act on it' and
    those proposed by the rules, newest round first, plus the ones already linked."""
    linked_ids = list(linked_ids)
    condition = and_(
        or_(Finding.triage == Triage.act, Finding.proposed.is_(True)),
        Finding.triage.notin_((Triage.no_action, Triage.strength)),
    )
    if linked_ids:
        condition = or_(condition, Finding.id.in_(linked_ids))
    condition = and_(Finding.department_id == department_id, condition)
    return list(
        db.session.scalars(
            select(Finding)
            .join(SurveyRound, SurveyRound.id == Finding.round_id)
            .where(condition)
            .options(
                joinedload(Finding.round), joinedload(Finding.question).joinedload(Question.theme)
            )
            .order_by(SurveyRound.held_on.desc(), Finding.triage, Finding.id)
        )
    )


# --- Choices for the forms ----------------------------------------------------------------


def owner_candidates(department_id: int) -> tuple[list[User], list[User]]:
    """(the department's staff and directors, every other active user), each by name."""
    people = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    members = set(
        db.session.scalars(
            select(DepartmentMembership.user_id).where(
                DepartmentMembership.department_id == department_id
            )
        )
    )
    return [u for u in people if u.id in members], [u for u in people if u.id not in members]


def staff_owner_choices(department_ids: list[int] | None) -> list[tuple[int, str]]:
    """People who own actions in these departments (for the owner filter)."""
    owners = select(ImprovementAction.owner_id)
    if department_ids is not None:
        owners = owners.where(ImprovementAction.department_id.in_(department_ids))
    query = select(User.id, User.name).where(User.id.in_(owners)).order_by(User.name)
    return [(row.id, row.name) for row in db.session.execute(query)]


def round_choices() -> list[tuple[int, str]]:
    query = select(SurveyRound.id, SurveyRound.name).order_by(SurveyRound.held_on.desc())
    return [(row.id, row.name) for row in db.session.execute(query)]


def theme_choices() -> list[tuple[int, str]]:
    return [
        (row.id, row.name)
        for row in db.session.execute(select(Theme.id, Theme.name).order_by(Theme.name))
    ]


def users_by_id(ids) -> dict[int, User]:
    ids = list(ids)
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def findings_by_id(ids) -> list[Finding]:
    ids = list(ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Finding)
            .where(Finding.id.in_(ids))
            .options(joinedload(Finding.round), joinedload(Finding.question))
        )
    )


# --- Libraries ----------------------------------------------------------------------------


def action_templates(include_inactive: bool = False) -> list[ActionTemplate]:
    query = (
        select(ActionTemplate)
        .options(joinedload(ActionTemplate.theme))
        .order_by(ActionTemplate.title)
    )
    if not include_inactive:
        query = query.where(ActionTemplate.active.is_(True))
    return list(db.session.scalars(query))


def suggested_templates(theme_ids) -> tuple[list[ActionTemplate], list[ActionTemplate]]:
    """(templates of these themes, the other active templates)."""
    theme_ids = set(theme_ids)
    templates = action_templates()
    return (
        [t for t in templates if t.theme_id in theme_ids],
        [t for t in templates if t.theme_id not in theme_ids],
    )


def decline_templates(include_inactive: bool = False) -> list[DeclineTemplate]:
    query = select(DeclineTemplate).order_by(DeclineTemplate.constraint, DeclineTemplate.title)
    if not include_inactive:
        query = query.where(DeclineTemplate.active.is_(True))
    return list(db.session.scalars(query))


# --- Roll-up for the services directorate ------------------------------------------------


@dataclass
class RollupRow:
    department: Department
    findings_without_action: int = 0
    open: int = 0
    overdue: int = 0
    done: int = 0
    done_on_time: int = 0
    declined: int = 0
    last_update_at: datetime | None = None

    @property
    def on_time_rate(self) -> float | None:
        """Share of done actions finished by their (agreed) deadline; None without any."""
        return self.done_on_time / self.done if self.done else None


def rollup(today: date) -> list[RollupRow]:
    """Per active department: the follow-up at a glance, in three queries."""
    departments = db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.name)
    ).all()
    rows = {d.id: RollupRow(d) for d in departments}
    is_open = ImprovementAction.status.in_(OPEN_STATUSES)
    is_done = ImprovementAction.status == ActionStatus.done
    counts = db.session.execute(
        select(
            ImprovementAction.department_id,
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((and_(is_open, ImprovementAction.deadline < today), 1), else_=0)),
            func.sum(case((is_done, 1), else_=0)),
            func.sum(
                case(
                    (and_(is_done, ImprovementAction.closed_on <= ImprovementAction.deadline), 1),
                    else_=0,
                )
            ),
            func.sum(case((ImprovementAction.status == ActionStatus.declined, 1), else_=0)),
            func.max(ImprovementAction.last_update_at),
        ).group_by(ImprovementAction.department_id)
    )
    for department_id, open_, overdue, done, on_time, declined, last_update in counts:
        row = rows.get(department_id)
        if row is None:
            continue
        row.open, row.overdue, row.done = int(open_ or 0), int(overdue or 0), int(done or 0)
        row.done_on_time, row.declined = int(on_time or 0), int(declined or 0)
        row.last_update_at = last_update
    unfollowed = db.session.execute(
        select(Finding.department_id, func.count(Finding.id))
        .where(
            Finding.triage == Triage.act,
            ~exists().where(action_finding.c.finding_id == Finding.id),
        )
        .group_by(Finding.department_id)
    )
    for department_id, count in unfollowed:
        if department_id in rows:
            rows[department_id].findings_without_action = int(count)
    return list(rows.values())


def user_departments(user: User) -> list[Department]:
    """Departments the user directs (admins: all active ones), for links and filters."""
    query = select(Department).where(Department.active.is_(True)).order_by(Department.name)
    if not user.is_admin:
        query = query.where(
            Department.id.in_(
                select(DepartmentMembership.department_id).where(
                    DepartmentMembership.user_id == user.id,
                    DepartmentMembership.role == MembershipRole.director,
                )
            )
        )
    return list(db.session.scalars(query))
