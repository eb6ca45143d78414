"""Spreadsheets out of the app, shared by every export: CSV (`csv_text`) and Excel
(`xlsx_bytes`), both safe to open.

CSV: UTF-8 with a byte-order mark and `;` (Dutch Excel opens it directly), every text that a
spreadsheet would read as a formula behind an apostrophe (CSV has no other way to say
"text").

XLSX: typed cells (numbers as numbers, dates as dates with a date format, percentages as
percentages) and every text as a text cell, so `=cmd` is stored as text, never as a formula,
and without a visible apostrophe; a width for every column fitted to its content (long text
wrapped within a maximum width), the header row bold and frozen, an auto-filter over the
table, landscape A4 with the header row on every printed page, and the document properties
(title, creator = the organisation, language) set.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

from tracker.formatting import xml_text

#: A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice
#: and Google Sheets; in CSV a leading apostrophe keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make text safe against spreadsheet formula injection; other values pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(headers: list[str], rows: Iterable[list]) -> str:
    """Semicolon-separated with a byte-order mark, as Dutch Excel opens it directly; dates
    as ISO 8601; every text cell formula-guarded."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


def _csv_cell(value):
    """Dates as ISO 8601; text without control characters or lone surrogates (a NUL stops
    some readers, a surrogate cannot be written as UTF-8), then formula-guarded."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(xml_text(value))
    return value


# --- XLSX ---------------------------------------------------------------------------------

#: Kinds of column: how a value is stored and shown.
TEXT, INTEGER, NUMBER, PERCENT, DATE, DATETIME = (
    "text",
    "integer",
    "number",
    "percent",
    "date",
    "datetime",
)

#: Column widths are in characters of the default font (Calibri 11).
MIN_WIDTH = 6
MAX_WIDTH = 60
#: The height of one line of Calibri 11 in a row, in points.
LINE_HEIGHT = 15
#: Room for the auto-filter's drop-down button beside a header.
FILTER_BUTTON = 3

DATE_FORMATS = {"nl": "dd-mm-yyyy", "en": "dd/mm/yyyy"}
NUMBER_FORMATS = {INTEGER: "0", NUMBER: "#,##0.0#", PERCENT: "0%"}

# Characters a sheet name may not contain (Excel refuses the file otherwise).
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class SheetColumn:
    header: str
    #: TEXT, INTEGER, NUMBER, PERCENT (a fraction: 0.4 shows as 40%), DATE or DATETIME.
    kind: str = TEXT


def clean_text(value: str) -> str:
    """Text as a cell can hold it: no control characters (tab and line breaks stay)."""
    return xml_text(value)


def sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    name = _NOT_IN_SHEET_NAME.sub(" ", clean_text(name)).strip().strip("'")
    return name[:31] or "Sheet1"


def _display_length(value, kind: str, date_format: str) -> int:
    """How many characters a value shows, on its longest line."""
    if value is None or value == "":
        return 0
    if kind == DATE:
        return len(date_format)
    if kind == DATETIME:
        return len(date_format) + len(" hh:mm")
    if kind == PERCENT:
        return len(f"{value * 100:.0f}%")
    if kind == NUMBER:
        return len(f"{value:,.2f}")
    return max(len(line) for line in str(value).split("\n"))


def column_widths(columns: Sequence[SheetColumn], rows: Sequence[Sequence], language: str):
    """Per column: (width, wrap). Wide enough for the header with its filter button and for
    the longest value, up to MAX_WIDTH; text longer than that wraps (every text cell wraps
    its line breaks)."""
    date_format = DATE_FORMATS.get(language, DATE_FORMATS["nl"])
    result = []
    for index, column in enumerate(columns):
        header = round(len(column.header) * 1.1) + FILTER_BUTTON
        longest = max(
            (_display_length(row[index], column.kind, date_format) for row in rows), default=0
        )
        wanted = max(header, longest + 2, MIN_WIDTH)
        result.append((min(wanted, MAX_WIDTH), wanted > MAX_WIDTH))
    return result


def wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes in a wrapping cell `width` characters wide (words are
    moved to the next line whole, as Excel and LibreOffice do; a character counted as wide
    as a digit, which most text is not, so the estimate is on the safe side)."""
    room = max(width - 1, 1)
    lines = 0
    for paragraph in text.split("\n"):
        used = None
        for word in paragraph.split(" "):
            if used is None:
                used = len(word)
                lines += 1
            elif used + 1 + len(word) <= room:
                used += 1 + len(word)
            else:
                used = len(word)
                lines += 1
            while used > room:  # a word longer than the column: Excel breaks it
                used -= room
                lines += 1
        if used is None:
            lines += 1
    return max(lines, 1)


