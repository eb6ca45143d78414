"""Read helpers for the user and sign-in pages."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tracker.auth.models import GroupMapping, UserIdentity
from tracker.extensions import db


def group_mappings() -> list[GroupMapping]:
    return list(
        db.session.scalars(
            select(GroupMapping)
            .options(selectinload(GroupMapping.department))
            .order_by(func.lower(GroupMapping.group_name))
        )
    )


def group_mapping_named(group_name: str) -> GroupMapping | None:
    """The mapping of this group, upper and lower case aside."""
    return db.session.scalar(
        select(GroupMapping).where(func.lower(GroupMapping.group_name) == group_name.lower())
    )


def sign_ins_without_mapped_group():
    """People none of whose groups had a mapping at their last sign-in, most recent first
    (a select for db.paginate)."""
    return (
        select(UserIdentity)
        .options(selectinload(UserIdentity.user))
        .where(UserIdentity.without_mapped_group.is_(True))
        .order_by(UserIdentity.last_login_at.desc(), UserIdentity.id.desc())
    )
