"""Who may do what with staff meetings: shared by the services, the read helpers and the
routes (so `queries.py` needs no services)."""

from __future__ import annotations

from tracker.auth.models import Role, User
from tracker.auth.permissions import may_manage_department
from tracker.meetings.models import MeetingSeries


def may_create_series(user: User) -> bool:
    return user.is_admin or user.role is Role.director


def may_manage_series(user: User, series: MeetingSeries) -> bool:
    """Admins; for a department's meeting its directors; for a directorate's (or the
    organisation's) meeting every director (the services directorate meets together)."""
    if user.is_admin:
        return True
    if series.department_id is not None:
        return may_manage_department(user, series.department_id)
    return user.role is Role.director


def may_chair(user: User, series: MeetingSeries) -> bool:
    """Run meeting mode: record decisions and close the meeting. The series has no minute
    taker of its own: its chair and the directors who manage it."""
    return series.chair_id == user.id or may_manage_series(user, series)


def is_attendee(user: User, series: MeetingSeries) -> bool:
    return any(a.id == user.id for a in series.attendees)


def may_read(user: User, series: MeetingSeries) -> bool:
    """The whole agenda and the minutes."""
    return may_manage_series(user, series) or is_attendee(user, series)
