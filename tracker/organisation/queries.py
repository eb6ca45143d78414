"""Read helpers for departments and settings."""

from flask import g, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.auth.models import DepartmentMembership
from tracker.extensions import db
from tracker.organisation.models import Department, Directorate, Organisation

DEFAULT_ORGANISATION_NAME = "Organisatie"


def get_organisation() -> Organisation:
    """The settings row; an unsaved default when none was stored yet. Read once per request
    (kept in `g`): nearly every page needs it for the language, time zone or thresholds."""
    cached = g.get("organisation_row") if has_app_context() else None
    if cached is not None:
        return cached
    organisation = db.session.scalar(select(Organisation).order_by(Organisation.id).limit(1))
    if organisation is not None and has_app_context():
        g.organisation_row = organisation
    if organisation is None:
        organisation = Organisation(
            name=DEFAULT_ORGANISATION_NAME,
            default_locale="nl",
            anonymity_threshold=5,
            timezone="Europe/Amsterdam",
            finding_below_benchmark=0.5,
            finding_dropped=0.5,
            finding_lowest_count=3,
            finding_strength_above=0.5,
            public_without_login=False,
            holiday_country="NL",
        )
    return organisation


def anonymity_threshold() -> int:
    """The organisation's threshold, read once per data version."""
    from tracker import changes

    return changes.remembered(
        "organisation.anonymity_threshold", lambda: get_organisation().anonymity_threshold
    )


def department_lineage() -> dict[int, int]:
    """Department id -> the department its results continue in today: itself, or the end of
    its chain of renames and merges (`Department.successor`). One query."""
    successor = dict(
        db.session.execute(select(Department.id, Department.successor_id)).tuples().all()
    )
    lineage = {}
    for department_id in successor:
        current, seen = department_id, {department_id}
        while successor.get(current) is not None and successor[current] not in seen:
            current = successor[current]
            seen.add(current)
        lineage[department_id] = current
    return lineage


def departments_with_people(include_inactive: bool = False) -> list[Department]:
    query = (
        select(Department)
        .options(
            selectinload(Department.memberships).selectinload(DepartmentMembership.user),
            selectinload(Department.directorate),
        )
        .order_by(Department.name)
    )
    if not include_inactive:
        query = query.where(Department.active.is_(True))
    return list(db.session.scalars(query))


def department_choices(include_inactive: bool = False) -> list[tuple[int, str]]:
    query = select(Department.id, Department.name).order_by(Department.name)
    if not include_inactive:
        query = query.where(Department.active.is_(True))
    return [(row.id, row.name) for row in db.session.execute(query)]


def departments_by_id(ids) -> list[Department]:
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.scalars(select(Department).where(Department.id.in_(ids))))


def directorates() -> list[Directorate]:
    return list(db.session.scalars(select(Directorate).order_by(Directorate.name)))


def accessibility_contacts(configured: str | None) -> list[str]:
    """Where to report an accessibility barrier: the configured address, else the
    application's active administrators (people who can act on it)."""
    from tracker.auth.models import Role, User

    if configured:
        return [configured]
    return list(
        db.session.scalars(
            select(User.email).where(User.role == Role.admin, User.active).order_by(User.id)
        )
    )
