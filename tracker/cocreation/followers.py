"""Messages to followers, through the outbox: a short note when a followed action is done or
declined, and a monthly "we did" for followed departments. Idempotent by their outbox keys,
so the daily job may run as often as it likes."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker import clock
from tracker.actions.models import ActionStatus, ImprovementAction
from tracker.actions.queries import public_actions
from tracker.auth.models import User
from tracker.cocreation.models import Follow
from tracker.extensions import db
from tracker.notifications import services as outbox
from tracker.rendering import absolute_url
from tracker.surveys.queries import latest_rounds

CLOSED = (ActionStatus.done, ActionStatus.declined)


def _page_link(department_id: int, rounds: dict[int, int], action_id: int | None = None) -> str:
    if department_id not in rounds:
        return absolute_url("public.overview")
    return absolute_url(
        "public.department",
        _anchor=f"action-{action_id}" if action_id else None,
        round_id=rounds[department_id],
        department_id=department_id,
    )


def notify_closed_actions(now: datetime) -> int:
    """Followers of a public action hear once that it was done or declined (after they
    started following)."""
    follows = _follows_of_closed_actions()
    rounds = latest_rounds() if follows else {}
    queued = 0
    for follow in follows:
        action = follow.action
        if action.closed_on is None or action.closed_on < clock.local_date(follow.created_at):
            continue
        key = f"follow:closed:{action.id}:{action.status.value}:{action.closed_on}:{follow.user_id}"
        done = action.status is ActionStatus.done
        queued += outbox.mail_person(
            follow.user,
            key=key,
            kind="follow_closed",
            template="follow_closed",
            subject=(
                lambda a=action, d=done: (
                    _("Done: %(title)s", title=a.title)
                    if d
                    else _("Decided not to: %(title)s", title=a.title)
                )
            ),
            now=now,
            action=action,
            done=done,
            link=_page_link(action.department_id, rounds, action.id),
        )
    return queued


def _follows_of_closed_actions() -> list[Follow]:
    return list(
        db.session.scalars(
            select(Follow)
            .join(ImprovementAction, ImprovementAction.id == Follow.action_id)
            .where(
                public_actions(),
                ImprovementAction.status.in_(CLOSED),
            )
            .options(joinedload(Follow.user), joinedload(Follow.action))
        )
    )


def _previous_month(today: date) -> tuple[date, date]:
    first_this = today.replace(day=1)
    last_previous = first_this.fromordinal(first_this.toordinal() - 1)
    return last_previous.replace(day=1), last_previous


def send_monthly_digests(now: datetime) -> int:
    """Followers of a department get, once a month, what it did in the previous month."""
    start, end = _previous_month(clock.local_date(now))
    follows = db.session.scalars(
        select(Follow)
        .where(Follow.department_id.is_not(None))
        .options(joinedload(Follow.user), joinedload(Follow.department))
    ).all()
    if not follows:
        return 0
    department_ids = {f.department_id for f in follows}
    done = db.session.scalars(
        select(ImprovementAction)
        .where(
            ImprovementAction.department_id.in_(department_ids),
            public_actions(),
            ImprovementAction.status.in_(CLOSED),
            ImprovementAction.closed_on >= start,
            ImprovementAction.closed_on <= end,
        )
        .order_by(ImprovementAction.closed_on)
    ).all()
    by_department: dict[int, list[ImprovementAction]] = {}
    for action in done:
        by_department.setdefault(action.department_id, []).append(action)
    rounds = latest_rounds()
    per_user: dict[int, list] = {}
    users: dict[int, User] = {}
    for follow in follows:
        if by_department.get(follow.department_id):
            users[follow.user_id] = follow.user
            per_user.setdefault(follow.user_id, []).append(
                (
                    follow.department,
                    by_department[follow.department_id],
                    _page_link(follow.department_id, rounds),
                )
            )
    queued = 0
    for user_id, departments in per_user.items():
        queued += outbox.mail_person(
            users[user_id],
            key=f"follow:digest:{user_id}:{start:%Y-%m}",
            kind="follow_digest",
            template="follow_digest",
            subject=lambda s=start: _(
                "What the departments you follow did in %(month)s", month=f"{s:%m-%Y}"
            ),
            now=now,
            departments=departments,
            month=f"{start:%m-%Y}",
        )
    return queued


def notify_followers(now: datetime, since: datetime | None) -> dict:
    """The scheduler's job: both kinds of follower messages."""
    return {"queued": notify_closed_actions(now) + send_monthly_digests(now)}
