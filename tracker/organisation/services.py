"""Everything that changes departments, directorates and settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tracker.auth.permissions import require_admin
from tracker.auth.models import User
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.organisation.models import (
    Department,
    DepartmentMembership,
    Directorate,
    MembershipRole,
    Organisation,
)
from tracker.organisation.queries import get_organisation


def save_settings(
    acting_user: User | None, *, name: str, default_locale: str, anonymity_threshold: int,
    timezone: str, rules: dict | None = None, public_without_login: bool | None = None,
) -> Organisation:
    """Save the settings; `rules` holds the finding rules (finding_* columns) when given."""
    require_admin(acting_user)
    if anonymity_threshold < 1:
        raise DomainError(_l("The anonymity threshold must be at least 1."), "anonymity_threshold")
    organisation = get_organisation()
    organisation.name = name.strip()
    organisation.default_locale = default_locale
    organisation.anonymity_threshold = anonymity_threshold
    organisation.timezone = timezone
    if public_without_login is not None:
        organisation.public_without_login = public_without_login
    for name_, value in (rules or {}).items():
        if name_ not in FINDING_RULES:
            raise ValueError(name_)
        setattr(organisation, name_, float(value) if name_ != "finding_lowest_count" else int(value))
    db.session.add(organisation)
    db.session.flush()
    return organisation


FINDING_RULES = (
    "finding_below_benchmark", "finding_dropped", "finding_lowest_count", "finding_strength_above",
)


def _check_name_free(name: str, department: Department | None = None) -> None:
    other = db.session.scalar(
        select(Department).where(func.lower(Department.name) == name.lower())
    )
    if other is not None and other is not department:
        raise DomainError(_l("There is already a department with this name."), "name")


def create_department(
    acting_user: User | None, *, name: str, short_name: str,
    directorate: Directorate | None = None,
) -> Department:
    require_admin(acting_user)
    name = name.strip()
    _check_name_free(name)
    department = Department(name=name, short_name=short_name.strip(), directorate=directorate)
    db.session.add(department)
    db.session.flush()
    return department


def update_department(
    acting_user: User, department: Department, *, name: str, short_name: str,
    directorate: Directorate | None, active: bool, publish_owner_names: bool | None = None,
) -> Department:
    require_admin(acting_user)
    name = name.strip()
    _check_name_free(name, department)
    department.name = name
    department.short_name = short_name.strip()
    department.directorate = directorate
    department.active = active
    if publish_owner_names is not None:
        department.publish_owner_names = publish_owner_names
    db.session.flush()
    return department


def create_directorate(acting_user: User | None, name: str) -> Directorate:
    require_admin(acting_user)
    name = name.strip()
    if db.session.scalar(select(Directorate).where(func.lower(Directorate.name) == name.lower())):
        raise DomainError(_l("There is already a directorate with this name."), "name")
    directorate = Directorate(name=name)
    db.session.add(directorate)
    db.session.flush()
    return directorate


def set_staff(acting_user: User, department: Department, staff: list[User],
              publish_owner_names: bool | None = None) -> None:
    """A department's director (or an admin) decides who is on its staff."""
    if not (acting_user.is_admin or department.id in acting_user.directed_department_ids):
        raise DomainError(_l("Only this department's director may change its staff."))
    wanted = {user.id for user in staff}
    for membership in list(department.memberships):
        if membership.role is MembershipRole.staff and membership.user_id not in wanted:
            department.memberships.remove(membership)
    have = {m.user_id for m in department.memberships if m.role is MembershipRole.staff}
    for user in staff:
        if user.id not in have:
            department.memberships.append(
                DepartmentMembership(user=user, role=MembershipRole.staff)
            )
    if publish_owner_names is not None:
        department.publish_owner_names = publish_owner_names
    db.session.flush()
