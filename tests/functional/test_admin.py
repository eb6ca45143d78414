"""Administrator pages: users, departments, settings; and a director's staff page."""

import re

from sqlalchemy import func, select

from tests.factories import make_department, make_user
from tracker.auth.models import MembershipRole, Role, User
from tracker.extensions import db
from tracker.notifications.models import OutboxMessage
from tracker.organisation.models import Department, Directorate, Organisation


def _admin(client):
    admin = make_user(Role.admin, email="admin@example.org")
    client.login(admin.email)
    return admin


def test_admin_creates_a_director_of_two_departments(ctx, client, app):
    ict, fz = make_department("ICT"), make_department("Facilitaire Zaken")
    _admin(client)
    response = client.post(
        "/admin/users/new",
        {
            "email": "Dirk@Example.org",
            "name": "Dirk Directeur",
            "role": "director",
            "active": "y",
            "locale": "en",
            "directs": [ict.id, fz.id],
            "password": "an admin's choice",
        },  # no such field any more: ignored
        follow_redirects=True,
    )
    assert "Gebruiker Dirk Directeur is aangemaakt." in response.get_data(as_text=True)
    dirk = db.session.scalar(select(User).where(User.email == "dirk@example.org"))
    assert dirk.role is Role.director and dirk.locale == "en"
    assert dirk.directed_department_ids == {ict.id, fz.id}
    assert dirk.password_hash is None  # the admin chooses no password; Dirk is invited
    # The new director chooses a password with the invitation and sees the English
    # interface they chose.
    client.post("/logout")
    invitation = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))
    link = re.search(r"/set-password/\S+", invitation.body_text).group(0)
    client.get(link)
    client.post(link, {"new_password": "long enough password", "confirm": "long enough password"})
    assert "Welcome, Dirk Directeur" in client.get("/").get_data(as_text=True)


def test_bad_user_form_shows_field_errors_and_writes_nothing(ctx, client):
    _admin(client)
    make_user(email="taken@example.org")
    before = db.session.scalar(select(func.count(User.id)))
    response = client.post(
        "/admin/users/new",
        {"email": "not-an-address", "name": "", "role": "employee", "password": "short"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in html
    assert "Ongeldig e-mailadres." in html
    assert "Dit veld is vereist." in html
    response = client.post(
        "/admin/users/new",
        {"email": "taken@example.org", "name": "Dubbel", "role": "employee", "locale": ""},
    )
    assert "Er is al een gebruiker met dit e-mailadres." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == before


def test_admin_cannot_remove_own_admin_rights(ctx, client):
    admin = _admin(client)
    response = client.post(
        f"/admin/users/{admin.id}",
        {"email": admin.email, "name": admin.name, "role": "employee", "active": "y", "locale": ""},
    )
    assert "Je kunt je eigen beheerdersrechten niet afnemen." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).role is Role.admin


def test_html_in_names_is_shown_escaped(ctx, client):
    _admin(client)
    client.post(
        "/admin/departments/new",
        {
            "name": "<script>alert(1)</script>ICT",
            "short_name": "ICT",
            "directorate_id": 0,
            "active": "y",
        },
    )
    html = client.get("/departments").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;ICT" in html
    assert "<script>alert(1)" not in html


def test_department_create_edit_and_duplicate_name(ctx, client):
    _admin(client)
    client.post(
        "/admin/settings", {"directorate-name": "Dienstendirectie", "directorate-submit": "y"}
    )
    directorate = db.session.scalar(select(Directorate))
    response = client.post(
        "/admin/departments/new",
        {
            "name": "Juridische Zaken",
            "short_name": "JZ",
            "directorate_id": directorate.id,
            "active": "y",
        },
        follow_redirects=True,
    )
    assert "Afdeling Juridische Zaken is aangemaakt." in response.get_data(as_text=True)
    jz = db.session.scalar(select(Department).where(Department.name == "Juridische Zaken"))
    assert jz.directorate.name == "Dienstendirectie"
    response = client.post(
        "/admin/departments/new",
        {"name": "juridische zaken", "short_name": "JZ2", "directorate_id": 0},
    )
    assert "Er is al een afdeling met deze naam." in response.get_data(as_text=True)
    client.post(
        f"/admin/departments/{jz.id}",
        {"name": "Juridische Zaken", "short_name": "JUR", "directorate_id": 0},
    )
    db.session.expire_all()
    jz = db.session.get(Department, jz.id)
    assert jz.short_name == "JUR" and jz.active is False and jz.directorate is None


RULES = {
    "finding_below_benchmark": "0,8",
    "finding_dropped": "0.4",
    "finding_lowest_count": "2",
    "finding_strength_above": "1",
    "reminder_days_before": "14, 3, 0",
    "escalation_days": "14",
}


def test_settings_are_validated_and_saved(ctx, client):
    _admin(client)
    response = client.post(
        "/admin/settings",
        {
            "name": "Gemeente Test",
            "default_locale": "en",
            "anonymity_threshold": "0",
            "timezone": "Europe/Amsterdam",
            "submit": "y",
            **RULES,
        },
    )
    assert "Nummer moet tussen 1 en 100 liggen." in response.get_data(as_text=True)
    assert db.session.scalar(select(Organisation)) is None
    # Time zones by country and city, not by their IANA code.
    assert '<option selected value="Europe/Amsterdam">Nederland (Amsterdam)</option>' in (
        response.get_data(as_text=True)
    )
    client.post(
        "/admin/settings",
        {
            "name": "Gemeente Test",
            "default_locale": "en",
            "anonymity_threshold": "7",
            "timezone": "Europe/Amsterdam",
            "submit": "y",
            **RULES,
        },
    )
    organisation = db.session.scalar(select(Organisation))
    assert (organisation.name, organisation.anonymity_threshold) == ("Gemeente Test", 7)
    assert (
        organisation.finding_below_benchmark,
        organisation.finding_dropped,
        organisation.finding_lowest_count,
        organisation.finding_strength_above,
    ) == (0.8, 0.4, 2, 1.0)
    assert (organisation.reminder_days_before, organisation.escalation_days) == ("14,3,0", 14)
    # A visitor without a language of their own now gets the English default.
    client.post("/logout")
    client.client.delete_cookie("session")
    assert "Log in with your work e-mail" in client.get("/login").get_data(as_text=True)


def test_reminder_settings_are_validated_and_saved(ctx, client):
    _admin(client)
    page = client.get("/admin/settings").get_data(as_text=True)
    # Before anything is saved the page shows the installation's defaults.
    assert 'value="14, 3, 0"' in page
    base = {
        "name": "Gemeente Test",
        "default_locale": "nl",
        "anonymity_threshold": "5",
        "timezone": "Europe/Amsterdam",
        "submit": "y",
        **RULES,
    }
    refused = client.post("/admin/settings", {**base, "reminder_days_before": "14, drie"})
    assert "hele aantallen dagen van 0 tot 365" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Organisation)) is None
    refused = client.post("/admin/settings", {**base, "reminder_days_before": "1,2,3,4,5,6,7"})
    assert "Hoogstens zes herinneringen" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Organisation)) is None
    saved = client.post(
        "/admin/settings", {**base, "reminder_days_before": "1; 7;7", "escalation_days": "5"}
    )
    assert saved.status_code == 302
    organisation = db.session.scalar(select(Organisation))
    assert (organisation.reminder_days_before, organisation.escalation_days) == ("7,1", 5)
    assert 'value="7, 1"' in client.get("/admin/settings").get_data(as_text=True)