def xlsx_bytes(
    *,
    title: str,
    sheet: str,
    columns: Sequence[SheetColumn],
    rows: Iterable[Sequence],
    creator: str,
    now: datetime,
    language: str = "nl",
    subject: str | None = None,
) -> bytes:
    """One sheet with a header row and `rows` (values in the columns' kinds: int/float for
    numbers, a fraction for percentages, date, naive local datetime, str or None)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    rows = [list(row) for row in rows]
    language = language.split("_")[0].split("-")[0]
    date_format = DATE_FORMATS.get(language, DATE_FORMATS["nl"])
    workbook = Workbook(write_only=True)
    moment = now.astimezone(timezone.utc).replace(tzinfo=None)
    properties = workbook.properties
    properties.title = clean_text(title)
    properties.subject = clean_text(subject) if subject else None
    properties.creator = properties.lastModifiedBy = clean_text(creator)
    properties.created = properties.modified = moment
    properties.language = {"nl": "nl-NL", "en": "en-GB"}.get(language, "nl-NL")
    worksheet = workbook.create_sheet(sheet_name(sheet))
    widths = column_widths(columns, rows, language)
    for index, (width, _wrap) in enumerate(widths, 1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    last = get_column_letter(len(columns))
    worksheet.freeze_panes = "A2"
    worksheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    worksheet.print_title_rows = "1:1"
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.paperSize = "9"  # A4
    worksheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=False)

    bold = Font(name="Calibri", size=11, bold=True)
    header_fill = PatternFill("solid", fgColor="DCE6F2")
    top = Alignment(vertical="top")
    wrapped = Alignment(vertical="top", wrap_text=True)
    formats = {
        **NUMBER_FORMATS,
        DATE: date_format,
        DATETIME: f"{date_format} hh:mm",
    }
    header = []
    for column in columns:
        cell = WriteOnlyCell(worksheet, value=clean_text(column.header))
        cell.data_type = "s"
        cell.font = bold
        cell.fill = header_fill
        cell.alignment = top
        header.append(cell)
    worksheet.append(header)
    for number, row in enumerate(rows, 2):
        cells = []
        lines = 1
        for column, (width, _wrap), value in zip(columns, widths, row):
            text = isinstance(value, str) and value
            cells.append(_cell(worksheet, column.kind, value, formats, wrapped if text else top))
            if text:
                lines = max(lines, wrapped_lines(clean_text(value), width))
        if lines > 1:
            # Neither Excel nor LibreOffice reliably grows a row for wrapped text written by
            # a program, so the row gets the height its longest cell needs.
            worksheet.row_dimensions[number].height = LINE_HEIGHT * lines
        worksheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(worksheet, kind: str, value, formats: dict, alignment):
    from openpyxl.cell import WriteOnlyCell

    if value is None or value == "":
        cell = WriteOnlyCell(worksheet, value=None)
    elif kind == TEXT or isinstance(value, str):
        text = clean_text(str(value))
        cell = WriteOnlyCell(worksheet, value=text)
        # Text stays text: openpyxl reads a leading '=' as a formula; a text cell shows the
        # value as it is, without the apostrophe CSV needs. quotePrefix keeps it text when
        # someone edits the cell in Excel or LibreOffice.
        cell.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    else:
        if kind == DATETIME and isinstance(value, datetime) and value.tzinfo is not None:
            raise ValueError("datetimes in a spreadsheet are local and naive")
        cell = WriteOnlyCell(worksheet, value=value)
        if kind in formats:
            cell.number_format = formats[kind]
    cell.alignment = alignment
    return cell
