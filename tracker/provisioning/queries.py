"""Read helpers for provisioning: the token page, and the SCIM lists with their filters."""

from __future__ import annotations

from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    ValuePath,
)
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from tracker.auth.models import User
from tracker.extensions import db
from tracker.provisioning import scim
from tracker.provisioning.models import ScimGroup, ScimGroupMember, ScimToken, ScimUser


def tokens() -> list[ScimToken]:
    """Every token, working ones first, newest first."""
    return list(
        db.session.scalars(
            select(ScimToken)
            .options(selectinload(ScimToken.created_by))
            .order_by(
                ScimToken.revoked_at.is_not(None), ScimToken.created_at.desc(), ScimToken.id.desc()
            )
        )
    )


def token_named(name: str) -> ScimToken | None:
    return db.session.scalar(select(ScimToken).where(ScimToken.name == name.strip()))


def provisioned_user(scim_id: str) -> ScimUser | None:
    return db.session.scalar(
        select(ScimUser)
        .options(selectinload(ScimUser.user), selectinload(ScimUser.groups))
        .where(ScimUser.scim_id == scim_id)
    )


def provisioned_group(scim_id: str) -> ScimGroup | None:
    return db.session.scalar(
        select(ScimGroup)
        .options(selectinload(ScimGroup.members))
        .where(ScimGroup.scim_id == scim_id)
    )


def provisioned_group_names(user: User) -> list[str]:
    """The displayNames of the provisioned groups this account is in (none when the
    identity provider does not manage it)."""
    return list(
        db.session.scalars(
            select(ScimGroup.display_name)
            .join(ScimGroupMember, ScimGroupMember.group_id == ScimGroup.id)
            .join(ScimUser, ScimUser.id == ScimGroupMember.scim_user_id)
            .where(ScimUser.user_id == user.id)
            .order_by(ScimGroup.id)
        )
    )


def stored(link: ScimUser) -> scim.Stored:
    """What scim.user_resource needs about a provisioned account."""
    return scim.Stored(
        scim_id=link.scim_id,
        user_name=link.user_name,
        external_id=link.external_id,
        attributes=link.attributes or {},
        active=link.user.active,
        created_at=link.created_at,
        updated_at=link.updated_at,
        groups=[(g.scim_id, g.display_name) for g in link.groups],
    )


# --- Filters (RFC 7644 §3.4.2.2) ----------------------------------------------------------
#
# The tracker filters on what it indexes: `eq` on the attributes below, joined with `and`
# and `or` (parentheses allowed). Anything else is refused with invalidFilter, so a client
# never gets a silently wrong list.


def _refuse(detail: str):
    raise scim.ProvisioningError(detail, 400, "invalidFilter")


def _attribute(path: AttrPath, schema: str) -> str:
    """The attribute's name, lower-cased, as `name` or `name.sub`; a schema URN prefix must
    be the resource's own."""
    if path.uri and path.uri.lower() != schema.lower():
        _refuse(f"unknown schema in filter: {path.uri}")
    name = path.attr.lower()
    return f"{name}.{path.sub_attr.lower()}" if path.sub_attr else name


def _string(node: Comparison) -> str:
    if not isinstance(node.value, str):
        _refuse(f"{node.attr_path} compares with a string")
    return node.value


def _user_comparison(node: Comparison) -> ColumnElement[bool]:
    attribute = _attribute(node.attr_path, scim.USER_SCHEMA)
    columns = {
        "username": lambda v: ScimUser.user_name == v.strip().lower(),
        "externalid": lambda v: ScimUser.external_id == v,
        "id": lambda v: ScimUser.scim_id == v,
    }
    if attribute not in columns:
        _refuse(
            f"filtering Users on {node.attr_path} is not supported "
            "(userName, externalId and id are)"
        )
    return columns[attribute](_string(node))


def _member(value: str) -> ColumnElement[bool]:
    return exists(
        select(ScimGroupMember.group_id)
        .join(ScimUser, ScimUser.id == ScimGroupMember.scim_user_id)
        .where(ScimGroupMember.group_id == ScimGroup.id, ScimUser.scim_id == value)
    )


def _group_comparison(node: Comparison) -> ColumnElement[bool]:
    attribute = _attribute(node.attr_path, scim.GROUP_SCHEMA)
    columns = {
        "displayname": lambda v: func.lower(ScimGroup.display_name) == v.lower(),
        "externalid": lambda v: ScimGroup.external_id == v,
        "id": lambda v: ScimGroup.scim_id == v,
        "members.value": _member,
        "members": _member,
    }
    if attribute not in columns:
        _refuse(
            f"filtering Groups on {node.attr_path} is not supported "
            "(displayName, externalId, id and members.value are)"
        )
    return columns[attribute](_string(node))


def _condition(node: FilterNode, comparison, resource: str) -> ColumnElement[bool]:
    if isinstance(node, LogicalExpr):
        parts = [_condition(term, comparison, resource) for term in node.terms]
        return and_(*parts) if node.op is LogicalOperator.and_ else or_(*parts)
    if isinstance(node, Comparison) and node.op is CompareOperator.eq:
        return comparison(node)
    if (
        resource == "Group"
        and isinstance(node, ValuePath)
        and not node.sub_attr
        and node.attr_path.attr.lower() == "members"
        and isinstance(node.val_filter, Comparison)
        and node.val_filter.op is CompareOperator.eq
        and node.val_filter.attr_path.attr.lower() == "value"
        and not node.val_filter.attr_path.sub_attr
    ):
        return _member(_string(node.val_filter))
    _refuse(f"unsupported filter: {node}; the tracker filters with 'eq' joined by 'and'/'or'")


def _page(statement, model, start_index: int, count: int):
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = (
        []
        if count == 0
        else list(
            db.session.scalars(statement.order_by(model.id).offset(start_index - 1).limit(count))
        )
    )
    return total, rows


def users_page(node: FilterNode | None, start_index: int, count: int):
    """(totalResults, the provisioned accounts of this page), oldest first."""
    statement = select(ScimUser).options(selectinload(ScimUser.user), selectinload(ScimUser.groups))
    if node is not None:
        statement = statement.where(_condition(node, _user_comparison, "User"))
    return _page(statement, ScimUser, start_index, count)


def groups_page(node: FilterNode | None, start_index: int, count: int):
    """(totalResults, the provisioned groups of this page), oldest first."""
    statement = select(ScimGroup).options(selectinload(ScimGroup.members))
    if node is not None:
        statement = statement.where(_condition(node, _group_comparison, "Group"))
    return _page(statement, ScimGroup, start_index, count)
