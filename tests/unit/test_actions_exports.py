"""The action list as CSV and XLSX. CSV: a leading apostrophe keeps formula-like text text.
XLSX: typed cells (text as text cells without a visible apostrophe, dates, percentages),
fitted column widths, a frozen bold header with an auto-filter and the document properties;
and what LibreOffice prints from it."""

import io
import re
import zipfile
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from tests import programs
from tests.factories import make_action, make_department, make_user
from tests.programs import office_profile
from tracker import clock
from tracker.actions import exports, queries
from tracker.actions import services as actions
from tracker.actions.queries import ActionFilter
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.organisation.models import Organisation
from tracker.spreadsheets import MAX_WIDTH, sheet_name, wrapped_lines
from tracker.types import utcnow

HOSTILE_TITLE = '=HYPERLINK("http://evil.example","klik")'
LONG_DESCRIPTION = (
    "De Wijzigingskalender wordt elke week bijgewerkt door de Servicedesk, zodat iedereen "
    "de Klanttevredenheidsonderzoeksresultaten en geplande onderhoudsvensters kan zien."
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+31 6 12345678", "'+31 6 12345678"),
        ("-10", "'-10"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Terugbellen binnen 4 uur", "Terugbellen binnen 4 uur"),
        ("a=b", "a=b"),
        ("", ""),
        (-10, -10),
        (date(2026, 5, 1), date(2026, 5, 1)),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert exports.neutralise(value) == expected


@pytest.fixture
def exported(ctx):
    db.session.add(Organisation(name="Gemeente Zuiderveen"))
    ict = make_department("Informatievoorziening & ICT", "ICT")
    owner = make_user(Role.owner, name="=cmd|' /C calc'!A0", staff_of=[ict])
    director = make_user(Role.director, directs=[ict])
    hostile = make_action(ict, owner, title=HOSTILE_TITLE)
    long = make_action(ict, owner, title="Wijzigingskalender op intranet")
    long.description = LONG_DESCRIPTION
    long.progress = 40
    db.session.commit()
    actions.post_update(owner, long, expected_version=long.version, text="Op koers.", percent=40)
    db.session.commit()
    today = clock.today()
    data = queries.export_data(
        queries.filtered_actions(ActionFilter(department_ids=[ict.id], sort="title"), today)
    )
    return {
        "data": data,
        "today": today,
        "hostile": hostile,
        "long": long,
        "director": director,
        "xlsx": exports.to_xlsx(data, today),
    }


def _row_of(sheet, number):
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == number:
            return row
    raise AssertionError(f"action {number} not in the sheet")


def test_xlsx_keeps_hostile_text_as_text_without_a_visible_apostrophe(exported):
    sheet = load_workbook(io.BytesIO(exported["xlsx"])).active
    row = _row_of(sheet, exported["hostile"].id)
    title, owner_name = row[2], row[5]
    assert title.value == HOSTILE_TITLE and title.data_type == "s"
    assert owner_name.value == "=cmd|' /C calc'!A0" and owner_name.data_type == "s"
    assert title.quotePrefix  # stays text when someone edits the cell
    assert not any(
        isinstance(c.value, str) and c.value.startswith("'") for r in sheet.iter_rows() for c in r
    )
    with zipfile.ZipFile(io.BytesIO(exported["xlsx"])) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # not a single formula in the file
    # CSV needs the apostrophe: it has no other way to say "text".
    assert "'=cmd" in exports.to_csv(exported["data"], exported["today"])


def test_xlsx_has_typed_cells_widths_frozen_bold_header_filter_and_properties(exported):
    book = load_workbook(io.BytesIO(exported["xlsx"]))
    sheet = book.active
    assert sheet.title == "Acties"
    assert book.properties.title == "Verbeteracties"
    assert book.properties.creator == "Gemeente Zuiderveen"
    assert book.properties.language == "nl-NL"
    assert abs(book.properties.created - utcnow().replace(tzinfo=None)) < timedelta(minutes=5)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:S{sheet.max_row}" and sheet.max_row == 3
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    header = sheet[1]
    assert all(cell.font.b for cell in header)
    assert [c.value for c in header[:3]] == ["Nummer", "Afdeling", "Titel"]
    for cell in header:
        letter = cell.column_letter
        width = sheet.column_dimensions[letter].width
        texts = [len(c.value) for c in sheet[letter][1:] if isinstance(c.value, str)]
        assert width >= len(cell.value) + 2, f"column {letter} narrower than its header"
        assert width >= min(max(texts, default=0), MAX_WIDTH), f"column {letter} too narrow"
    row = _row_of(sheet, exported["long"].id)
    number, deadline, progress, last_update, description = row[0], row[7], row[13], row[14], row[3]
    assert isinstance(number.value, int) and number.data_type == "n"
    assert isinstance(deadline.value, datetime) and deadline.is_date
    assert deadline.value.date() == exported["long"].deadline
    assert deadline.number_format == "dd-mm-yyyy"
    assert sheet.column_dimensions["H"].width >= len("dd-mm-yyyy") + 2
    assert progress.value == 0.4 and progress.number_format == "0%"
    assert last_update.is_date and last_update.number_format == "dd-mm-yyyy hh:mm"
    local = exported["long"].last_update_at.astimezone(clock.zone()).replace(tzinfo=None)
    assert abs(last_update.value - local) < timedelta(seconds=1)
    # Long text wraps in a column of the maximum width, in a row high enough for it.
    assert description.value == LONG_DESCRIPTION and description.alignment.wrap_text
    assert sheet.column_dimensions["D"].width == MAX_WIDTH
    lines = wrapped_lines(LONG_DESCRIPTION, MAX_WIDTH)
    assert lines >= 3 and sheet.row_dimensions[description.row].height == 15 * lines


def test_xlsx_in_english_has_english_headers_and_dates(exported):
    from flask_babel import force_locale

    with force_locale("en"):
        data = exports.to_xlsx(exported["data"], exported["today"])
    book = load_workbook(io.BytesIO(data))
    assert book.properties.language == "en-GB" and book.active.title == "Actions"
    assert book.active["H2"].number_format == "dd/mm/yyyy"


def test_control_characters_are_removed_not_a_500(exported, client):
    action = exported["long"]
    action.title = "Wijzigings\x0bkalender\x01 op intranet"
    db.session.commit()
    data = queries.export_data(
        queries.filtered_actions(ActionFilter(department_ids=[action.department_id]), clock.today())
    )
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(data, clock.today()))).active
    assert _row_of(sheet, action.id)[2].value == "Wijzigingskalender op intranet"


