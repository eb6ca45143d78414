"""Exports never fail on what people typed or files brought in: control characters are
removed from CSV, XLSX, Word, iCalendar and Atom output, never raised as a 500."""

from __future__ import annotations

import csv
import io

import feedparser
import openpyxl
from docx import Document
from icalendar import Calendar

from tests.factories import make_user
from tests.functional.test_meetings import _world
from tracker.actions import services as actions
from tracker.actions.models import ActionStatus
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.meetings import agenda
from tracker.organisation.models import Organisation

#: What XML and spreadsheet readers cannot hold; both databases can store these (PostgreSQL
#: refuses NUL itself, which input validation keeps out).
NASTY = "\x07bel \x0bvtab \x1bescape \x1funit"


def _no_control_characters(text: str) -> None:
    assert not any(ord(c) < 32 and c not in "\t\n\r" for c in text), repr(text)


def test_every_export_strips_control_characters(ctx, client, make_client):
    w = _world()
    ict, director = w["ict"], w["director"]
    w["mine"].title = "Terugbellen " + NASTY
    w["theirs"].description = NASTY
    w["meeting"].series.title = "Stafoverleg " + NASTY
    db.session.add(Organisation(name="Gemeente " + NASTY, public_without_login=True))
    db.session.commit()
    done = w["mine"]
    for status in (ActionStatus.planned, ActionStatus.in_progress):
        actions.change_status(director, done, status, expected_version=done.version)
        db.session.commit()
    actions.change_status(
        director, done, ActionStatus.done, expected_version=done.version, result="Klaar " + NASTY
    )
    agenda.build_agenda(director, w["meeting"])
    db.session.commit()
    client.login(director.email)

    for url in (f"/departments/{ict.id}/actions/export.csv", "/actions/export.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.data.decode("utf-8-sig")
        _no_control_characters(text)
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert any("Terugbellen bel vtab escape unit" in cell for row in rows for cell in row)
    for url in (f"/departments/{ict.id}/actions/export.xlsx", "/actions/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        values = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
        assert any("Terugbellen bel vtab" in v for v in values)
        for value in values:
            _no_control_characters(value)
    for part in ("agenda", "minutes"):
        response = client.get(f"/meetings/{w['meeting'].id}/{part}.docx")
        assert response.status_code == 200, part
        document = Document(io.BytesIO(response.data))
        texts = [p.text for p in document.paragraphs] + [
            c.text for t in document.tables for r in t.rows for c in r.cells
        ]
        for text in texts:
            _no_control_characters(text)
    response = client.get(f"/meetings/{w['meeting'].id}/invite.ics")
    assert response.status_code == 200
    _no_control_characters(response.get_data(as_text=True))
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Stafoverleg bel")
    response = client.get("/you-said-we-did/feed.atom")
    assert response.status_code == 200
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0 and any("bel vtab" in e.title for e in parsed.entries)
    # The audit trail holds a failed sign-in's address as it was typed.
    make_user(Role.admin, email="admin@example.org")
    db.session.commit()
    admin = make_client()
    admin.login("admin\x07bel@example.org", "wrong")
    admin.login("admin@example.org")
    response = admin.get("/admin/audit/export.csv")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    _no_control_characters(text)
    assert "signin.failed" in text and "bel@example.org" in text