def test_director_manages_staff_of_own_department_only(ctx, client):
    ict, hr = make_department("ICT"), make_department("P&O")
    director = make_user(Role.director, email="dir@example.org", directs=[ict])
    sanne = make_user(Role.owner, name="Sanne Peters")
    client.login(director.email)
    response = client.post(
        f"/departments/{ict.id}/staff", {"staff": [sanne.id]}, follow_redirects=True
    )
    assert "Sanne Peters" in response.get_data(as_text=True)
    db.session.expire_all()
    assert [u.name for u in db.session.get(Department, ict.id).staff] == ["Sanne Peters"]
    assert client.post(f"/departments/{hr.id}/staff", {"staff": [sanne.id]}).status_code == 403
    assert db.session.get(Department, hr.id).staff == []
    memberships = db.session.get(User, sanne.id).memberships
    assert [(m.department_id, m.role) for m in memberships] == [(ict.id, MembershipRole.staff)]


def test_a_raised_anonymity_threshold_hides_what_was_imported_before(ctx, client, make_client):
    """Groups of 6 were shown at threshold 5; at 8 their scores and comments are gone from
    the results page and "you said, we did" at once, and stay gone at 5 again."""
    from tests.factories import make_finding
    from tracker.surveys.models import Finding, RoundParticipation, SurveyComment, Triage

    small = make_department("Juridische Zaken", "JZ")
    large = make_department("Informatievoorziening", "ICT")
    director = make_user(Role.director, email="dir@example.org", directs=[small, large])
    hidden = make_finding(small, score=5.2, n=6, triage=Triage.act)
    shown = make_finding(large, score=6.8, n=40, triage=Triage.act)
    db.session.add_all(
        [
            RoundParticipation(round_id=hidden.round_id, department_id=small.id, respondents=6),
            RoundParticipation(round_id=shown.round_id, department_id=large.id, respondents=40),
            SurveyComment(
                round_id=hidden.round_id, department_id=small.id, text="Wij wachten weken"
            ),
        ]
    )
    db.session.commit()
    reader = make_client()
    reader.login(director.email)
    results = f"/surveys/{hidden.round_id}/departments/{small.id}"
    assert "5,2" in reader.get(results).get_data(as_text=True)
    _admin(client)
    base = {
        "name": "Gemeente Test",
        "default_locale": "nl",
        "timezone": "Europe/Amsterdam",
        "submit": "y",
        **RULES,
    }
    assert client.post("/admin/settings", {**base, "anonymity_threshold": "8"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Finding, hidden.id).suppressed
    assert db.session.get(Finding, hidden.id).score is None
    assert db.session.get(Finding, shown.id).score == 6.8
    assert db.session.scalar(select(SurveyComment)) is None
    page = reader.get(results).get_data(as_text=True)
    assert "5,2" not in page and "Wij wachten weken" not in page
    public = reader.get(f"/you-said-we-did/{hidden.round_id}/{small.id}").get_data(as_text=True)
    assert "5,2" not in public
    # Lowering it again brings nothing back.
    client.post("/admin/settings", {**base, "anonymity_threshold": "5"})
    db.session.expire_all()
    assert db.session.get(Finding, hidden.id).score is None
