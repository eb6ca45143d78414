"""Group mappings: which role and department a group at the identity provider gives.

`apply_group_mappings` is the one rule, used at every sign-in through the provider (and by a
directory sync later): it takes plain group names, nothing about where they came from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tracker.auth.models import DepartmentMembership, GroupMapping, MembershipRole, Role, User
from tracker.auth.permissions import require_admin
from tracker.auth.queries import group_mapping_named, group_mappings
from tracker.errors import DomainError
from tracker.extensions import db

if TYPE_CHECKING:
    from tracker.organisation.models import Department

security_log = logging.getLogger("tracker.security")


def group_names_from(value) -> list[str]:
    """The groups claim as a list of names: providers send a list, sometimes one string."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return []
    return [str(name).strip() for name in value if str(name).strip()]


def other_group_names(user: User) -> list[str]:
    """The person's groups as known apart from a sign-in's claim: each source an area
    registers in app.extensions["tracker.group_sources"] (provisioning: the groups an
    identity provider keeps through SCIM), so a sign-in does not take away what they give."""
    sources = current_app.extensions.get("tracker.group_sources", ())
    return [name for source in sources for name in source(user)]


def matching_mappings(group_names: Iterable[str]) -> list[GroupMapping]:
    """The mappings of these groups; names compare case-insensitively."""
    wanted = {name.casefold() for name in group_names}
    if not wanted:
        return []
    return [m for m in group_mappings() if m.group_name.casefold() in wanted]


def _membership_role(role: Role) -> MembershipRole:
    return MembershipRole.director if role is Role.director else MembershipRole.staff


def _is_last_active_admin(user: User) -> bool:
    others = db.session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.admin, User.active.is_(True), User.id != user.id
        )
    )
    return user.role is Role.admin and others == 0


def apply_group_mappings(user: User, group_names: Iterable[str]) -> list[GroupMapping]:
    """Give the user the role and memberships their groups map to; return the mappings used.

    - The role becomes the highest role among the mapped groups, employee when none maps
      (so a role a group gave goes away with the group); the last active administrator is
      never demoted.
    - Memberships that came from groups follow the groups: added when a group gives them,
      removed when no group does any more. Memberships set by hand are left alone.
    - Without any mapping at all the installation does not use group mappings: nothing
      changes.
    """
    if db.session.scalar(select(func.count(GroupMapping.id))) == 0:
        return []
    matched = matching_mappings(group_names)
    role = max((m.role for m in matched), key=lambda r: r.rank, default=Role.employee)
    if role is not user.role:
        if role is not Role.admin and _is_last_active_admin(user):
            security_log.warning(
                "group mapping would demote the last active admin user_id=%s; kept admin",
                user.id,
            )
        else:
            security_log.info(
                "role from groups user_id=%s %s -> %s", user.id, user.role.value, role.value
            )
            user.role = role

    wanted = {(m.department_id, _membership_role(m.role)) for m in matched if m.department_id}
    for membership in list(user.memberships):
        if membership.from_groups and (membership.department_id, membership.role) not in wanted:
            user.memberships.remove(membership)
    have = {(m.department_id, m.role) for m in user.memberships}
    for department_id, membership_role in sorted(wanted - have, key=lambda k: (k[0], k[1].value)):
        user.memberships.append(
            DepartmentMembership(
                department_id=department_id, role=membership_role, from_groups=True
            )
        )
    db.session.flush()
    return matched


# --- The administrator's mapping page -----------------------------------------------------


def _check_name_free(group_name: str, mapping: GroupMapping | None) -> None:
    other = group_mapping_named(group_name)
    if other is not None and other is not mapping:
        raise DomainError(_l("This group already has a mapping."), "group_name")


def save_group_mapping(
    acting_user: User | None,
    mapping: GroupMapping | None,
    *,
    group_name: str,
    role: Role,
    department: Department | None,
) -> GroupMapping:
    """Create (mapping None) or change a mapping. Applies at each person's next sign-in."""
    require_admin(acting_user)
    group_name = group_name.strip()
    if not group_name:
        raise DomainError(_l("Give the group's name."), "group_name")
    _check_name_free(group_name, mapping)
    if mapping is None:
        mapping = GroupMapping(group_name=group_name, role=role)
        db.session.add(mapping)
    mapping.group_name = group_name
    mapping.role = role
    mapping.department = department
    db.session.flush()
    security_log.info(
        "group mapping saved id=%s group=%s role=%s department_id=%s by=%s",
        mapping.id,
        group_name,
        role.value,
        department.id if department else None,
        acting_user.id if acting_user else "cli",
    )
    return mapping


def delete_group_mapping(acting_user: User | None, mapping: GroupMapping) -> None:
    require_admin(acting_user)
    security_log.info(
        "group mapping deleted id=%s group=%s by=%s",
        mapping.id,
        mapping.group_name,
        acting_user.id if acting_user else "cli",
    )
    db.session.delete(mapping)
    db.session.flush()
