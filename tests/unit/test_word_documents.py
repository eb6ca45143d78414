"""The agenda and minutes as Word documents (tracker.documents): what Word reads from the
file (page, language, properties, header and footer fields, headings, fixed table widths,
repeated header rows, rows kept together) and what LibreOffice prints from it (A4, the page
numbers filled in, no word broken inside a cell)."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm
from flask_babel import force_locale, format_date
from sqlalchemy import select

from tests import programs
from tests.factories import make_action, make_department, make_user
from tests.programs import office_profile
from tracker import clock, documents
from tracker.actions import services as actions
from tracker.actions.models import ActionStatus
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.meetings import agenda, decisions, exports, queries, services
from tracker.meetings.forms import SECTION_LABELS
from tracker.meetings.models import ItemState, Meeting, Recurrence
from tracker.organisation.models import Organisation
from tracker.types import utcnow

#: Long words that must come out of every program whole, one per kind of column.
IN_TITLE = "Wijzigingskalender"
IN_UPDATE = "Klanttevredenheidsonderzoeksresultaten"
IN_DEPARTMENT = "Servicedesk"
IN_DECISION = "Leveranciersmanagement"


@pytest.fixture
def meeting(ctx):
    db.session.add(Organisation(name="Gemeente Zuiderveen"))
    ict = make_department("Servicedesk en Werkplekbeheer", IN_DEPARTMENT)
    director = make_user(Role.director, name="Diederik Jansen", directs=[ict])
    owner = make_user(Role.owner, name="Olga Visser", staff_of=[ict])
    make_user(Role.owner, name="Sanne de Boer-Verhoeven", staff_of=[ict])
    absent_minded = make_user(Role.employee, name="Emre Yilmaz")
    series = services.save_series(
        director,
        title="Stafoverleg ICT",
        department=ict,
        recurrence=Recurrence.weekly,
        weekday=0,
        starts_on=date.today() + timedelta(days=1),
        start_time=time(10, 0),
        attendees=[director, absent_minded],
        location="Kamer 2.14",
        chair=director,
    )
    db.session.commit()
    today = clock.today()
    overdue = make_action(ict, owner, title=f"{IN_TITLE} op intranet", deadline=today)
    actions.change_status(director, overdue, ActionStatus.planned, expected_version=overdue.version)
    actions.post_update(
        owner,
        overdue,
        expected_version=overdue.version,
        text=f"De {IN_UPDATE} zijn besproken met de teamleiders.",
    )
    for number in range(30):  # enough rows for a second page
        make_action(
            ict,
            owner,
            title=f"Voorstel {number}: spreekuur op locatie",
            deadline=today + timedelta(days=100),
        )
    db.session.commit()
    first = db.session.scalar(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    )
    agenda.build_agenda(director, first)
    db.session.commit()
    return {"meeting": first, "director": director, "overdue": overdue, "ict": ict}


def _agenda(meeting, locale="nl"):
    with force_locale(locale):
        rows = queries.agenda_rows(meeting)
        return exports.docx_document(meeting, rows, "agenda", SECTION_LABELS)


def _save(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _widths(table):
    tbl = table._tbl
    grid = [int(c.get(qn("w:w"))) for c in tbl.tblGrid.findall(qn("w:gridCol"))]
    cells = [
        [int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in tr.findall(qn("w:tc"))]
        for tr in tbl.findall(qn("w:tr"))
    ]
    return grid, cells


def test_agenda_is_a4_in_dutch_with_properties_header_footer_and_headings(meeting):
    document = Document(io.BytesIO(_agenda(meeting["meeting"])))
    section = document.sections[0]
    # A4 and 2 cm margins, in twips as Word stores them.
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)
    margins = (section.left_margin, section.right_margin, section.top_margin, section.bottom_margin)
    assert {m.twips for m in margins} == {1134}
    # Language in the default run properties (styles.xml) and the theme font language.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}").get(qn("w:val")) == (
        "nl-NL"
    )
    assert document.settings.element.find(qn("w:themeFontLang")).get(qn("w:val")) == "nl-NL"
    properties = document.core_properties
    assert properties.title == "Agenda: Stafoverleg ICT"
    assert properties.subject.startswith("Stafoverleg ICT, ")
    assert properties.author == "Gemeente Zuiderveen"
    assert properties.language == "nl-NL"
    assert abs(properties.created - utcnow()) < timedelta(minutes=5)
    assert properties.modified == properties.created
    assert "python-docx" not in (properties.comments or "")
    header = section.header.paragraphs[0].text
    assert header == "Gemeente Zuiderveen\tAgenda: Stafoverleg ICT"
    footer = section.footer.paragraphs[0]
    instructions = [i.text.strip() for i in footer._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert footer.text.startswith("Pagina ") and " van " in footer.text
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name != "Normal"]
    assert headings[0] == ("Heading 1", "Agenda: Stafoverleg ICT")
    assert ("Heading 2", "Acties over de deadline") in headings


def test_agenda_in_english_for_an_english_reader(meeting):
    document = Document(io.BytesIO(_agenda(meeting["meeting"], "en")))
    defaults = document.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}").get(qn("w:val")) == (
        "en-GB"
    )
    assert document.core_properties.language == "en-GB"
    assert document.sections[0].footer.paragraphs[0].text.startswith("Page ")
    assert ("Heading 2", "Overdue actions") in [(p.style.name, p.text) for p in document.paragraphs]


def test_agenda_tables_have_fixed_widths_that_fit_the_page(meeting):
    document = Document(io.BytesIO(_agenda(meeting["meeting"])))
    assert document.tables
    for table in document.tables:
        tbl = table._tbl
        assert tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        width = tbl.tblPr.find(qn("w:tblW"))
        assert (width.get(qn("w:type")), int(width.get(qn("w:w")))) == ("dxa", 9638)  # 17 cm
        grid, cells = _widths(table)
        assert sum(grid) == 9638
        assert all(row == grid for row in cells)  # every cell as wide as its grid column
        rows = tbl.findall(qn("w:tr"))
        assert rows[0].trPr.find(qn("w:tblHeader")) is not None
        assert all(tr.trPr.find(qn("w:cantSplit")) is not None for tr in rows)
        assert all(tr.trPr.find(qn("w:tblHeader")) is None for tr in rows[1:])
        headers = [c.text for c in table.rows[0].cells]
        assert headers == [
            "#",
            "Verbeteractie",
            "Actiehouder",
            "Status",
            "Deadline",
            "Laatste voortgangsmelding",
        ]
        number, action, owner, status, deadline, update = grid
        # Text columns wide, number, status and date narrow.
        assert action > max(owner, status, deadline) and update > max(status, deadline)
        assert number < Cm(1.2).twips


def test_agenda_holds_action_owner_status_deadline_update_and_what_to_decide(meeting):
    document = Document(io.BytesIO(_agenda(meeting["meeting"])))
    overdue = meeting["overdue"]
    row = next(r for t in document.tables for r in t.rows[1:] if IN_TITLE in r.cells[1].text)
    number, action, owner, status, deadline, update = (c.text for c in row.cells)
    assert action.startswith(f"{IN_TITLE} op intranet\n")
    assert "Te besluiten: Een nieuwe deadline, een andere actiehouder, of stoppen?" in action
    assert owner == f"Olga Visser\n{IN_DEPARTMENT}"
    assert status == "Gepland (0%)"
    with force_locale("nl"):
        assert deadline == format_date(overdue.deadline, "medium")
    assert update == f"De {IN_UPDATE} zijn besproken met de teamleiders."


def test_minutes_hold_decisions_with_new_owner_and_deadline_and_the_attendees(meeting):
    meeting_ = meeting["meeting"]
    sanne = db.session.scalar(select(User).where(User.name == "Sanne de Boer-Verhoeven"))
    item = next(
        r.item for r in queries.agenda_rows(meeting_) if r.item.action_id == meeting["overdue"].id
    )
    new_deadline = clock.today() + timedelta(days=60)
    old_deadline = meeting["overdue"].deadline
    decisions.record_outcome(
        meeting["director"],
        item,
        expected_version=meeting["overdue"].version,
        decision=f"Eerst langs {IN_DECISION}.",
        new_deadline=new_deadline,
        new_owner=sanne,
    )
    decisions.close_meeting(meeting["director"], meeting_)
    db.session.commit()
    with force_locale("nl"):
        data = exports.docx_document(
            meeting_, queries.agenda_rows(meeting_), "minutes", SECTION_LABELS
        )
    document = Document(io.BytesIO(data))
    assert document.core_properties.title == "Verslag: Stafoverleg ICT"
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["Verslag: Stafoverleg ICT", "Deelnemers", "Besluiten"]
    body = [p.text for p in document.paragraphs]
    assert "Aanwezig: Diederik Jansen, Emre Yilmaz" in body
    decided = document.tables[0]
    assert [c.text for c in decided.rows[0].cells] == [
        "#",
        "Agendapunt",
        "Besluit",
        "Actiehouder",
        "Deadline",
    ]
    cells = [c.text for c in decided.rows[1].cells]
    assert cells[1] == f"{IN_TITLE} op intranet"
    assert cells[2].startswith(f"Eerst langs {IN_DECISION}.")
    assert cells[3] == "Sanne de Boer-Verhoeven\nwas Olga Visser"
    with force_locale("nl"):
        assert (
            cells[4]
            == f"{format_date(new_deadline, 'medium')}\nwas {format_date(old_deadline, 'medium')}"
        )
    assert len(decided.rows) == 2  # only what was decided
    not_reached = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert len(not_reached) == sum(
        1 for r in queries.agenda_rows(meeting_) if r.item.state is ItemState.rolled_over
    )
    assert _widths(decided)[0][2] > _widths(decided)[0][4]  # decision wide, deadline narrow


def test_text_with_control_characters_is_written_without_them(meeting):
    agenda.add_free_item(
        meeting["director"],
        meeting["meeting"],
        title="Rondvraag\x0b en\x01 sluiting",
        description="Regel een\x0cRegel twee",
    )
    db.session.commit()
    document = Document(io.BytesIO(_agenda(meeting["meeting"])))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert any(cell.startswith("Rondvraag en sluiting\nRegel eenRegel twee") for cell in cells)


def test_column_widths_give_every_word_its_room():
    columns = [
        documents.Column("#", min_cm=0.8),
        documents.Column("Actie", weight=3),
        documents.Column("Datum", nowrap=True),
        documents.Column("Melding", weight=1),
    ]
    rows = [["1", "kort", "24 dec 2026", IN_UPDATE]]
    widths = documents.column_widths(columns, rows)
    assert sum(widths) == documents.TEXT_WIDTH
    assert widths[3] >= documents.text_twips(IN_UPDATE) + documents.CELL_PADDING
    assert widths[2] >= documents.text_twips("24 dec 2026") + documents.CELL_PADDING
    # The wide word took what it needs; the other text column has the rest.
    assert widths[1] == documents.TEXT_WIDTH - widths[0] - widths[2] - widths[3]


# --- Opened in LibreOffice ----------------------------------------------------------------


def test_libreoffice_prints_the_agenda_on_a4_with_page_numbers_and_whole_words(
    meeting, tmp_path, office_profile
):
    pdf = programs.to_pdf(
        _save(tmp_path, "agenda.docx", _agenda(meeting["meeting"])), office_profile
    )
    assert programs.page_size(pdf) == programs.A4
    pages = programs.pages(pdf)
    assert pages >= 2
    text = programs.pdf_text(pdf)
    assert f"Pagina 1 van {pages}" in text and f"Pagina {pages} van {pages}" in text
    found = programs.words(text)
    for word in (IN_TITLE, IN_UPDATE, IN_DEPARTMENT, "Laatste", "voortgangsmelding", "Gepland"):
        assert word in found, f"{word} is broken or missing in:\n{text[:3000]}"
    # The header row is repeated on the second page.
    second = text.split("\f")[1]
    assert "Verbeteractie" in second and "Actiehouder" in second


def test_libreoffice_prints_the_minutes_on_a4_with_whole_words(meeting, tmp_path, office_profile):
    meeting_ = meeting["meeting"]
    item = next(
        r.item for r in queries.agenda_rows(meeting_) if r.item.action_id == meeting["overdue"].id
    )
    decisions.record_outcome(
        meeting["director"],
        item,
        expected_version=meeting["overdue"].version,
        decision=f"Eerst langs {IN_DECISION}.",
    )
    db.session.commit()
    with force_locale("nl"):
        data = exports.docx_document(
            meeting_, queries.agenda_rows(meeting_), "minutes", SECTION_LABELS
        )
    pdf = programs.to_pdf(_save(tmp_path, "minutes.docx", data), office_profile)
    assert programs.page_size(pdf) == programs.A4
    text = programs.pdf_text(pdf)
    assert f"Pagina 1 van {programs.pages(pdf)}" in text
    found = programs.words(text)
    for word in (IN_TITLE, IN_DECISION, "Besluiten", "Deelnemers"):
        assert word in found, f"{word} is broken or missing in:\n{text[:3000]}"
