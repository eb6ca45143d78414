"""What provisioning changes: accounts and groups as the identity provider sends them.

Each function takes the name of the client's token (`client`, for the security log), the
data scim.py made of the resource, and flushes; the SCIM endpoint commits. Refusals are
scim.ProvisioningError, with the status and scimType the client gets.

- An account is never deleted: de-provisioning (active=false, or DELETE) deactivates it, so
  its actions, updates and history stay. DELETE also removes the link with the identity
  provider (its id answers 404 afterwards, and the person leaves the provisioned groups); a
  later POST for the same person links the same account again, with a new id.
- The role and department memberships come only from the groups, through the group
  mappings (auth.group_mappings.apply_group_mappings, the rule sign-in uses too).
- The last active administrator is never deactivated.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from tracker.auth import invitations
from tracker.auth.group_mappings import _is_last_active_admin, apply_group_mappings
from tracker.auth.models import Role, User
from tracker.auth.services import end_sessions
from tracker.extensions import db
from tracker.provisioning import queries
from tracker.provisioning.models import ScimGroup, ScimUser
from tracker.provisioning.scim import AccountData, GroupData, ProvisioningError
from tracker.types import utcnow

security_log = logging.getLogger("tracker.security")


# --- Accounts -----------------------------------------------------------------------------


def _check_user_name_free(user_name: str, link: ScimUser | None) -> None:
    other = db.session.scalar(select(ScimUser).where(ScimUser.user_name == user_name))
    if other is not None and other is not link:
        raise ProvisioningError("userName is already taken", 409, "uniqueness")


def _set_active(user: User, active: bool, client: str) -> None:
    if user.active == active:
        return
    if not active:
        # The same rule group mappings keep: the installation always has an administrator.
        if _is_last_active_admin(user):
            raise ProvisioningError(
                "this is the last active administrator of the tracker; it cannot be deactivated",
                409,
                None,
            )
        end_sessions(user)
    user.active = active
    security_log.info(
        "scim user %s user_id=%s by=scim-token:%s",
        "activated" if active else "deactivated",
        user.id,
        client,
    )


def _apply(link: ScimUser, data: AccountData, client: str) -> None:
    """Give the account what the resource says; the link keeps the resource as sent."""
    user = link.user
    if data.email != user.email:
        other = db.session.scalar(select(User).where(User.email == data.email))
        if other is not None and other is not user:
            raise ProvisioningError(
                "this e-mail address belongs to another account", 409, "uniqueness"
            )
        user.email = data.email
    user.name = data.name
    if data.locale is not None:
        user.locale = data.locale
    _set_active(user, data.active, client)
    link.user_name = data.user_name
    link.external_id = data.external_id
    link.attributes = data.attributes


def create_user(client: str, data: AccountData) -> ScimUser:
    """Provision a person: a new employee account, or the existing account with the same
    e-mail address when the identity provider does not manage it yet (it is linked)."""
    _check_user_name_free(data.user_name, None)
    user = db.session.scalar(select(User).where(User.email == data.email))
    if (
        user is not None
        and db.session.scalar(select(ScimUser.id).where(ScimUser.user_id == user.id)) is not None
    ):
        raise ProvisioningError(
            "this e-mail address belongs to another provisioned account", 409, "uniqueness"
        )
    linked = user is not None
    if user is None:
        user = User(email=data.email, name=data.name, role=Role.employee, password_hash=None)
        db.session.add(user)
        db.session.flush()
    now = utcnow()  # lastModified equals created until the first change (RFC 7643 §3.1)
    link = ScimUser(user=user, user_name=data.user_name, created_at=now, updated_at=now)
    db.session.add(link)
    _apply(link, data, client)
    db.session.flush()
    security_log.info(
        "scim user %s user_id=%s scim_id=%s by=scim-token:%s",
        "linked" if linked else "created",
        user.id,
        link.scim_id,
        client,
    )
    if not linked and user.active and not invitations.signs_in_elsewhere(user):
        # No single sign-on: the person chooses a password through an invitation.
        invitations.invite(None, user, now=now)
    return link


def update_user(client: str, link: ScimUser, data: AccountData) -> ScimUser:
    """Replace (PUT) or patch (PATCH) a provisioned account: `data` is its whole new state."""
    _check_user_name_free(data.user_name, link)
    _apply(link, data, client)
    link.updated_at = utcnow()
    db.session.flush()
    security_log.info(
        "scim user updated user_id=%s scim_id=%s by=scim-token:%s",
        link.user_id,
        link.scim_id,
        client,
    )
    return link


def delete_user(client: str, link: ScimUser) -> None:
    """De-provision: deactivate the account (it keeps its history) and unlink it from the
    identity provider; the groups it was in no longer count for it."""
    user = link.user
    _set_active(user, False, client)
    was_in_groups = bool(link.groups)
    for group in list(link.groups):
        group.members.remove(link)
    db.session.delete(link)
    db.session.flush()
    if was_in_groups:
        apply_group_mappings(user, [])
    security_log.info(
        "scim user deleted (deactivated, unlinked) user_id=%s scim_id=%s by=scim-token:%s",
        user.id,
        link.scim_id,
        client,
    )


# --- Groups -------------------------------------------------------------------------------


def _members(member_ids: list[str]) -> list[ScimUser]:
    if not member_ids:
        return []
    found = {
        link.scim_id: link
        for link in db.session.scalars(select(ScimUser).where(ScimUser.scim_id.in_(member_ids)))
    }
    unknown = [member for member in member_ids if member not in found]
    if unknown:
        raise ProvisioningError(f"no provisioned User with id {unknown[0]}", 400, "invalidValue")
    return [found[member] for member in member_ids]


def _reapply(links) -> None:
    """Give these people the role and memberships their provisioned groups map to."""
    db.session.flush()
    for link in sorted(links, key=lambda link: link.id):
        apply_group_mappings(link.user, queries.provisioned_group_names(link.user))


def create_group(client: str, data: GroupData) -> ScimGroup:
    now = utcnow()
    group = ScimGroup(
        display_name=data.display_name, external_id=data.external_id, created_at=now, updated_at=now
    )
    group.members = _members(data.member_ids)
    db.session.add(group)
    _reapply(group.members)
    security_log.info(
        "scim group created scim_id=%s members=%s by=scim-token:%s",
        group.scim_id,
        len(group.members),
        client,
    )
    return group


def update_group(client: str, group: ScimGroup, data: GroupData) -> ScimGroup:
    """Replace (PUT) or patch (PATCH) a group: `data` is its whole new state. Whoever
    joined or left, and everyone when the name changed, gets their groups applied again."""
    before = set(group.members)
    renamed = group.display_name.casefold() != data.display_name.casefold()
    group.display_name = data.display_name
    group.external_id = data.external_id
    group.members = _members(data.member_ids)
    group.updated_at = utcnow()
    after = set(group.members)
    _reapply((before | after) if renamed else (before ^ after))
    security_log.info(
        "scim group updated scim_id=%s joined=%s left=%s by=scim-token:%s",
        group.scim_id,
        len(after - before),
        len(before - after),
        client,
    )
    return group


def delete_group(client: str, group: ScimGroup) -> None:
    former = list(group.members)
    db.session.delete(group)
    _reapply(former)
    security_log.info(
        "scim group deleted scim_id=%s members=%s by=scim-token:%s",
        group.scim_id,
        len(former),
        client,
    )
