"""Reactions and follows: what employees may do, and what directors moderate."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.actions.models import ImprovementAction
from tracker.actions.services import is_public
from tracker.auth.models import User
from tracker.auth.permissions import may_manage_department
from tracker.cocreation.models import CommentStatus, Follow, Reaction, Verdict
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.organisation.models import Department
from tracker.types import utcnow

MAX_COMMENT = 500


def _public(action: ImprovementAction) -> None:
    if not is_public(action):
        raise DomainError(_l("This action is not public."))


def react(
    acting_user: User, action: ImprovementAction, verdict: Verdict, comment: str | None
) -> Reaction:
    """Create or change the user's one reaction; a (new) comment waits for approval."""
    _public(action)
    comment = " ".join((comment or "").split())
    if len(comment) > MAX_COMMENT:
        raise DomainError(_l("Keep the comment under %(n)d characters.", n=MAX_COMMENT), "comment")
    reaction = db.session.scalar(
        select(Reaction).where(Reaction.action_id == action.id, Reaction.user_id == acting_user.id)
    )
    if reaction is None:
        reaction = Reaction(action_id=action.id, user_id=acting_user.id, verdict=verdict)
        db.session.add(reaction)
    changed_comment = (reaction.comment or "") != comment
    reaction.verdict = verdict
    reaction.updated_at = utcnow()
    if changed_comment:
        reaction.comment = comment or None
        reaction.comment_status = CommentStatus.pending if comment else CommentStatus.none
        reaction.moderated_by_id = reaction.moderated_at = None
    db.session.flush()
    return reaction


def may_moderate(user: User, department_id: int) -> bool:
    """Comments and reactions are moderated by the department's managers."""
    return may_manage_department(user, department_id)


def moderate(acting_user: User, reaction: Reaction, approve: bool) -> None:
    if not may_moderate(acting_user, reaction.action.department_id):
        raise DomainError(_l("Only a director of this department may approve its comments."))
    if reaction.comment_status is not CommentStatus.pending:
        raise DomainError(_l("This comment was already handled."))
    reaction.comment_status = CommentStatus.approved if approve else CommentStatus.rejected
    reaction.moderated_by_id = acting_user.id
    reaction.moderated_at = utcnow()
    db.session.flush()


def follow(
    acting_user: User,
    *,
    department: Department | None = None,
    action: ImprovementAction | None = None,
) -> Follow:
    if (department is None) == (action is None):
        raise ValueError("follow a department or an action")
    if action is not None:
        _public(action)
    query = select(Follow).where(Follow.user_id == acting_user.id)
    query = (
        query.where(Follow.department_id == department.id)
        if department
        else query.where(Follow.action_id == action.id)
    )
    existing = db.session.scalar(query)
    if existing is not None:
        return existing
    item = Follow(
        user_id=acting_user.id,
        department_id=department.id if department else None,
        action_id=action.id if action else None,
    )
    db.session.add(item)
    db.session.flush()
    return item


def unfollow(
    acting_user: User, *, department_id: int | None = None, action_id: int | None = None
) -> None:
    query = select(Follow).where(Follow.user_id == acting_user.id)
    query = (
        query.where(Follow.department_id == department_id)
        if department_id is not None
        else query.where(Follow.action_id == action_id)
    )
    for item in db.session.scalars(query):
        db.session.delete(item)
    db.session.flush()


def approve_quote(acting_user: User, comment, approved: bool) -> None:
    """A director approves (or withdraws) a survey comment as a public quote."""
    if not may_moderate(acting_user, comment.department_id):
        raise DomainError(_l("Only a director of this department may approve its quotes."))
    comment.approved = approved
    db.session.flush()
