"""Provisioning people (issue 14, points 6-9), as administrators and people meet it: the HR
file import on the command line and on the admin page, invitations and password resets read
from a real SMTP server on loopback, and what happens when someone leaves."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD, make_action, make_department, make_user
from tests.mailserver import mail_server  # noqa: F401 (fixture)
from tracker import clock
from tracker.actions.models import ActionStatus, ImprovementAction
from tracker.auth import invitations
from tracker.auth.models import (
    DepartmentMembership,
    HrRecord,
    LoginAttempt,
    MembershipRole,
    PasswordToken,
    Role,
    TokenPurpose,
    User,
)
from tracker.extensions import db
from tracker.notifications.models import OutboxMessage
from tracker.organisation.services import save_settings
from tracker.scheduler import jobs
from tracker.types import utcnow

NEW_PASSWORD = "a password of my own"


# --- Helpers ------------------------------------------------------------------------------


def outbox(kind: str | None = None, to: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if to:
        query = query.where(OutboxMessage.recipient_email == to)
    return list(db.session.scalars(query))


def deliver(app) -> None:
    """The scheduler's delivery job, as in production."""
    result = jobs.run_job(app, "deliver")
    assert "error" not in result, result


def link_in(text: str, app) -> str:
    """The path of the set-password link in a mail's text."""
    match = re.search(re.escape(app.config["BASE_URL"]) + r"(/set-password/[A-Za-z0-9_\-]+)", text)
    assert match, text
    return match.group(1)


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, DepartmentMembership, HrRecord, PasswordToken, OutboxMessage)
    }


def memberships(user: User) -> set[tuple[str, MembershipRole]]:
    db.session.expire_all()
    user = db.session.get(User, user.id)
    return {(m.department.short_name, m.role) for m in user.memberships}


