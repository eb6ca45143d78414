"""The audit trail: each kind of change writes its row (who, what, when, from where), nothing
can change it, and administrators search and export it."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tests.factories import make_department, make_user
from tracker.audit.models import AuditEvent
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.organisation.models import Organisation


def events(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


@pytest.fixture
def admin(ctx, client):
    admin = make_user(Role.admin, email="admin@example.org")
    db.session.commit()
    client.login(admin.email)
    return admin


def test_creating_changing_and_deactivating_a_person_is_recorded_with_who_and_where(admin, client):
    ict = make_department("ICT")
    db.session.commit()
    client.post(
        "/admin/users/new",
        {
            "email": "eva@example.org",
            "name": "Eva",
            "role": "owner",
            "active": "y",
            "locale": "",
            "staff_of": [ict.id],
        },
    )
    eva = db.session.scalar(select(User).where(User.email == "eva@example.org"))
    created = events("user.created")[-1]
    assert created.subject_id == eva.id and created.actor_id == admin.id
    assert created.details["role"] == "owner" and created.origin == "127.0.0.1"
    assert "password" not in created.details and "password_hash" not in created.details
    membership = events("membership.added")[-1]
    assert membership.subject_id == eva.id and membership.details["department_id"] == ict.id

    client.post(
        f"/admin/users/{eva.id}",
        {
            "email": "eva@example.org",
            "name": "Eva",
            "role": "director",
            "active": "y",
            "locale": "",
            "directs": [ict.id],
        },
    )
    changed = events("user.changed")[-1]
    assert changed.details["role"] == ["owner", "director"] and changed.actor_id == admin.id
    assert events("membership.removed")[-1].details["membership"] == "staff"

    client.post(
        f"/admin/users/{eva.id}",
        {
            "email": "eva@example.org",
            "name": "Eva",
            "role": "director",
            "locale": "",
            "directs": [ict.id],
        },
    )  # active unticked
    deactivated = events("user.deactivated")[-1]
    assert deactivated.subject_id == eva.id and deactivated.details == {"active": [True, False]}


def test_settings_and_departments_are_recorded(admin, client):
    make_department("ICT")
    db.session.add(Organisation(name="Gemeente", anonymity_threshold=5))
    db.session.commit()
    organisation = db.session.scalar(select(Organisation))
    organisation.anonymity_threshold = 8
    db.session.commit()
    change = events("settings.changed")[-1]
    assert change.details["anonymity_threshold"] == [5, 8]
    assert events("department.created")[-1].details["name"] == "ICT"


def test_the_command_line_is_recorded_as_such(app):
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["create-admin", "beheer@example.org", "--password", "een lang wachtwoord"]
        )
        assert result.exit_code == 0, result.output
        created = events("user.created")[-1]
        assert created.actor_id is None and created.actor_label == "cli"
        assert created.origin == "cli" and created.details["role"] == "admin"
        db.session.remove()


def test_sign_ins_are_recorded_succeeded_and_failed(ctx, client):
    eva = make_user(email="eva@example.org")
    db.session.commit()
    client.login("eva@example.org", "wrong password")
    client.login("nobody@example.org", "whatever")
    client.login("eva@example.org")
    failed = events("signin.failed")
    assert [e.subject_id for e in failed] == [eva.id, None]
    assert failed[1].details["email"] == "nobody@example.org"
    assert all("password" not in e.details for e in failed)
    succeeded = events("signin.succeeded")[-1]
    assert succeeded.actor_id == eva.id and succeeded.details == {"method": "password"}


def test_a_refused_change_leaves_no_record_and_records_cannot_be_changed(admin, client):
    before = len(events())
    response = client.post(
        "/admin/users/new",
        {"email": "admin@example.org", "name": "Dubbel", "role": "employee", "locale": ""},
    )
    assert response.status_code == 200  # refused: the address is taken
    assert len(events()) == before
    row = events()[-1]
    row.action = "forged"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(events()[-1])
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def test_admin_filters_and_exports_the_trail_in_both_languages(admin, client):
    make_department("ICT")
    make_department('=HYPERLINK("x")')
    db.session.commit()
    page = client.get("/admin/audit?action=department.created").get_data(as_text=True)
    assert "Audittrail" in page and page.count('data-audit-event="department.created"') == 2
    assert 'data-audit-event="signin.succeeded"' not in page
    client.post("/language", {"language": "en"})
    english = client.get("/admin/audit?text=ICT").get_data(as_text=True)
    assert "Audit trail" in english and english.count("data-audit-event=") == 1
    bad = client.get("/admin/audit?since=not-a-date&subject_id=99999999999999999999999")
    assert bad.status_code == 200 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    export = client.get("/admin/audit/export.csv?action=department.created")
    assert export.mimetype == "text/csv"
    rows = list(
        csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert len(rows) == 3 and rows[1][3] == "department.created"
    assert all(not cell.startswith("=") for row in rows for cell in row)


def test_scim_tokens_and_what_a_scim_client_changes_are_recorded(admin, client, app):
    import re

    from tracker.provisioning.models import ScimToken

    page = client.post("/admin/scim-tokens", {"name": "entra-id"}).get_data(as_text=True)
    token = db.session.scalar(select(ScimToken))
    secret = next(
        t
        for t in re.findall(r"[A-Za-z0-9_-]{40,}", page)
        if __import__("hashlib").sha256(t.encode()).hexdigest() == token.token_hash
    )
    made = events("scim_token.created")[-1]
    assert made.actor_id == admin.id and made.details == {"name": "entra-id"}
    assert secret not in str(made.details) and token.token_hash not in str(made.details)
    scim = app.test_client()
    response = scim.post(
        "/scim/v2/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "nina@example.org",
            "name": {"formatted": "Nina"},
        },
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    created = events("user.created")[-1]
    assert created.actor_id is None and created.actor_label == "scim:entra-id"
    client.post(f"/admin/scim-tokens/{token.id}/revoke")
    revoked = events("scim_token.changed")[-1]
    assert revoked.details["revoked_at"][0] is None and revoked.details["revoked_at"][1]


def test_a_person_provisioned_by_scim_without_single_sign_on_is_invited(admin, client, app):
    import hashlib
    import re

    from tracker.notifications.models import OutboxMessage
    from tracker.provisioning.models import ScimToken

    page = client.post("/admin/scim-tokens", {"name": "hr"}).get_data(as_text=True)
    token = db.session.scalar(select(ScimToken))
    secret = next(
        t
        for t in re.findall(r"[A-Za-z0-9_-]{40,}", page)
        if hashlib.sha256(t.encode()).hexdigest() == token.token_hash
    )
    response = app.test_client().post(
        "/scim/v2/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "omar@example.org",
            "name": {"formatted": "Omar"},
        },
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201
    db.session.expire_all()
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))
    assert [m.recipient_email for m in mails] == ["omar@example.org"]


def test_decisions_on_the_follow_up_are_recorded_in_words(admin, client):
    """Triage, an action's status, owner and deadline, and the moderation of a reaction each
    write their row (made by the services, whatever page called them), named in words on
    the audit page; making a reaction itself is not recorded."""
    from datetime import timedelta

    from tests.factories import make_action, make_finding
    from tracker import clock
    from tracker.actions import services as actions
    from tracker.actions.models import ActionStatus
    from tracker.cocreation import services as cocreation
    from tracker.cocreation.models import CommentStatus, Reaction, Verdict
    from tracker.surveys import services as surveys
    from tracker.surveys.models import Triage

    ict = make_department("ICT")
    director = make_user(Role.director, email="dir@example.org", directs=[ict])
    owner = make_user(Role.owner, email="own@example.org", name="Olga", staff_of=[ict])
    other = make_user(Role.owner, email="other@example.org", name="Sanne", staff_of=[ict])
    employee = make_user(Role.employee, email="emp@example.org")
    finding = make_finding(ict)
    action = make_action(ict, owner, by=director, findings=[finding])
    db.session.commit()
    before = len(events())

    surveys.triage_finding(director, finding, Triage.act, None, None)
    actions.change_status(director, action, ActionStatus.planned, expected_version=action.version)
    db.session.commit()
    new_deadline = clock.today() + timedelta(days=60)
    actions.update_action(
        director, action, expected_version=action.version, owner=other, deadline=new_deadline
    )
    db.session.commit()
    reaction = Reaction(
        action_id=action.id,
        user_id=employee.id,
        verdict=Verdict.helps,
        comment="Goed plan",
        comment_status=CommentStatus.pending,
    )
    db.session.add(reaction)
    db.session.commit()
    cocreation.moderate(director, reaction, approve=True)
    db.session.commit()

    recorded = events()[before:]
    changes = {}
    for event in recorded:
        changes.setdefault((event.action, event.subject_id), {}).update(event.details)
    assert changes[("finding.changed", finding.id)]["triage"] == ["untriaged", "act"]
    made = changes[("action.changed", action.id)]
    assert made["status"] == ["proposed", "planned"]
    assert made["owner_id"] == [owner.id, other.id]
    assert made["deadline"][1] == new_deadline.isoformat()
    assert changes[("reaction.changed", reaction.id)]["comment_status"] == ["pending", "approved"]
    assert not any(e.action == "reaction.created" for e in recorded)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Voorgesteld → Gepland" in page
    assert "nog niet besloten → oppakken" in page
    assert "untriaged" not in page and "in_progress" not in page
