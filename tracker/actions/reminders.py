"""What is due for whom: deadline and overdue reminders (with the owners' weekly overview),
escalations to directors, and the directors' weekly digest. Each function reads the action
models, renders one message per recipient and puts it in the outbox; it flushes, the job
commits.

Days are calendar days in the organisation's time zone. A daily job covers the *window* of
days since its last successful run up to today, so a run missed during downtime is caught up
by the next run, once: every reminder point that fell in the missed days is in that one
message. Each message has an idempotency key of (kind, recipient, day or week).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Date, Integer, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.expression import FunctionElement

from tracker import calendars, clock
from tracker.actions.models import (
    OPEN_STATUSES,
    ActionChange,
    ActionStatus,
    ImprovementAction,
    action_co_owner,
)
from tracker.auth.models import DepartmentMembership, MembershipRole, User
from tracker.extensions import db
from tracker.formatting import DAY_PATTERN
from tracker.notifications import services as outbox
from tracker.notifications.rendering import app_path, signed_link
from tracker.organisation.models import Department
from tracker.organisation.queries import get_organisation
from tracker.rendering import absolute_url

# --- Days -------------------------------------------------------------------------------


class days_between(FunctionElement):
    """Whole days from `earlier` to `later` (two dates), on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


@dataclass(frozen=True)
class Settings:
    days_before: tuple[int, ...]
    overdue_every: int
    escalation_days: int
    digest_weekday: int

    @classmethod
    def current(cls) -> Settings:
        """The organisation's settings page, else the installation's defaults (config)."""
        from tracker.organisation.services import reminder_settings

        days_before, escalation_days = reminder_settings(get_organisation())
        config = current_app.config
        return cls(
            days_before,
            max(int(config["OVERDUE_REMINDER_DAYS"]), 1),
            escalation_days,
            int(config["DIGEST_WEEKDAY"]) % 7,
        )


def reminder_condition(days: clock.Window, settings: Settings):
    """Open actions with a reminder point in the window: `d` days before the deadline for
    each configured `d`, and every `overdue_every` days after it."""
    deadline = ImprovementAction.deadline
    points = [
        and_(deadline >= days.first + timedelta(days=d), deadline <= days.today + timedelta(days=d))
        for d in settings.days_before
    ]
    every = settings.overdue_every
    overdue = deadline <= days.today - timedelta(days=every)
    if days.width < every:
        # A point deadline + k*every (k >= 1) falls in the window.
        overdue_days = days_between(literal(days.today, Date), deadline)
        overdue = and_(overdue, overdue_days % every < days.width)
    points.append(overdue)
    return and_(ImprovementAction.status.in_(OPEN_STATUSES), or_(*points))


def due_reminders_query(days: clock.Window, settings: Settings):
    """The due actions as plain rows (id): the one query a quiet run costs."""
    return select(ImprovementAction.id).where(reminder_condition(days, settings))


# --- Shared pieces ------------------------------------------------------------------------


def _load_actions(ids) -> list[ImprovementAction]:
    ids = list(ids)
    actions: list[ImprovementAction] = []
    for start in range(0, len(ids), 500):
        actions.extend(
            db.session.scalars(
                select(ImprovementAction)
                .where(ImprovementAction.id.in_(ids[start : start + 500]))
                .options(
                    joinedload(ImprovementAction.owner),
                    joinedload(ImprovementAction.department),
                    selectinload(ImprovementAction.co_owners),
                )
            ).unique()
        )
    return sorted(actions, key=lambda a: (a.deadline, a.id))


def _people(action: ImprovementAction) -> list[User]:
    """The owner and co-owners who can still act (active accounts)."""
    people = [action.owner, *action.co_owners]
    seen: set[int] = set()
    return [p for p in people if p.active and not (p.id in seen or seen.add(p.id))]


@dataclass
class ActionLine:
    """One action in a message, with its links."""

    action: ImprovementAction
    #: Days until the deadline (negative: days past it).
    days_left: int
    link: str
    update_link: str | None = None

    @property
    def overdue(self) -> int:
        return -self.days_left


def _line(action: ImprovementAction, today: date, user: User | None = None) -> ActionLine:
    link = absolute_url("actions.action", action_id=action.id)
    update = None
    if user is not None:
        update = signed_link(app_path("actions.action", action_id=action.id) + "#h-update", user.id)
    return ActionLine(action, (action.deadline - today).days, link, update)