@pytest.fixture
def org(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    hr = make_department("Personeel & Organisatie", "P&O")
    fin = make_department("Financiën", "FIN")
    admin = make_user(Role.admin, email="admin@example.org", name="Anna Beheer")
    return {"ict": ict, "hr": hr, "fin": fin, "admin": admin}


PEOPLE_ROWS = [
    ("José Müller", "Jose.Muller@Example.org", "ICT", "actiehouder"),
    ("Zoë de Wit", "zoe@example.org", "Financiën", "directeur"),
    ("Piet Jansen", "piet@example.org", "personeel & organisatie", "medewerker"),
]


def csv_bytes(
    rows, header=("naam", "e-mailadres", "afdeling", "rol"), delimiter=";", encoding="utf-8-sig"
) -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, header=("Naam", "E-mailadres", "Afdeling", "Rol")) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run_import(app, tmp_path, data: bytes, *args, name="people.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    result = app.test_cli_runner().invoke(args=["import-users", str(path), *args])
    db.session.expire_all()
    return result


def run_json(app, tmp_path, data: bytes, *args, name="people.csv") -> dict:
    result = run_import(app, tmp_path, data, "--json", *args, name=name)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --- import-users on the command line -----------------------------------------------------


FORMATS = {
    "utf-8 with BOM, semicolons": lambda: (csv_bytes(PEOPLE_ROWS), "people.csv"),
    "windows-1252, commas, English headers": lambda: (
        csv_bytes(
            [
                (
                    n,
                    e,
                    d,
                    {"actiehouder": "Owner", "directeur": "DIRECTOR", "medewerker": "employee"}[r],
                )
                for n, e, d, r in PEOPLE_ROWS
            ],
            header=("Name", "E-mail", "Department", "Role"),
            delimiter=",",
            encoding="cp1252",
        ),
        "people.csv",
    ),
    "xlsx": lambda: (xlsx_bytes(PEOPLE_ROWS), "people.xlsx"),
}


@pytest.mark.parametrize("file_format", FORMATS)
def test_import_creates_people_from_each_file_format(org, app, tmp_path, file_format):
    data, name = FORMATS[file_format]()
    report = run_json(app, tmp_path, data, name=name)
    assert [p["email"] for p in report["created"]] == [
        "jose.muller@example.org",
        "zoe@example.org",
        "piet@example.org",
    ]
    people = {u.email: u for u in db.session.scalars(select(User))}
    jose, zoe, piet = (
        people["jose.muller@example.org"],
        people["zoe@example.org"],
        people["piet@example.org"],
    )
    # Accents survive every encoding.
    assert (jose.name, zoe.name) == ("José Müller", "Zoë de Wit")
    assert (jose.role, zoe.role, piet.role) == (Role.owner, Role.director, Role.employee)
    # The department by short name, full name or in another case; directors direct it.
    assert memberships(jose) == {("ICT", MembershipRole.staff)}
    assert memberships(zoe) == {("FIN", MembershipRole.director)}
    assert memberships(piet) == {("P&O", MembershipRole.staff)}
    # Nobody has a password: each is invited.
    assert all(u.password_hash is None for u in (jose, zoe, piet))
    assert {m.recipient_email for m in outbox("invitation")} == {
        "jose.muller@example.org",
        "zoe@example.org",
        "piet@example.org",
    }


def test_dry_run_writes_nothing_and_says_what_would_change(org, app, tmp_path):
    make_user(Role.owner, email="zoe@example.org", name="Zoe Wit", staff_of=[org["ict"]])
    before = counts()
    result = run_import(
        app,
        tmp_path,
        csv_bytes(PEOPLE_ROWS),
        "--dry-run",
        "--deactivate-missing",
        "--by",
        "admin@example.org",
    )
    assert result.exit_code == 0, result.output
    assert (
        "Would import people.csv: 2 created, 1 changed, 0 unchanged, 0 refused, "
        "0 deactivated." in result.output
    )
    assert (
        "+ jose.muller@example.org (José Müller, owner, Informatievoorziening & ICT)"
        in result.output
    )
    assert (
        "~ zoe@example.org: name: Zoe Wit -> Zoë de Wit; role: owner -> director" in result.output
    )
    assert counts() == before
    assert db.session.scalar(select(User).where(User.email == "zoe@example.org")).name == "Zoe Wit"


def test_running_the_same_file_twice_changes_nothing_the_second_time(org, app, tmp_path):
    data = csv_bytes(PEOPLE_ROWS)
    first = run_json(app, tmp_path, data)
    assert len(first["created"]) == 3
    after_first = counts()
    second = run_json(app, tmp_path, data)
    assert second == {
        "dry_run": False,
        "created": [],
        "changed": [],
        "unchanged": 3,
        "refused": [],
        "deactivated": [],
        "not_deactivated": [],
    }
    assert counts() == after_first  # no second invitation either


def test_bad_rows_are_refused_with_their_row_numbers_and_good_rows_go_in(org, app, tmp_path):
    data = csv_bytes(
        [
            ("Goed Een", "een@example.org", "ICT", "medewerker"),  # row 2
            ("Fout Adres", "geen-adres", "ICT", "medewerker"),  # row 3
            ("Onbekend", "onbekend@example.org", "Marketing", "medewerker"),  # row 4
            ("", "", "", ""),  # row 5: blank, skipped
            ("Rol Fout", "rol@example.org", "ICT", "koning"),  # row 6
            ("Dubbel", "dubbel@example.org", "ICT", ""),  # row 7
            ("Dubbel Twee", "DUBBEL@example.org", "P&O", ""),  # row 8
            ("Goed Twee", "twee@example.org", "", ""),  # row 9
        ],
        delimiter=",",
    )
    report = run_json(app, tmp_path, data)
    assert set(report) == {
        "dry_run",
        "created",
        "changed",
        "unchanged",
        "refused",
        "deactivated",
        "not_deactivated",
    }
    assert [(p["row"], p["email"]) for p in report["created"]] == [
        (2, "een@example.org"),
        (9, "twee@example.org"),
    ]
    refused = {r["row"]: r["reason"] for r in report["refused"]}
    assert sorted(refused) == [3, 4, 6, 7, 8]
    assert "geen-adres" in refused[3]
    assert "Marketing" in refused[4]
    assert "koning" in refused[6]
    assert "(7, 8)" in refused[7] and "(7, 8)" in refused[8]
    assert {u.email for u in db.session.scalars(select(User))} == {
        "admin@example.org",
        "een@example.org",
        "twee@example.org",
    }
    twee = db.session.scalar(select(User).where(User.email == "twee@example.org"))
    assert twee.role is Role.employee and memberships(twee) == set()


def test_broken_files_give_a_clear_message_and_write_nothing(org, app, tmp_path):
    before = counts()
    for data, message in [
        # The command speaks the organisation's language (Dutch by default).
        (b"", "Het bestand is leeg."),
        (b"voornaam;achternaam\nJan;Jansen\n", "Ontbreekt: naam, e-mailadres"),
        (b"PK\x03\x04 not really a zip", "Het Excelbestand is beschadigd"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "oud Excelbestand (.xls)"),
        (b"naam;e-mailadres\n", "noemt niemand"),
    ]:
        result = run_import(app, tmp_path, data, "--deactivate-missing")
        assert result.exit_code != 0
        assert message in result.output, result.output
    assert counts() == before


def test_changes_move_the_managed_membership_and_keep_those_set_by_hand(org, app, tmp_path):
    person = make_user(Role.owner, email="jan@example.org", name="Jan", staff_of=[org["ict"]])
    data = csv_bytes([("Jan", "jan@example.org", "ICT", "actiehouder")])
    assert run_json(app, tmp_path, data)["unchanged"] == 1
    # A director adds Jan to P&O's staff by hand.
    user = db.session.get(User, person.id)
    user.memberships.append(
        DepartmentMembership(department_id=org["hr"].id, role=MembershipRole.staff)
    )
    db.session.commit()
    # HR moves Jan to Financiën and makes him its director.
    moved = run_json(app, tmp_path, csv_bytes([("Jan", "jan@example.org", "FIN", "directeur")]))
    [change] = moved["changed"]
    assert change["row"] == 2 and change["changes"]["role"] == ["owner", "director"]
    assert change["changes"]["departments"] == [
        ["Informatievoorziening & ICT", "Personeel & Organisatie"],
        ["Financiën (directeur)", "Personeel & Organisatie"],
    ]
    assert memberships(person) == {("FIN", MembershipRole.director), ("P&O", MembershipRole.staff)}
    # An empty department cell leaves memberships alone; a lower role ends directing.
    run_json(app, tmp_path, csv_bytes([("Jan", "jan@example.org", "", "medewerker")]))
    assert memberships(person) == {("P&O", MembershipRole.staff)}
    assert db.session.get(User, person.id).role is Role.employee


def test_deactivate_missing_never_the_runner_and_never_the_last_admin(org, app, tmp_path):
    other_admin = make_user(Role.admin, email="other-admin@example.org", name="Otto Beheer")
    stays = make_user(email="stays@example.org", name="Stays")
    leaves = make_user(email="leaves@example.org", name="Leaves")
    data = csv_bytes([("Stays", "stays@example.org", "", "")])
    report = run_json(app, tmp_path, data, "--deactivate-missing", "--by", "admin@example.org")
    assert {p["email"] for p in report["deactivated"]} == {
        "leaves@example.org",
        "other-admin@example.org",
    }
    assert report["not_deactivated"] == [
        {"email": "admin@example.org", "name": "Anna Beheer", "reason": "Jij voert de import uit."}
    ]
    active = {u.email for u in db.session.scalars(select(User).where(User.active.is_(True)))}
    assert active == {"admin@example.org", "stays@example.org"}
    assert db.session.get(User, leaves.id).active is False
    assert db.session.get(User, stays.id).active is True
    # Without --by, one of the admins not in the file stays: the last active one.
    db.session.get(User, other_admin.id).active = True
    db.session.commit()
    report = run_json(app, tmp_path, data, "--deactivate-missing")
    assert [p["email"] for p in report["deactivated"]] == ["admin@example.org"]
    assert report["not_deactivated"] == [
        {
            "email": "other-admin@example.org",
            "name": "Otto Beheer",
            "reason": "De laatste actieve beheerder wordt nooit gedeactiveerd.",
        }
    ]
    assert db.session.scalars(
        select(User.email).where(User.role == Role.admin, User.active.is_(True))
    ).all() == ["other-admin@example.org"]


def test_the_file_never_demotes_the_last_admin_or_the_runner(org, app, tmp_path):
    data = csv_bytes([("Anna Beheer", "admin@example.org", "", "medewerker")])
    report = run_json(app, tmp_path, data)
    assert report["refused"] == [
        {"row": 2, "reason": "Anna Beheer is de laatste actieve beheerder en blijft dat."}
    ]
    make_user(Role.admin, email="second@example.org")
    report = run_json(app, tmp_path, data, "--by", "admin@example.org")
    assert report["refused"][0]["reason"] == "Je kunt je eigen beheerdersrechten niet afnemen."
    assert db.session.get(User, org["admin"].id).role is Role.admin


def test_a_person_deactivated_by_the_import_is_signed_out_at_the_next_request(
    org, app, tmp_path, client
):
    make_user(email="leaves@example.org", name="Leaves")
    client.login("leaves@example.org")
    assert client.get("/").status_code == 200
    run_json(
        app,
        tmp_path,
        csv_bytes([("Anna Beheer", "admin@example.org", "", "beheerder")]),
        "--deactivate-missing",
        "--by",
        "admin@example.org",
    )
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- The admin page -----------------------------------------------------------------------


def _upload(client, data: bytes, name="people.csv", **extra):
    return client.post("/admin/users/import", {"file": (io.BytesIO(data), name), **extra})


def test_admin_previews_then_confirms_the_import_in_dutch(org, client):
    make_user(email="leaves@example.org", name="Leaves")
    client.login("admin@example.org")
    assert 'href="/admin/users/import"' in client.get("/admin/users").get_data(as_text=True)
    rows = PEOPLE_ROWS + [("Rol Fout", "rol@example.org", "ICT", "koning")]
    before = counts()
    response = _upload(client, csv_bytes(rows), deactivate_missing="y")
    assert response.status_code == 302
    preview = client.get(response.headers["Location"])
    page = preview.get_data(as_text=True)
    assert (
        "Er is nog niets opgeslagen. De import geeft: aangemaakt 3 · gewijzigd 0 · "
        "gedeactiveerd 1 · ongewijzigd 0 · geweigerde rijen 1." in page
    )
    assert "Onbekende rol “koning”" in page and "<td>5</td>" in page
    assert "José Müller" in page and "Leaves (leaves@example.org)" in page
    assert counts() == before  # the preview writes nothing
    done = client.post(
        response.headers["Location"], {"deactivate_missing": "1"}, follow_redirects=True
    )
    assert (
        "people.csv is geïmporteerd. Aangemaakt: 3 · gewijzigd: 0 · ongewijzigd: 0 · "
        "geweigerde rijen: 1 · gedeactiveerd: 1." in done.get_data(as_text=True)
    )
    assert (
        db.session.scalar(select(User).where(User.email == "zoe@example.org")).role is Role.director
    )
    assert db.session.scalar(select(User).where(User.email == "leaves@example.org")).active is False
    assert len(outbox("invitation")) == 3
    # The upload is gone: confirming again imports nothing twice.
    again = client.post(response.headers["Location"], {"deactivate_missing": "1"})
    assert again.status_code == 302 and again.headers["Location"] == "/admin/users/import"


def test_admin_previews_then_confirms_the_import_in_english(org, client):
    org["admin"].locale = "en"
    db.session.commit()
    client.login("admin@example.org")
    response = _upload(client, xlsx_bytes(PEOPLE_ROWS[:1]), name="hr.xlsx")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "Nothing is saved yet. The import would give: created 1 · changed 0 · "
        "deactivated 0 · unchanged 0 · refused rows 0." in page
    )
    assert "Excel (.xlsx)" in page
    assert counts()["User"] == 1
    done = client.post(response.headers["Location"], {}, follow_redirects=True)
    assert (
        "hr.xlsx is imported. Created: 1 · changed: 0 · unchanged: 0 · refused rows: 0 · "
        "deactivated: 0." in done.get_data(as_text=True)
    )
    assert counts()["User"] == 2


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "Het bestand is leeg."),
        (b"   \n", "Het bestand is leeg."),
        (b"PK\x03\x04" + b"\x00" * 200, "Het Excelbestand is beschadigd"),
        (b"\x00\x01\x02\x03" * 500, "Dit bestand is geen tekst, CSV of Excel (.xlsx)."),
        (b"a;b\n1;2\n", "Ontbreekt: naam, e-mailadres"),
        (b"naam;e-mailadres\n" + b"x" * (5 * 1024 * 1024), "groter dan 5 MB"),
    ],
)
def test_a_broken_or_empty_file_gets_a_clear_message_on_the_page(org, client, data, message):
    client.login("admin@example.org")
    before = counts()
    response = _upload(client, data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert counts() == before


def test_an_upload_is_only_its_uploaders(org, client, make_client):
    make_user(Role.admin, email="other-admin@example.org")
    client.login("admin@example.org")
    location = _upload(client, csv_bytes(PEOPLE_ROWS)).headers["Location"]
    other = make_client()
    other.login("other-admin@example.org")
    response = other.post(location, {})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users/import"
    assert counts()["User"] == 2


# --- Invitations --------------------------------------------------------------------------


def test_admin_form_has_no_password_and_the_new_person_chooses_one(
    org, app, client, make_client, mail_server
):
    client.login("admin@example.org")
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert 'type="password"' not in form
    assert 'type="password"' not in client.get(f"/admin/users/{org['admin'].id}").get_data(
        as_text=True
    )
    response = client.post(
        "/admin/users/new",
        {
            "email": "Nina@Example.org",
            "name": "Nina Nieuw",
            "role": "owner",
            "active": "y",
            "locale": "en",
            "staff_of": [org["ict"].id],
        },
        follow_redirects=True,
    )
    assert (
        "Nina Nieuw krijgt een mail met een link om een wachtwoord te kiezen."
        in response.get_data(as_text=True)
    )
    nina = db.session.scalar(select(User).where(User.email == "nina@example.org"))
    assert nina.password_hash is None
    deliver(app)
    [mail] = mail_server.recorder.to("nina@example.org")
    assert mail.message["Subject"] == "Your account for the tracker of Organisatie"
    assert "Anna Beheer made you an account" in mail.text()  # in Nina's language
    path = link_in(mail.text(), app)
    assert path in mail.html()
    # Only the token's sha256 is stored, valid for 72 hours.
    token = path.rsplit("/", 1)[1]
    [stored] = db.session.scalars(select(PasswordToken)).all()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    assert stored.purpose is TokenPurpose.invite
    assert (
        timedelta(hours=71, minutes=59)
        < stored.expires_at - stored.created_at
        <= timedelta(hours=72)
    )

    nina_browser = make_client()
    page = nina_browser.get(path)
    assert "Choose your password" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    short = nina_browser.post(path, {"new_password": "short", "confirm": "short"})
    assert "Field must be between 10 and 200 characters long." in short.get_data(as_text=True)
    differ = nina_browser.post(path, {"new_password": NEW_PASSWORD, "confirm": "something else"})
    assert "The passwords differ." in differ.get_data(as_text=True)
    done = nina_browser.post(
        path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, follow_redirects=True
    )
    text = done.get_data(as_text=True)
    assert "Your password is saved and you are logged in." in text
    assert "Welcome, Nina Nieuw" in text
    assert db.session.get(PasswordToken, stored.id).used_at is not None
    # The link works once.
    again = make_client()
    used = again.get(path).get_data(as_text=True)
    assert "This link has been used already" in used and 'href="/reset-password"' in used
    refused = again.post(
        path, {"new_password": "another password 1", "confirm": "another password 1"}
    )
    assert "This link has been used already" in refused.get_data(as_text=True)
    assert again.login("nina@example.org", "another password 1").status_code == 200
    assert make_client().login("nina@example.org", NEW_PASSWORD).status_code == 302


def test_an_expired_or_unknown_link_gets_a_clear_page(org, client):
    person = make_user(email="late@example.org")
    person.password_hash = None
    invitations.invite(None, person, now=utcnow() - timedelta(hours=73))
    db.session.commit()
    [mail] = outbox("invitation")
    path = link_in(mail.body_text, client.application)
    page = client.get(path)
    assert page.status_code == 200
    assert "Deze link is verlopen." in page.get_data(as_text=True)
    refused = client.post(path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert "Deze link is verlopen." in refused.get_data(as_text=True)
    assert db.session.get(User, person.id).password_hash is None
    for token in ("not-a-token", "x" * 500, path.rsplit("/", 1)[1][:-2]):
        unknown = client.get(f"/set-password/{token}").get_data(as_text=True)
        assert "Deze link is niet geldig." in unknown
        assert 'href="/reset-password"' in unknown


def test_admin_resends_an_invitation_and_the_older_link_stops_working(org, app, client):
    # Created without a password (as the HR import does): invited at once.
    person = make_user(email="again@example.org", name="Ada Again", password=None)
    first = link_in(outbox("invitation")[0].body_text, app)
    client.login("admin@example.org")
    users = client.get("/admin/users").get_data(as_text=True)
    assert f'action="/admin/users/{person.id}/invite"' in users
    assert "Nog geen wachtwoord gekozen" in users
    edit = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "Ada Again heeft nog geen wachtwoord gekozen (uitgenodigd" in edit
    response = client.post(
        f"/admin/users/{person.id}/invite",
        {"next": f"/admin/users/{person.id}"},
        follow_redirects=True,
    )
    assert "Er is een uitnodiging onderweg naar again@example.org." in response.get_data(
        as_text=True
    )
    mails = outbox("invitation")
    assert len(mails) == 2
    second = link_in(mails[1].body_text, app)
    client.post("/logout")
    assert "Deze link is verlopen." in client.get(first).get_data(as_text=True)
    assert "Kies je wachtwoord" in client.get(second).get_data(as_text=True)
    # Someone who chose a password is not invited again.
    refused = client.post("/login", {"email": "admin@example.org", "password": PASSWORD})
    assert refused.status_code == 302
    response = client.post(f"/admin/users/{org['admin'].id}/invite", {}, follow_redirects=True)
    assert "heeft al een wachtwoord gekozen" in response.get_data(as_text=True)
    assert len(outbox("invitation")) == 2


# --- Password reset -----------------------------------------------------------------------


def _ask_reset(client, email: str):
    client.get("/reset-password")
    response = client.post("/reset-password", {"email": email})
    # A WSGI server closes the response once it has sent it; that runs what comes after the
    # answer (looking the address up, the link and the mail).
    response.close()
    return response


def test_reset_by_mail_replaces_the_password_and_signs_out_other_sessions(
    org, app, client, make_client, mail_server
):
    person = make_user(email="vera@example.org", name="Vera Vergeten")
    other_session = make_client()
    other_session.login("vera@example.org")
    assert other_session.get("/").status_code == 200
    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/reset-password"' in login_page
    response = _ask_reset(client, "Vera@Example.org ")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Als het adres bekend is, is er een mail onderweg" in client.get("/login").get_data(
        as_text=True
    )
    deliver(app)
    [mail] = mail_server.recorder.to("vera@example.org")
    assert mail.message["Subject"] == "Kies een nieuw wachtwoord"
    path = link_in(mail.text(), app)
    [stored] = db.session.scalars(select(PasswordToken)).all()
    assert stored.purpose is TokenPurpose.reset
    assert stored.expires_at - stored.created_at == timedelta(hours=1)
    page = client.get(path).get_data(as_text=True)
    assert "Kies een nieuw wachtwoord" in page and "vera@example.org" in page
    done = client.post(
        path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, follow_redirects=True
    )
    assert "Welkom, Vera Vergeten" in done.get_data(as_text=True)
    # The other session is signed out; the old password no longer works, the new one does.
    signed_out = other_session.get("/")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    assert make_client().login("vera@example.org", PASSWORD).status_code == 200
    assert make_client().login("vera@example.org", NEW_PASSWORD).status_code == 302
    # The link works once.
    reuse = make_client().post(
        path, {"new_password": "yet another one", "confirm": "yet another one"}
    )
    assert "Deze link is al gebruikt" in reuse.get_data(as_text=True)
    assert db.session.get(User, person.id).password_hash != ""


def test_a_reset_link_expires_after_an_hour(org, app, client):
    make_user(email="slow@example.org")
    invitations.send_reset_link("slow@example.org", now=utcnow() - timedelta(minutes=61))
    db.session.commit()
    path = link_in(outbox("password-reset")[0].body_text, app)
    assert "Deze link is verlopen." in client.get(path).get_data(as_text=True)


def test_known_unknown_and_deactivated_addresses_get_the_same_answer(org, client, make_client):
    make_user(email="known@example.org")
    gone = make_user(email="gone@example.org")
    gone.active = False
    db.session.commit()
    answers = []
    for email in ("known@example.org", "nobody@example.org", "gone@example.org"):
        browser = make_client()
        response = _ask_reset(browser, email)
        page = browser.get("/login").get_data(as_text=True)
        message = re.search(r'<div class="alert[^>]*>(.*?)</div>', page, re.S).group(1)
        answers.append((response.status_code, response.headers["Location"], message.strip()))
    assert answers[0] == answers[1] == answers[2]
    assert "Als het adres bekend is" in answers[0][2]
    # Only the known, active address got a mail.
    assert [m.recipient_email for m in outbox("password-reset")] == ["known@example.org"]


def test_known_and_unknown_addresses_take_the_same_path_and_time(
    org, app, make_client, count_queries
):
    """Until the answer is sent, a known and an unknown address run the very same SQL; the
    rest (lookup, link, mail) happens once the response is closed. Over interleaved runs the
    medians of the time to the answer stay close (compared with each other, no wall-clock
    limit)."""
    make_user(email="known@example.org")
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 1000
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 1000
    try:
        browser = make_client()
        browser.get("/reset-password")
        statements = {}
        for email in ("known@example.org", "nobody@example.org"):
            with count_queries() as counter:
                response = browser.post("/reset-password", {"email": email})
            response.close()
            statements[email] = counter.statements
        assert statements["known@example.org"] == statements["nobody@example.org"]
        assert not any("FROM user" in s for s in statements["known@example.org"])
        # The same SQL up to the answer is what makes the time the same; wall-clock
        # medians on this shared machine are too noisy to assert (no timing limits in tests).
        for _ in range(25):
            for email in ("known@example.org", "nobody@example.org"):
                response = browser.post("/reset-password", {"email": email})
                assert response.status_code == 302
                response.close()
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 5
        app.config["LOGIN_MAX_FAILURES_PER_IP"] = 20
    # The known address did get its mails.
    assert len(outbox("password-reset")) == 26


def test_reset_requests_are_limited_per_address_and_per_client(org, app, make_client):
    make_user(email="kim@example.org")
    browser = make_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        assert _ask_reset(browser, "kim@example.org").status_code == 302
    throttled = _ask_reset(browser, "kim@example.org")
    assert throttled.status_code == 200
    assert "Te veel aanvragen voor een nieuw wachtwoord" in throttled.get_data(as_text=True)
    assert len(outbox("password-reset")) == 5
    # An unknown address is limited the same way (the answer tells nothing).
    for _ in range(5):
        _ask_reset(browser, "nobody@example.org")
    assert "Te veel aanvragen" in _ask_reset(browser, "nobody@example.org").get_data(as_text=True)
    # Per client address: many addresses from one client.
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    try:
        attacker = make_client()
        attacker.client.environ_base["REMOTE_ADDR"] = "10.0.0.66"
        for number in range(3):
            assert _ask_reset(attacker, f"random{number}@example.org").status_code == 302
        assert "Te veel aanvragen" in _ask_reset(attacker, "kim2@example.org").get_data(
            as_text=True
        )
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_IP"] = 20
    # Reset requests do not count as failed log-ins: Kim still logs in.
    assert make_client().login("kim@example.org").status_code == 302
    assert (
        db.session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.kind == "reset"))
        == 5 + 5 + 3
    )


