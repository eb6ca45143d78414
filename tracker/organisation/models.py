from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import DepartmentMembership, MembershipRole, User
from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow


class Organisation(db.Model):
    """The one organisation this installation serves, with its settings."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Language for visitors who have not chosen one ('nl' or 'en').
    default_locale: Mapped[str] = mapped_column(String(5), default="nl")
    #: Groups with fewer respondents than this get no score and no quotes anywhere.
    anonymity_threshold: Mapped[int] = mapped_column(default=5)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    #: Kiosk mode: "you said, we did" readable without log-in (reacting still needs one).
    public_without_login: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Rules that propose findings after an import. Differences are in points on a 1-10
    # scale and scaled to each question's own range (a 1-5 question: x 4/9).
    finding_below_benchmark: Mapped[float] = mapped_column(default=0.5, server_default="0.5")
    finding_dropped: Mapped[float] = mapped_column(default=0.5, server_default="0.5")
    #: The lowest N results of each department are proposed too.
    finding_lowest_count: Mapped[int] = mapped_column(default=3, server_default="3")
    finding_strength_above: Mapped[float] = mapped_column(default=0.5, server_default="0.5")
    #: Days before the deadline on which owners get a reminder, e.g. "14,3,0"; None: the
    #: REMINDER_DAYS_BEFORE default of the installation.
    reminder_days_before: Mapped[str | None] = mapped_column(String(40))
    #: Days past the deadline after which directors get an escalation; None: ESCALATION_DAYS.
    escalation_days: Mapped[int | None]
    #: No staff meetings on the public holidays of this country (ISO code, as the `holidays`
    #: package knows it) and region; "": no public holidays.
    holiday_country: Mapped[str | None] = mapped_column(
        String(2), default="NL", server_default="NL"
    )
    holiday_region: Mapped[str | None] = mapped_column(String(40))
    #: Extra closed days, one per line, e.g. "27-12 – 31-12: kerstsluiting" (every year) or
    #: "28-05-2027"; see organisation/closed_days.py.
    closed_days: Mapped[str | None] = mapped_column(Text)


class Directorate(db.Model):
    """A body that groups staff departments, e.g. the services directorate."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    departments: Mapped[list[Department]] = relationship(
        back_populates="directorate", order_by="Department.name"
    )


class Department(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: Short label for tables and charts, e.g. "ICT" or "P&O".
    short_name: Mapped[str] = mapped_column(String(40))
    directorate_id: Mapped[int | None] = mapped_column(ForeignKey("directorate.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    #: Show action owners' names on "you said, we did" (the department's choice).
    publish_owner_names: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The department this one was renamed to or merged into: its survey results continue
    #: there in later rounds (for the change since the last round and the effect of actions).
    successor_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    directorate: Mapped[Directorate | None] = relationship(back_populates="departments")
    successor: Mapped[Department | None] = relationship(
        remote_side=[id], back_populates="predecessors"
    )
    predecessors: Mapped[list[Department]] = relationship(
        back_populates="successor", order_by="Department.name"
    )
    aliases: Mapped[list[DepartmentAlias]] = relationship(
        back_populates="department", cascade="all, delete-orphan", order_by="DepartmentAlias.name"
    )
    memberships: Mapped[list[DepartmentMembership]] = relationship(
        back_populates="department", cascade="all, delete-orphan"
    )

    @property
    def directors(self) -> list[User]:
        return [m.user for m in self.memberships if m.role is MembershipRole.director]

    @property
    def staff(self) -> list[User]:
        return [m.user for m in self.memberships if m.role is MembershipRole.staff]


class DepartmentAlias(db.Model):
    """Another name a survey file uses for a department; kept from the import wizard's
    mapping so the next import recognises it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: As written in the file; matched case-insensitively.
    name: Mapped[str] = mapped_column(String(200), unique=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )

    department: Mapped[Department] = relationship(back_populates="aliases")