@dataclass
class SocialProof:
    department: str
    on_track: int
    open: int


def social_proof(department_ids, today: date) -> dict[int, SocialProof]:
    """Per department: how many of its open actions are on track (deadline not passed).
    Only where it is worth saying: at least 3 open and at least half of them on track."""
    department_ids = list(department_ids)
    if not department_ids:
        return {}
    rows = db.session.execute(
        select(
            Department.id,
            Department.short_name,
            func.count(ImprovementAction.id),
            func.coalesce(func.sum(case((ImprovementAction.deadline >= today, 1), else_=0)), 0),
        )
        .join(ImprovementAction, ImprovementAction.department_id == Department.id)
        .where(Department.id.in_(department_ids), ImprovementAction.status.in_(OPEN_STATUSES))
        .group_by(Department.id, Department.short_name)
    )
    proof = {}
    for department_id, name, total, on_track in rows:
        if total >= 3 and 2 * int(on_track) >= total:
            proof[department_id] = SocialProof(name, int(on_track), int(total))
    return proof


def _deadline_calendar(lines: list[ActionLine], now: datetime) -> outbox.Attachment | None:
    """An .ics with an all-day event per coming deadline (stable UIDs: importing it again
    updates the event instead of adding one)."""
    coming = [line for line in lines if line.days_left >= 0]
    if not coming:
        return None
    result = calendars.calendar("PUBLISH")
    for line in coming:
        action = line.action
        result.add_component(
            calendars.deadline_event(action.id, action.title, action.deadline, line.link, now)
        )
    return outbox.Attachment("deadlines.ics", "text/calendar", result.to_ical().decode())


# --- Owners: reminders and the weekly overview -------------------------------------------


def reminder_key(user_id: int, day: date) -> str:
    return f"reminder:user:{user_id}:{day.isoformat()}"


def _owner_subject(due: list[ActionLine], overview: bool) -> str:
    if len(due) == 1:
        line = due[0]
        if line.days_left > 0:
            return _(
                "Deadline on %(date)s: %(title)s",
                date=_format_date(line.action.deadline),
                title=line.action.title,
            )
        if line.days_left == 0:
            return _("Deadline today: %(title)s", title=line.action.title)
        return _("Past the deadline: %(title)s", title=line.action.title)
    if due:
        return _("Reminder: %(count)s improvement actions need your attention", count=len(due))
    if overview:
        return _("Your improvement actions this week")
    return ""


def _format_date(day: date) -> str:
    from flask_babel import format_date

    return format_date(day, DAY_PATTERN)


def remind_owners(now: datetime, since: datetime | None) -> dict:
    """One message per owner (and co-owner) bundling every action with a reminder point in
    the window, plus, when the digest weekday is in it, the overview of all their open
    actions (unless they opted out). At most one per person per day (the key)."""
    days = clock.window(since, now)
    if days is None:
        return {"queued": 0}
    settings = Settings.current()
    due_ids = list(db.session.scalars(due_reminders_query(days, settings)))
    overview_day = any(
        (days.first + timedelta(days=i)).weekday() == settings.digest_weekday
        for i in range(min(days.width, 7))
    )
    due_by_user: dict[int, list[ImprovementAction]] = defaultdict(list)
    users: dict[int, User] = {}
    for action in _load_actions(due_ids):
        for person in _people(action):
            users[person.id] = person
            due_by_user[person.id].append(action)
    overview_by_user: dict[int, list[ImprovementAction]] = defaultdict(list)
    if overview_day:
        for action in _open_actions_of_digest_readers():
            for person in _people(action):
                if not person.digest_opt_out:
                    users[person.id] = person
                    overview_by_user[person.id].append(action)
    keys = {uid: reminder_key(uid, days.today) for uid in users}
    done = outbox.existing_keys(keys.values())
    todo = [uid for uid in sorted(users) if keys[uid] not in done]
    if not todo:
        return {"queued": 0}
    departments = {a.department_id for uid in todo for a in due_by_user[uid]}
    proof = social_proof(departments, days.today)
    queued = 0
    for uid in todo:
        user = users[uid]
        with force_locale(outbox.recipient_locale(user)):
            due = [_line(a, days.today, user) for a in due_by_user[uid]]
            overview = [
                _line(a, days.today, user)
                for a in sorted(overview_by_user[uid], key=lambda a: (a.deadline, a.id))
            ]
            subject = _owner_subject(due, bool(overview))
            calendar = _deadline_calendar(due, now)
        queued += outbox.mail_person(
            user,
            key=keys[uid],
            kind="reminder" if due else "owner-digest",
            template="owner_reminder",
            subject=subject,
            now=now,
            attachments=[calendar] if calendar else [],
            coming=[line for line in due if line.days_left >= 0],
            overdue=[line for line in due if line.days_left < 0],
            overview=overview,
            proof=[
                proof[d] for d in sorted({line.action.department_id for line in due}) if d in proof
            ],
            my_actions=absolute_url("actions.mine"),
            account=absolute_url("auth.account"),
        )
    return {"queued": queued}