# --- Leaving ------------------------------------------------------------------------------


@pytest.fixture
def team(org):
    director = make_user(
        Role.director, email="dir@example.org", name="Dirk Directeur", directs=[org["ict"]]
    )
    owner = make_user(
        Role.owner, email="olga@example.org", name="Olga Owner", staff_of=[org["ict"]]
    )
    colleague = make_user(
        Role.owner, email="cor@example.org", name="Cor Collega", staff_of=[org["ict"]]
    )
    return {**org, "director": director, "owner": owner, "colleague": colleague}


def test_deactivated_by_the_admin_signed_out_at_the_next_request_and_no_more_mail(
    team, app, client, make_client
):
    owner = team["owner"]
    make_action(team["ict"], owner, by=team["director"], deadline=clock.today())
    olga = make_client()
    olga.login("olga@example.org")
    assert olga.get("/").status_code == 200
    client.login("admin@example.org")
    response = client.post(f"/admin/users/{owner.id}/deactivate", {}, follow_redirects=True)
    assert "Olga Owner is gedeactiveerd en uitgelogd." in response.get_data(as_text=True)
    signed_out = olga.get("/actions/mine")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    # No mail: not the deadline reminder (the colleague's would go), not a reset link.
    jobs.run_job(app, "reminders")
    _ask_reset(make_client(), "olga@example.org")
    assert [m for m in outbox() if m.recipient_email == "olga@example.org"] == []


