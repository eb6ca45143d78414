"""The HR file import: people created, changed or deactivated from a file (`hr_file`
reads it). One function, `import_people`, both previews (dry run: reads only) and imports,
so the preview and the import always report the same way.

What the file decides, per listed person:
- name and role (an empty role cell keeps the current role; new people are employees);
- the *department* (when its cell is filled): the import manages one membership per person,
  in the department the file names, as its director when the role is director and as staff
  otherwise. When the file moves someone, that membership moves; memberships set by hand in
  other departments (the Users page, a director's staff page) stay. Someone the file makes
  employee or owner, having been director or administrator, keeps no director memberships.
- with `deactivate_missing`: active people whose address is in no row of the file (a refused
  row still counts as present) are deactivated — never the person running the import, and
  never the last active administrator.

A row is refused, with its row number, when the department or role is unknown, the address is
invalid or repeated, the person is deactivated in the tracker (an administrator activates them
by hand), or the change would take away the last administrator or the runner's own rights.
The good rows go in. Running the same file twice changes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.auth import services
from tracker.auth.models import HrRecord, MembershipRole, Role, User
from tracker.auth.permissions import require_admin
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.organisation.models import Department
from tracker.provisioning.hr_file import PeopleFile, PersonRow, RefusedRow
from tracker.types import utcnow

log = logging.getLogger("tracker.imports")

Membership = tuple[int, MembershipRole]


@dataclass
class PersonChange:
    row: int
    email: str
    name: str
    #: field -> (before, after), in words a person reads (names, role values).
    changes: dict[str, tuple] = field(default_factory=dict)


@dataclass
class ImportReport:
    created: list[dict] = field(default_factory=list)
    changed: list[PersonChange] = field(default_factory=list)
    unchanged: int = 0
    refused: list[RefusedRow] = field(default_factory=list)
    deactivated: list[dict] = field(default_factory=list)
    #: Not in the file, but not deactivated: the person running the import, the last admin.
    kept: list[dict] = field(default_factory=list)
    dry_run: bool = True

    def as_dict(self) -> dict:
        """The report as plain JSON values (reasons in the current language)."""
        return {
            "dry_run": self.dry_run,
            "created": self.created,
            "changed": [
                {
                    "row": c.row,
                    "email": c.email,
                    "name": c.name,
                    "changes": {k: list(v) for k, v in c.changes.items()},
                }
                for c in self.changed
            ],
            "unchanged": self.unchanged,
            "refused": [{"row": r.row, "reason": str(r.reason)} for r in self.refused],
            "deactivated": self.deactivated,
            "not_deactivated": [{**k, "reason": str(k["reason"])} for k in self.kept],
        }


class _Departments:
    """The organisation's departments by name, other name and short name (one query)."""

    def __init__(self):
        self.all = {
            d.id: d
            for d in db.session.scalars(
                select(Department).options(selectinload(Department.aliases))
            )
        }
        self.by_name: dict[str, list[Department]] = {}
        self.by_alias: dict[str, list[Department]] = {}
        self.by_short: dict[str, list[Department]] = {}
        for department in self.all.values():
            self.by_name.setdefault(department.name.casefold(), []).append(department)
            self.by_short.setdefault(department.short_name.casefold(), []).append(department)
            for alias in department.aliases:
                self.by_alias.setdefault(alias.name.casefold(), []).append(department)

    def find(self, text: str) -> Department:
        key = " ".join(text.split()).casefold()
        for index in (self.by_name, self.by_alias, self.by_short):
            found = index.get(key)
            if found:
                break
        else:
            raise DomainError(
                _l(
                    "Unknown department \u201c%(department)s\u201d: use its name or short name as "
                    "on the Departments page.",
                    department=text,
                )
            )
        if len(found) > 1:
            raise DomainError(
                _l(
                    "\u201c%(department)s\u201d matches more than one department (%(names)s): use "
                    "the full name.",
                    department=text,
                    names=", ".join(d.name for d in found),
                )
            )
        if not found[0].active:
            raise DomainError(
                _l("The department %(department)s is no longer active.", department=found[0].name)
            )
        return found[0]


