"""Everything that changes departments, directorates and settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tracker.auth.models import DepartmentMembership, MembershipRole, Role, User
from tracker.auth.permissions import may_manage_department, require_admin
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.organisation.closed_days import check_region, normalise_closed_days
from tracker.organisation.models import Department, DepartmentAlias, Directorate, Organisation
from tracker.organisation.queries import get_organisation


def parse_reminder_days(text: str | None) -> tuple[int, ...]:
    """ "14, 3, 0" -> (14, 3, 0): days before the deadline, largest first, each once."""
    days = set()
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) > 365:
            raise DomainError(
                _l("Give whole numbers of days from 0 to 365, separated by commas, e.g. 14, 3, 0."),
                "reminder_days_before",
            )
        days.add(int(part))
    if not days:
        raise DomainError(
            _l("Give at least one day, e.g. 0 for a reminder on the deadline."),
            "reminder_days_before",
        )
    if len(days) > 6:
        raise DomainError(_l("At most six reminders before a deadline."), "reminder_days_before")
    return tuple(sorted(days, reverse=True))


def reminder_settings(organisation: Organisation) -> tuple[tuple[int, ...], int]:
    """(days before the deadline, days past it before escalating): the settings page's
    values, else the installation's defaults (REMINDER_DAYS_BEFORE, ESCALATION_DAYS)."""
    from flask import current_app

    config = current_app.config
    days = (
        parse_reminder_days(organisation.reminder_days_before)
        if organisation.reminder_days_before
        else tuple(sorted({int(d) for d in config["REMINDER_DAYS_BEFORE"]}, reverse=True))
    )
    escalation = organisation.escalation_days or int(config["ESCALATION_DAYS"])
    return days, max(escalation, 1)


def save_settings(
    acting_user: User | None,
    *,
    name: str,
    default_locale: str,
    anonymity_threshold: int,
    timezone: str,
    rules: dict | None = None,
    public_without_login: bool | None = None,
    reminder_days_before: str | None = None,
    escalation_days: int | None = None,
    holiday_country: str | None = None,
    holiday_region: str | None = None,
    closed_days: str | None = None,
) -> Organisation:
    """Save the settings; `rules` holds the finding rules (finding_* columns) when given;
    the reminder settings and the closed days are kept as they are when not given
    (`holiday_country` "" is no public holidays)."""
    require_admin(acting_user)
    organisation = get_organisation()
    holidays_given = holiday_country is not None or holiday_region is not None
    if holidays_given:
        holiday_country, holiday_region = check_region(
            organisation.holiday_country if holiday_country is None else holiday_country,
            organisation.holiday_region if holiday_region is None else holiday_region,
        )
    closed_days_given = closed_days is not None
    if closed_days_given:
        closed_days = normalise_closed_days(closed_days)
    if reminder_days_before is not None:
        reminder_days_before = ",".join(str(d) for d in parse_reminder_days(reminder_days_before))
    if escalation_days is not None and not 1 <= escalation_days <= 365:
        raise DomainError(_l("Escalate after 1 to 365 days."), "escalation_days")
    if anonymity_threshold < 1:
        raise DomainError(_l("The anonymity threshold must be at least 1."), "anonymity_threshold")
    organisation.name = name.strip()
    organisation.default_locale = default_locale
    organisation.anonymity_threshold = anonymity_threshold
    organisation.timezone = timezone
    if public_without_login is not None:
        organisation.public_without_login = public_without_login
    if reminder_days_before is not None:
        organisation.reminder_days_before = reminder_days_before
    if escalation_days is not None:
        organisation.escalation_days = escalation_days
    if holidays_given:
        # "" rather than NULL: an INSERT would put the column's default (NL) in place of NULL.
        organisation.holiday_country = holiday_country or ""
        organisation.holiday_region = holiday_region
    if closed_days_given:
        organisation.closed_days = closed_days
    for name_, value in (rules or {}).items():
        if name_ not in FINDING_RULES:
            raise ValueError(name_)
        setattr(
            organisation, name_, float(value) if name_ != "finding_lowest_count" else int(value)
        )
    db.session.add(organisation)
    db.session.flush()
    return organisation


