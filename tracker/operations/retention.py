"""Retention (AVG/GDPR): personal data is kept only as long as it is needed. The daily
housekeeping job (tracker.scheduler.jobs) deletes what is older than its period
(RETENTION_<KIND>_DAYS, tracker.config) and records how much; /privacy states the periods.

- log-in attempts: long enough for the throttle and for looking into an attack;
- audit rows: long enough to answer who did what (deleted with SQL: the ORM refuses it);
- raw survey comments, not approved as quotes, of rounds held longer ago;
- reactions of people who left: their comments are removed, the verdict counts on;
- uploads waiting for confirmation in this server's instance folder.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from tracker.config import retention_days
from tracker.extensions import db


def days(kind: str) -> int:
    return retention_days(current_app.config, kind)


def apply_retention(now: datetime) -> dict[str, int]:
    """Delete what has passed its retention period; returns how much, per kind."""
    from tracker import uploads
    from tracker.audit.models import AuditEvent
    from tracker.auth.models import LoginAttempt, User
    from tracker.cocreation.models import CommentStatus, Reaction
    from tracker.surveys.models import SurveyComment, SurveyRound

    def before(kind: str) -> datetime:
        return now - timedelta(days=days(kind))

    removed = {}
    removed["login_attempts"] = db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.created_at < before("login_attempts"))
    ).rowcount
    removed["audit_events"] = db.session.execute(
        delete(AuditEvent.__table__).where(AuditEvent.__table__.c.at < before("audit_events"))
    ).rowcount
    old_rounds = select(SurveyRound.id).where(SurveyRound.held_on < before("raw_comments").date())
    removed["raw_comments"] = db.session.execute(
        delete(SurveyComment).where(
            SurveyComment.round_id.in_(old_rounds), SurveyComment.approved.is_(False)
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    left = select(User.id).where(User.active.is_(False))
    removed["reactions_of_people_who_left"] = db.session.execute(
        update(Reaction)
        .where(
            Reaction.user_id.in_(left),
            Reaction.comment.is_not(None),
            Reaction.updated_at < before("reactions_of_people_who_left"),
        )
        .values(comment=None, comment_status=CommentStatus.none),
        execution_options={"synchronize_session": False},
    ).rowcount
    removed["uploads"] = uploads.remove_older_than(
        current_app.instance_path, timedelta(days=days("uploads")), now
    )
    return removed