def _open_actions_of_digest_readers() -> list[ImprovementAction]:
    """Every open action of owners who did not opt out of the overview (and co-owners)."""
    readers = select(User.id).where(User.active.is_(True), User.digest_opt_out.is_(False))
    ids = db.session.scalars(
        select(ImprovementAction.id).where(
            ImprovementAction.status.in_(OPEN_STATUSES),
            or_(
                ImprovementAction.owner_id.in_(readers),
                ImprovementAction.id.in_(
                    select(action_co_owner.c.action_id).where(
                        action_co_owner.c.user_id.in_(readers)
                    )
                ),
            ),
        )
    )
    return _load_actions(ids)


# --- Directors: escalations ---------------------------------------------------------------


def escalation_key(user_id: int, day: date) -> str:
    return f"escalation:user:{user_id}:{day.isoformat()}"


def _directors_of(department_ids) -> dict[int, list[User]]:
    """Active directors per department."""
    department_ids = list(department_ids)
    if not department_ids:
        return {}
    rows = db.session.execute(
        select(DepartmentMembership.department_id, User)
        .join(User, User.id == DepartmentMembership.user_id)
        .where(
            DepartmentMembership.department_id.in_(department_ids),
            DepartmentMembership.role == MembershipRole.director,
            User.active.is_(True),
        )
        .order_by(User.id)
    )
    directors: dict[int, list[User]] = defaultdict(list)
    for department_id, user in rows:
        directors[department_id].append(user)
    return directors


def escalate_overdue(now: datetime, since: datetime | None) -> dict:
    """Actions that became `escalation_days` past their deadline on a day in the window go
    to their department's directors: one message per director. Not opt-out-able."""
    days = clock.window(since, now)
    if days is None:
        return {"queued": 0}
    settings = Settings.current()
    late = timedelta(days=settings.escalation_days)
    ids = db.session.scalars(
        select(ImprovementAction.id).where(
            ImprovementAction.status.in_(OPEN_STATUSES),
            ImprovementAction.deadline >= days.first - late,
            ImprovementAction.deadline <= days.today - late,
        )
    )
    actions = _load_actions(ids)
    directors = _directors_of({a.department_id for a in actions})
    by_director: dict[int, list[ImprovementAction]] = defaultdict(list)
    people: dict[int, User] = {}
    for action in actions:
        for director in directors.get(action.department_id, []):
            people[director.id] = director
            by_director[director.id].append(action)
    keys = {uid: escalation_key(uid, days.today) for uid in people}
    done = outbox.existing_keys(keys.values())
    queued = 0
    for uid in sorted(people):
        if keys[uid] in done:
            continue
        director = people[uid]
        with force_locale(outbox.recipient_locale(director)):
            lines = [_line(a, days.today) for a in by_director[uid]]
            if len(lines) == 1:
                subject = _(
                    "Escalation: %(title)s is %(days)s days past its deadline",
                    title=lines[0].action.title,
                    days=lines[0].overdue,
                )
            else:
                subject = _(
                    "Escalation: %(count)s improvement actions are long past their deadline",
                    count=len(lines),
                )
        queued += outbox.mail_person(
            director,
            key=keys[uid],
            kind="escalation",
            template="escalation",
            subject=subject,
            now=now,
            lines=lines,
            escalation_days=settings.escalation_days,
        )
    return {"queued": queued}


# --- Directors: the weekly digest ---------------------------------------------------------