FINDING_RULES = (
    "finding_below_benchmark",
    "finding_dropped",
    "finding_lowest_count",
    "finding_strength_above",
)


def _check_name_free(name: str, department: Department | None = None) -> None:
    other = db.session.scalar(select(Department).where(func.lower(Department.name) == name.lower()))
    if other is not None and other is not department:
        raise DomainError(_l("There is already a department with this name."), "name")


def create_department(
    acting_user: User | None,
    *,
    name: str,
    short_name: str,
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
    acting_user: User,
    department: Department,
    *,
    name: str,
    short_name: str,
    directorate: Directorate | None,
    active: bool,
    publish_owner_names: bool | None = None,
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


def set_staff(
    acting_user: User,
    department: Department,
    staff: list[User],
    publish_owner_names: bool | None = None,
) -> None:
    """A department's director (or an admin) decides who is on its staff."""
    if not may_manage_department(acting_user, department.id):
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


# --- Departments across survey rounds -----------------------------------------------------


def _may_map_departments(acting_user: User | None) -> None:
    # Directors map departments in the import wizard; administrators on the department page.
    if acting_user is not None and not acting_user.has_role(Role.director):
        raise DomainError(_l("Only directors and administrators may map departments."))


def set_predecessors(
    acting_user: User | None, department: Department, predecessors: list[Department]
) -> None:
    """These departments were renamed to or merged into `department`: their survey results
    continue in it. Departments no longer listed stop continuing in it."""
    _may_map_departments(acting_user)
    chosen = {p.id: p for p in predecessors}
    if department.id in chosen:
        raise DomainError(_l("A department cannot continue itself."), "predecessors")
    # Refuse a loop: a chosen department may not itself continue (via others) in this one's
    # own successors.
    current, seen = department.successor, set()
    while current is not None and current.id not in seen:
        if current.id in chosen:
            raise DomainError(
                _l(
                    "%(name)s already continues in this department's successor; a department "
                    "cannot continue in itself.",
                    name=current.name,
                ),
                "predecessors",
            )
        seen.add(current.id)
        current = current.successor
    for earlier in list(department.predecessors):
        if earlier.id not in chosen:
            earlier.successor = None
    for earlier in predecessors:
        earlier.successor = department
    db.session.flush()


def _alias_taken(name: str) -> DepartmentAlias | None:
    return db.session.scalar(
        select(DepartmentAlias).where(func.lower(DepartmentAlias.name) == name.lower())
    )


def remember_name(acting_user: User | None, department: Department, name: str) -> None:
    """Keep a survey file's name for a department, so the next import recognises it."""
    _may_map_departments(acting_user)
    name = name.strip()[:200]
    if not name or name.casefold() in {
        department.name.casefold(),
        department.short_name.casefold(),
    }:
        return
    alias = _alias_taken(name)
    if alias is None:
        db.session.add(DepartmentAlias(name=name, department=department))
    else:
        alias.department = department
    db.session.flush()


def set_aliases(acting_user: User | None, department: Department, names: list[str]) -> None:
    """The department's other names in survey files, as edited on its page."""
    require_admin(acting_user)
    wanted = {}
    for name in names:
        name = name.strip()
        if name:
            if len(name) > 200:
                raise DomainError(_l("A name may have at most 200 characters."), "aliases")
            wanted.setdefault(name.casefold(), name)
    for alias in list(department.aliases):
        if alias.name.casefold() not in wanted:
            department.aliases.remove(alias)
    db.session.flush()
    for name in wanted.values():
        alias = _alias_taken(name)
        if alias is not None and alias.department_id != department.id:
            raise DomainError(
                _l(
                    "%(name)s is already a name of %(department)s.",
                    name=name,
                    department=alias.department.name,
                ),
                "aliases",
            )
        if alias is None:
            db.session.add(DepartmentAlias(name=name, department=department))
    db.session.flush()