def test_open_actions_of_someone_who_left_are_listed_for_reassignment(
    team, client, make_client, count_queries
):
    save_settings(
        None,
        name="Gemeente Zuiderveen",
        default_locale="nl",
        anonymity_threshold=5,
        timezone="Europe/Amsterdam",
    )
    owner, colleague = team["owner"], team["colleague"]
    left = [
        make_action(team["ict"], owner, by=team["director"], title=f"Actie van Olga {n}")
        for n in range(14)
    ]
    done = make_action(team["ict"], owner, by=team["director"], title="Klaar")
    db.session.execute(
        ImprovementAction.__table__.update()
        .where(ImprovementAction.id == done.id)
        .values(status=ActionStatus.done)
    )
    kept = make_action(team["ict"], colleague, by=team["director"], title="Actie van Cor")
    owner.active = False
    db.session.commit()
    # First only two of Olga's open actions count; the other twelve are done for now.
    db.session.execute(
        ImprovementAction.__table__.update()
        .where(ImprovementAction.id.in_([a.id for a in left[2:]]))
        .values(status=ActionStatus.done)
    )
    db.session.commit()
    client.login("dir@example.org")
    page = client.get(f"/departments/{team['ict'].id}/actions").get_data(as_text=True)
    assert 'data-owner-left-count="2"' in page
    assert "Eigenaar vertrokken — wijs opnieuw toe: 2 open acties" in page
    for action in left[:2]:
        assert (
            f'href="/actions/{action.id}/edit" data-owner-left>eigenaar vertrokken — '
            f"opnieuw toewijzen</a>" in page
        )
    assert f'href="/actions/{done.id}/edit" data-owner-left' not in page
    assert f'href="/actions/{kept.id}/edit" data-owner-left' not in page
    overview = client.get("/actions").get_data(as_text=True)
    assert 'data-owner-left-count="2"' in overview
    # The overview links reassigning only in departments this director manages.
    assert f'href="/actions/{left[0].id}/edit" data-owner-left' in overview
    other = make_client()
    make_user(Role.director, email="dir2@example.org", name="Door Directeur")
    db.session.commit()
    other.login("dir2@example.org")
    seen_by_other = other.get("/actions").get_data(as_text=True)
    assert f'href="/actions/{left[0].id}/edit" data-owner-left' not in seen_by_other
    assert '<span class="badge text-bg-warning" data-owner-left>eigenaar vertrokken' in (
        seen_by_other
    )
    assert f"/departments/{team['ict'].id}/actions?owner_left=y" in overview
    only_left = client.get(f"/departments/{team['ict'].id}/actions?owner_left=y").get_data(
        as_text=True
    )
    assert only_left.count("data-action=") == 2
    # The edit form changes the owner; then the action is no longer listed.
    edit = client.get(f"/actions/{left[0].id}/edit").get_data(as_text=True)
    assert "Olga Owner (gedeactiveerd)" in edit
    # One query for the count, however many actions: the page costs the same with 12 more
    # (both counted right after a change, so nothing kept per data version hides a query).
    from tracker import changes

    changes.touch()
    with count_queries() as few:
        client.get(f"/departments/{team['ict'].id}/actions")
    db.session.execute(
        ImprovementAction.__table__.update()
        .where(ImprovementAction.id.in_([a.id for a in left[2:]]))
        .values(status=ActionStatus.planned)
    )
    db.session.commit()
    changes.touch()
    with count_queries() as many:
        page = client.get(f"/departments/{team['ict'].id}/actions").get_data(as_text=True)
    assert 'data-owner-left-count="14"' in page
    assert many.count == few.count


def test_the_import_page_marks_the_example_file_and_the_role_names_with_their_language(org, client):
    client.login("admin@example.org")
    dutch = client.get("/admin/users/import").get_data(as_text=True)
    assert '<thead lang="nl"><tr><th scope="col">naam</th>' in dutch
    assert (
        'Rollen: <span lang="nl">medewerker, actiehouder, directeur, beheerder</span> '
        '(of <span lang="en">employee, owner, director, admin</span>).' in dutch
    )
    client.post("/language", {"language": "en", "next": "/admin/users/import"})
    english = client.get("/admin/users/import").get_data(as_text=True)
    assert '<tbody lang="nl"><tr><td>Jan de Vries</td>' in english
    assert (
        'Roles: <span lang="nl">medewerker, actiehouder, directeur, beheerder</span> '
        '(or <span lang="en">employee, owner, director, admin</span>).' in english
    )
