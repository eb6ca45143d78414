"""Reading the audit trail: the admin page and its CSV export, with the same filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import Select, String, cast, or_, select

from tracker import clock
from tracker.audit.models import AuditEvent
from tracker.extensions import db

PER_PAGE = 50
MAX_EXPORT = 100_000


@dataclass
class AuditFilter:
    action: str | None = None
    actor: str | None = None  #: a user id, or part of the actor label
    subject_type: str | None = None
    subject_id: int | None = None
    since: date | None = None
    until: date | None = None
    text: str | None = None

    def apply(self, query: Select) -> Select:
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.actor:
            if self.actor.isdigit() and len(self.actor) < 18:
                query = query.where(AuditEvent.actor_id == int(self.actor))
            else:
                query = query.where(AuditEvent.actor_label.contains(self.actor, autoescape=True))
        if self.subject_type:
            query = query.where(AuditEvent.subject_type == self.subject_type)
        if self.subject_id is not None:
            query = query.where(AuditEvent.subject_id == self.subject_id)
        if self.since:
            query = query.where(AuditEvent.at >= clock.local_moment(self.since, time()))
        if self.until:
            query = query.where(
                AuditEvent.at < clock.local_moment(self.until + timedelta(days=1), time())
            )
        if self.text:
            query = query.where(
                or_(
                    cast(AuditEvent.details, String).contains(self.text, autoescape=True),
                    AuditEvent.origin.contains(self.text, autoescape=True),
                )
            )
        return query


def page(audit_filter: AuditFilter, number: int):
    query = audit_filter.apply(select(AuditEvent)).order_by(
        AuditEvent.at.desc(), AuditEvent.id.desc()
    )
    return db.paginate(query, page=number, per_page=PER_PAGE, error_out=False)


def for_export(audit_filter: AuditFilter) -> list[AuditEvent]:
    query = audit_filter.apply(select(AuditEvent)).order_by(AuditEvent.at, AuditEvent.id)
    return list(db.session.scalars(query.limit(MAX_EXPORT)))


def actions() -> list[str]:
    return list(
        db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )


def subject_types() -> list[str]:
    return [
        t
        for t in db.session.scalars(
            select(AuditEvent.subject_type).distinct().order_by(AuditEvent.subject_type)
        )
        if t
    ]