def test_sheet_names_excel_accepts():
    assert sheet_name("Acties [ICT]: 2026/27?") == "Acties  ICT   2026 27"
    assert len(sheet_name("x" * 40)) == 31


def test_libreoffice_prints_the_xlsx_on_landscape_a4_with_whole_words_and_dates(
    exported, tmp_path, office_profile
):
    path = tmp_path / "acties.xlsx"
    path.write_bytes(exported["xlsx"])
    pdf = programs.to_pdf(path, office_profile)
    # Landscape A4: 19 columns read better across fewer pages.
    assert programs.page_size(pdf) == (programs.A4[1], programs.A4[0])
    text = programs.pdf_text(pdf)
    assert "###" not in text
    found = programs.words(text)
    for word in ("Wijzigingskalender", "Servicedesk", "Klanttevredenheidsonderzoeksresultaten"):
        assert word in found, f"{word} is broken or missing in:\n{text[:3000]}"
    deadline = exported["long"].deadline.strftime("%d-%m-%Y")
    assert deadline in text
    assert "40%" in text
    # The formula is shown as the text it is, without an apostrophe, and not evaluated.
    assert HOSTILE_TITLE in text and "'=HYPERLINK" not in text
    assert re.search(r"\bklik\b", text.replace(HOSTILE_TITLE, "")) is None
