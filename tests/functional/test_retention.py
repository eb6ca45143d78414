"""Retention: the daily housekeeping job deletes each kind of personal data past its period
and records how much; the privacy statement names the periods."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from tests.factories import make_action, make_department, make_user
from tracker import uploads
from tracker.audit.models import AuditEvent
from tracker.auth.models import LoginAttempt, Role
from tracker.cocreation.models import CommentStatus, Reaction, Verdict
from tracker.extensions import db
from tracker.scheduler import jobs
from tracker.surveys.models import SurveyComment, SurveyRound
from tracker.types import utcnow


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_housekeeping_deletes_what_is_past_its_period_and_no_more(ctx, app, client):
    now = utcnow()
    ict = make_department("ICT")
    owner = make_user(Role.owner, email="own@example.org", staff_of=[ict])
    left = make_user(Role.employee, email="left@example.org")
    stays = make_user(Role.employee, email="stays@example.org")
    action = make_action(ict, owner)
    old_round = SurveyRound(name="KTO 2022", held_on=date(2022, 3, 1), label_map={})
    new_round = SurveyRound(name="KTO 2026", held_on=now.date(), label_map={})
    db.session.add_all([old_round, new_round])
    db.session.flush()
    db.session.add_all(
        [
            LoginAttempt(
                email="a@b.nl",
                ip_address="1.2.3.4",
                succeeded=False,
                created_at=now - timedelta(days=31),
            ),
            LoginAttempt(
                email="a@b.nl",
                ip_address="1.2.3.4",
                succeeded=False,
                created_at=now - timedelta(days=2),
            ),
            SurveyComment(round_id=old_round.id, department_id=ict.id, text="oud, ruw"),
            SurveyComment(
                round_id=old_round.id, department_id=ict.id, text="oud citaat", approved=True
            ),
            SurveyComment(round_id=new_round.id, department_id=ict.id, text="nieuw, ruw"),
            Reaction(
                action_id=action.id,
                user_id=left.id,
                verdict=Verdict.helps,
                comment="Fijn!",
                comment_status=CommentStatus.approved,
                updated_at=now - timedelta(days=400),
            ),
            Reaction(
                action_id=action.id,
                user_id=stays.id,
                verdict=Verdict.helps,
                comment="Ook fijn",
                comment_status=CommentStatus.approved,
                updated_at=now - timedelta(days=400),
            ),
        ]
    )
    left.active = False
    db.session.execute(
        insert(AuditEvent.__table__).values(
            at=now - timedelta(days=731),
            actor_label="cli",
            action="user.created",
            origin="cli",
            details={},
        )
    )
    db.session.commit()
    audit_before = _count(AuditEvent)
    old = uploads.store(app.instance_path, "oud.csv", owner.id, b"a;b\n1;2\n")
    fresh = uploads.store(app.instance_path, "nieuw.csv", owner.id, b"a;b\n1;2\n")
    folder = Path(app.instance_path) / "uploads"
    two_days_ago = time.time() - 2 * 86400
    for suffix in (".upload", ".json"):
        os.utime(folder / f"{old}{suffix}", (two_days_ago, two_days_ago))

    result = jobs.run_job(app, "housekeeping", now)
    assert result == {
        "login_attempts_removed": 1,
        "audit_events_removed": 1,
        "raw_comments_removed": 1,
        "reactions_of_people_who_left_removed": 1,
        "uploads_removed": 1,
    }
    db.session.expire_all()
    assert _count(LoginAttempt) == 1
    assert _count(AuditEvent) >= audit_before - 1
    assert sorted(db.session.scalars(select(SurveyComment.text))) == ["nieuw, ruw", "oud citaat"]
    comments = dict(db.session.execute(select(Reaction.user_id, Reaction.comment)).all())
    assert comments == {left.id: None, stays.id: "Ook fijn"}
    assert uploads.load(app.instance_path, old, owner.id) is None
    assert uploads.load(app.instance_path, fresh, owner.id) is not None
    # The jobs page names what was removed in words.
    admin = make_user(Role.admin, email="admin@example.org")
    db.session.commit()
    client.login(admin.email)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "oude opmerkingen uit het onderzoek verwijderd: 1" in page


def test_the_privacy_statement_names_the_periods_without_log_in(ctx, make_client, app):
    visitor = make_client()
    page = visitor.get("/privacy").get_data(as_text=True)
    assert "Privacyverklaring" in page and "30 dagen" in page and "730 dagen" in page
    assert 'data-kind="raw_comments"' in page
    english = visitor.get("/privacy", headers={"Accept-Language": "en"})
    assert english.status_code == 200
    assert 'href="/privacy"' in visitor.get("/accessibility").get_data(as_text=True)