def digest_key(user_id: int, day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"digest-director:user:{user_id}:{year}-W{week:02d}"


@dataclass
class DepartmentDigest:
    department: Department
    open: int = 0
    overdue: list[ActionLine] = field(default_factory=list)
    changed: list[ActionLine] = field(default_factory=list)
    done: list[ActionLine] = field(default_factory=list)
    link: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.open or self.changed or self.done)


def director_digest(now: datetime, since: datetime | None) -> dict:
    """Per director, their departments over the past 7 days: open, overdue, changed, done.
    One message per director per ISO week."""
    today = clock.today(now)
    start = today - timedelta(days=6)
    memberships = db.session.execute(
        select(DepartmentMembership.department_id, User)
        .join(User, User.id == DepartmentMembership.user_id)
        .join(Department, Department.id == DepartmentMembership.department_id)
        .where(
            DepartmentMembership.role == MembershipRole.director,
            User.active.is_(True),
            Department.active.is_(True),
        )
    ).all()
    directors: dict[int, User] = {}
    departments_of: dict[int, set[int]] = defaultdict(set)
    for department_id, user in memberships:
        directors[user.id] = user
        departments_of[user.id].add(department_id)
    keys = {uid: digest_key(uid, today) for uid in directors}
    done_keys = outbox.existing_keys(keys.values())
    todo = [uid for uid in sorted(directors) if keys[uid] not in done_keys]
    if not todo:
        return {"queued": 0}
    department_ids = sorted({d for uid in todo for d in departments_of[uid]})
    departments = {
        d.id: d
        for d in db.session.scalars(select(Department).where(Department.id.in_(department_ids)))
    }
    open_counts = dict(
        db.session.execute(
            select(ImprovementAction.department_id, func.count(ImprovementAction.id))
            .where(
                ImprovementAction.department_id.in_(department_ids),
                ImprovementAction.status.in_(OPEN_STATUSES),
            )
            .group_by(ImprovementAction.department_id)
        ).all()
    )
    overdue_ids = set(
        db.session.scalars(
            select(ImprovementAction.id).where(
                ImprovementAction.department_id.in_(department_ids),
                ImprovementAction.status.in_(OPEN_STATUSES),
                ImprovementAction.deadline < today,
            )
        )
    )
    done_ids = set(
        db.session.scalars(
            select(ImprovementAction.id).where(
                ImprovementAction.department_id.in_(department_ids),
                ImprovementAction.status == ActionStatus.done,
                ImprovementAction.closed_on >= start,
                ImprovementAction.closed_on <= today,
            )
        )
    )
    changed_ids = (
        set(
            db.session.scalars(
                select(ActionChange.action_id)
                .distinct()
                .join(ImprovementAction, ImprovementAction.id == ActionChange.action_id)
                .where(
                    ImprovementAction.department_id.in_(department_ids),
                    ActionChange.changed_at >= clock.local_midnight(start),
                )
            )
        )
        - done_ids
    )
    actions = {a.id: a for a in _load_actions(overdue_ids | done_ids | changed_ids)}
    queued = 0
    for uid in todo:
        director = directors[uid]
        with force_locale(outbox.recipient_locale(director)):
            digests = []
            for department_id in sorted(departments_of[uid], key=lambda d: departments[d].name):
                digest = DepartmentDigest(
                    departments[department_id],
                    open=open_counts.get(department_id, 0),
                    link=absolute_url("actions.department_actions", department_id=department_id),
                )
                for ids, target in (
                    (overdue_ids, digest.overdue),
                    (changed_ids, digest.changed),
                    (done_ids, digest.done),
                ):
                    target.extend(
                        _line(actions[i], today)
                        for i in sorted(ids, key=lambda i: (actions[i].deadline, i))
                        if actions[i].department_id == department_id
                    )
                digests.append(digest)
            if all(d.is_empty for d in digests):
                continue
            subject = _(
                "Weekly overview of improvement actions, week %(week)s", week=today.isocalendar()[1]
            )
        queued += outbox.mail_person(
            director,
            key=keys[uid],
            kind="director-digest",
            template="director_digest",
            subject=subject,
            now=now,
            digests=digests,
            start=start,
            today=today,
            overview=absolute_url("actions.overview"),
        )
    return {"queued": queued}