@dataclass
class _Plan:
    person: PersonRow
    user: User | None
    role: Role
    memberships: set[Membership]
    hr_department: Department | None
    changes: dict[str, tuple]


def _label(memberships: set[Membership], departments: _Departments) -> list[str]:
    return sorted(
        _("%(department)s (director)", department=departments.all[d].name)
        if r is MembershipRole.director
        else departments.all[d].name
        for d, r in memberships
    )


def _memberships_after(
    user: User | None, role: Role, department: Department | None, record: HrRecord | None
) -> set[Membership]:
    before = {(m.department_id, m.role) for m in user.memberships} if user else set()
    after = set(before)
    if user is not None and role.rank < Role.director.rank <= user.role.rank:
        # No longer a director or administrator: no department to direct either.
        after = {(d, r) for d, r in after if r is MembershipRole.staff}
    if department is not None:
        managed = {department.id}
        if record is not None and record.department_id is not None:
            managed.add(record.department_id)
        after = {(d, r) for d, r in after if d not in managed}
        after.add(
            (
                department.id,
                MembershipRole.director if role is Role.director else MembershipRole.staff,
            )
        )
    return after


def import_people(
    acting_user: User | None,
    parsed: PeopleFile,
    *,
    deactivate_missing: bool = False,
    dry_run: bool = True,
    now: datetime | None = None,
) -> ImportReport:
    """Preview (dry_run: nothing is written) or import an HR file. acting_user None: the
    command line without --by. Flushes; the caller commits."""
    if acting_user is not None:
        require_admin(acting_user)
    if deactivate_missing and not parsed.people:
        raise DomainError(
            _l(
                "No row of the file could be used, so nobody is deactivated. Correct the file "
                "and try again."
            )
        )
    now = now or utcnow()
    report = ImportReport(refused=list(parsed.refused), dry_run=dry_run)
    departments = _Departments()
    users = {
        u.email: u for u in db.session.scalars(select(User).options(selectinload(User.memberships)))
    }
    records = {r.user_id: r for r in db.session.scalars(select(HrRecord))}

    plans: list[_Plan] = []
    for person in parsed.people:
        user = users.get(person.email)
        try:
            department = departments.find(person.department) if person.department else None
        except DomainError as error:
            report.refused.append(RefusedRow(person.row, error.message, person.email))
            continue
        if user is not None and not user.active:
            report.refused.append(
                RefusedRow(
                    person.row,
                    _l(
                        "%(name)s is deactivated in the tracker; an administrator can activate them "
                        "on the Users page.",
                        name=user.name,
                    ),
                    person.email,
                )
            )
            continue
        role = Role(person.role) if person.role else (user.role if user else Role.employee)
        record = records.get(user.id) if user else None
        memberships = _memberships_after(user, role, department, record)
        changes: dict[str, tuple] = {}
        if user is not None:
            if user.name != person.name:
                changes["name"] = (user.name, person.name)
            if user.role is not role:
                changes["role"] = (user.role.value, role.value)
            before = {(m.department_id, m.role) for m in user.memberships}
            if before != memberships:
                changes["departments"] = (
                    _label(before, departments),
                    _label(memberships, departments),
                )
        plans.append(_Plan(person, user, role, memberships, department, changes))

    _protect_administrators(acting_user, plans, report)
    leaving = _leaving(acting_user, parsed, plans, users, report) if deactivate_missing else []

    for plan in plans:
        if plan.user is None:
            report.created.append(
                {
                    "row": plan.person.row,
                    "email": plan.person.email,
                    "name": plan.person.name,
                    "role": plan.role.value,
                    "department": plan.hr_department.name if plan.hr_department else None,
                }
            )
        elif plan.changes:
            report.changed.append(
                PersonChange(plan.person.row, plan.person.email, plan.person.name, plan.changes)
            )
        else:
            report.unchanged += 1
    report.deactivated = [{"email": u.email, "name": u.name} for u in leaving]
    report.refused.sort(key=lambda r: r.row)
    if not dry_run:
        _apply(acting_user, plans, leaving, records, departments, now)
        log.info(
            "people imported by=%s created=%d changed=%d unchanged=%d refused=%d deactivated=%d",
            acting_user.id if acting_user else "cli",
            len(report.created),
            len(report.changed),
            report.unchanged,
            len(report.refused),
            len(report.deactivated),
        )
    return report


def _protect_administrators(
    acting_user: User | None, plans: list[_Plan], report: ImportReport
) -> None:
    """Refuse rows that would take away the runner's own administrator rights or leave no
    active administrator."""
    staying = {
        p.user.id for p in plans if p.user is not None and p.user.is_admin and p.role is Role.admin
    }
    promoted = {
        p.user.id
        for p in plans
        if p.user is not None and not p.user.is_admin and p.role is Role.admin
    }
    listed = {p.user.id for p in plans if p.user is not None}
    others = set(
        db.session.scalars(select(User.id).where(User.role == Role.admin, User.active.is_(True)))
    )
    admins = (others - listed) | staying | promoted
    for plan in list(plans):
        if plan.user is None or not plan.user.is_admin or plan.role is Role.admin:
            continue
        if acting_user is not None and plan.user.id == acting_user.id:
            reason = _l("You cannot take away your own administrator rights.")
        elif not admins:
            reason = _l(
                "%(name)s is the last active administrator and stays one.", name=plan.user.name
            )
        else:
            continue
        plans.remove(plan)
        admins.add(plan.user.id)
        report.refused.append(RefusedRow(plan.person.row, reason, plan.person.email))


def _leaving(
    acting_user: User | None,
    parsed: PeopleFile,
    plans: list[_Plan],
    users: dict[str, User],
    report: ImportReport,
) -> list[User]:
    """Active people in no row of the file, except the runner and the last administrator."""
    present = parsed.addresses
    missing = sorted(
        (u for u in users.values() if u.active and u.email not in present), key=lambda u: u.id
    )
    admins_after = {p.user.id for p in plans if p.user is not None and p.role is Role.admin}
    admins_after |= {u.id for u in missing if u.is_admin}
    leaving = []
    for user in missing:
        if acting_user is not None and user.id == acting_user.id:
            report.kept.append(
                {
                    "email": user.email,
                    "name": user.name,
                    "reason": _l("You are running the import."),
                }
            )
            continue
        if user.is_admin and admins_after == {user.id}:
            report.kept.append(
                {
                    "email": user.email,
                    "name": user.name,
                    "reason": _l("The last active administrator is never deactivated."),
                }
            )
            continue
        admins_after.discard(user.id)
        leaving.append(user)
    return leaving


def _apply(
    acting_user: User | None,
    plans: list[_Plan],
    leaving: list[User],
    records: dict[int, HrRecord],
    departments: _Departments,
    now: datetime,
) -> None:
    def split(memberships: set[Membership]):
        directs = [departments.all[d] for d, r in memberships if r is MembershipRole.director]
        staff = [departments.all[d] for d, r in memberships if r is MembershipRole.staff]
        return directs, staff

    for plan in plans:
        directs, staff = split(plan.memberships)
        user = plan.user
        if user is None:
            user = services.create_user(
                acting_user,
                email=plan.person.email,
                name=plan.person.name,
                role=plan.role,
                directs=directs,
                staff_of=staff,
                now=now,
            )
        elif plan.changes:
            user.name = plan.person.name
            user.role = plan.role
            services.set_memberships(user, directs, staff)
        if plan.hr_department is not None:
            record = records.get(user.id)
            if record is None:
                db.session.add(HrRecord(user_id=user.id, department_id=plan.hr_department.id))
            elif record.department_id != plan.hr_department.id:
                record.department_id = plan.hr_department.id
    for user in leaving:
        services.deactivate(acting_user, user)
    db.session.flush()
