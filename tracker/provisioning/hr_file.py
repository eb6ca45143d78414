"""Reading an HR file of people: pure, bytes in, dataclasses out, no database.

A CSV (UTF-8 with or without BOM, or Windows-1252; comma, semicolon or tab, sniffed) or XLSX
file with a header row and the columns name, e-mail address, department and role, with Dutch
or English headers in any case (`naam`/`name`, `e-mailadres`/`email`/`e-mail`,
`afdeling`/`department`, `rol`/`role`). Roles are written in Dutch or English (medewerker/
employee, actiehouder/owner, directeur/director, beheerder/admin). Departments stay text here:
matching them to the organisation's departments needs the database (`provisioning`).

Row numbers are those a spreadsheet shows: the header is row 1 (or lower, below blank rows).
A row that cannot be used is refused with its number and the reason; the others are kept.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from tracker.surveys.importers.base import SurveyFileError
from tracker.surveys.importers.reading import cell_text, check_zip, sniff_delimiter, sniff_encoding

#: Larger HR files are refused on the admin page (a municipality's staff fits many times).
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NAME = 200
MAX_EMAIL = 254

#: Normalised header (lower case, without spaces, hyphens, underscores or dots) -> column.
HEADERS = {
    "naam": "name",
    "name": "name",
    "volledigenaam": "name",
    "fullname": "name",
    "emailadres": "email",
    "email": "email",
    "emailaddress": "email",
    "mail": "email",
    "afdeling": "department",
    "department": "department",
    "rol": "role",
    "role": "role",
}
#: Role as written (lower case) -> the tracker's role value.
ROLES = {
    "medewerker": "employee",
    "employee": "employee",
    "actiehouder": "owner",
    "owner": "owner",
    "action owner": "owner",
    "directeur": "director",
    "director": "director",
    "beheerder": "admin",
    "admin": "admin",
    "administrator": "admin",
}


class PeopleFileError(ValueError):
    """The file as a whole cannot be read (empty, not CSV or Excel, no e-mail column...)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class PersonRow:
    row: int
    name: str
    #: Lower case, as the tracker stores addresses.
    email: str
    #: As written in the file; "" when the cell (or the column) is empty.
    department: str
    #: "employee", "owner", "director" or "admin"; None when the cell is empty.
    role: str | None


@dataclass(frozen=True)
class RefusedRow:
    row: int
    #: Translatable text saying what is wrong with the row.
    reason: object
    #: The row's address when it could be read: that person is still "in the file" (the
    #: import never deactivates someone because their row was refused).
    email: str | None = None


@dataclass
class PeopleFile:
    people: list[PersonRow] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)
    #: "csv" or "xlsx"; the encoding and delimiter of a CSV.
    container: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    #: The columns found, e.g. {"name", "email", "role"}.
    columns: frozenset = frozenset()

    @property
    def addresses(self) -> set[str]:
        """Every address the file names, in good rows and refused ones."""
        return {p.email for p in self.people} | {r.email for r in self.refused if r.email}


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-_.]+", "", text.strip().lower())


def _clean(text: str) -> str:
    return " ".join(text.split())


def parse_people(data: bytes) -> PeopleFile:
    """Read an HR file. Raises PeopleFileError when nothing can be read from it."""
    if not data or data.isspace():
        raise PeopleFileError(_l("The file is empty."))
    if data[:4] == b"PK\x03\x04":
        rows, result = _xlsx_rows(data), PeopleFile(container="xlsx")
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise PeopleFileError(
            _l("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again.")
        )
    else:
        rows, result = _csv_rows(data)
    return _read_rows(rows, result)


def _read_rows(rows, result: PeopleFile) -> PeopleFile:
    header = None
    seen: dict[str, list[int]] = {}
    candidates: list[PersonRow] = []
    for number, cells in enumerate(rows, start=1):
        cells = [cell_text(c) if not isinstance(c, str) else c for c in cells]
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = _columns(cells)
            result.columns = frozenset(header)
            continue
        person = _person(number, cells, header, result)
        if person is not None:
            seen.setdefault(person.email, []).append(number)
            candidates.append(person)
    if header is None:
        raise PeopleFileError(_l("The file is empty."))
    if not candidates and not result.refused:
        raise PeopleFileError(_l("The file has a header row but lists nobody."))
    for person in candidates:
        rows_with_address = seen[person.email]
        if len(rows_with_address) > 1:
            result.refused.append(
                RefusedRow(
                    person.row,
                    _l(
                        "The address %(email)s is on more than one row (%(rows)s); keep one.",
                        email=person.email,
                        rows=", ".join(str(n) for n in rows_with_address),
                    ),
                    person.email,
                )
            )
        else:
            result.people.append(person)
    result.refused.sort(key=lambda r: r.row)
    return result


def _columns(cells: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, text in enumerate(cells):
        key = HEADERS.get(_header_key(text))
        if key and key not in columns:
            columns[key] = index
    missing = [name for name in ("name", "email") if name not in columns]
    if missing:
        raise PeopleFileError(
            _l(
                "The first row must name the columns: naam (name), e-mailadres (e-mail), and "
                "optionally afdeling (department) and rol (role). Missing: %(missing)s.",
                missing=", ".join({"name": "naam", "email": "e-mailadres"}[m] for m in missing),
            )
        )
    return columns


def _person(
    number: int, cells: list[str], header: dict[str, int], result: PeopleFile
) -> PersonRow | None:
    def cell(name: str) -> str:
        index = header.get(name)
        return _clean(cells[index]) if index is not None and index < len(cells) else ""

    def refuse(reason, email=None) -> None:
        result.refused.append(RefusedRow(number, reason, email))

    raw_email = cell("email")
    if not raw_email:
        refuse(_l("The e-mail address is missing."))
        return None
    try:
        email = validate_email(raw_email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        refuse(_l("%(email)s is not a valid e-mail address.", email=raw_email))
        return None
    if len(email) > MAX_EMAIL:
        refuse(_l("%(email)s is not a valid e-mail address.", email=raw_email))
        return None
    name = cell("name")
    if not name:
        refuse(_l("The name is missing."), email)
        return None
    if len(name) > MAX_NAME:
        refuse(_l("The name is longer than %(count)d characters.", count=MAX_NAME), email)
        return None
    role_text = cell("role")
    role = ROLES.get(role_text.lower()) if role_text else None
    if role_text and role is None:
        refuse(
            _l(
                "Unknown role \u201c%(role)s\u201d: use medewerker, actiehouder, directeur or "
                "beheerder (or employee, owner, director, admin).",
                role=role_text,
            ),
            email,
        )
        return None
    return PersonRow(row=number, name=name, email=email, department=cell("department"), role=role)


# --- Reading the rows ---------------------------------------------------------------------


def _csv_rows(data: bytes):
    encoding = sniff_encoding(data)
    if encoding.startswith("utf-16"):
        encoding = "utf-16"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        encoding = "cp1252"
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text[:4096]:
        raise PeopleFileError(_l("This file is not text, CSV or Excel (.xlsx)."))
    delimiter = sniff_delimiter(text[: 64 * 1024])
    result = PeopleFile(container="csv", encoding=codecs.lookup(encoding).name, delimiter=delimiter)

    def rows():
        try:
            yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        except csv.Error as error:
            raise PeopleFileError(
                _l(
                    "The file cannot be read as CSV (%(problem)s). Is a quote missing?",
                    problem=str(error),
                )
            ) from error

    return rows(), result


def _xlsx_rows(data: bytes):
    try:
        check_zip(data)
    except SurveyFileError as error:
        raise PeopleFileError(error.message) from error
    import openpyxl

    damaged = _l("The Excel file is damaged or could not be read. Save it again and retry.")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on broken files
        raise PeopleFileError(damaged) from error
    try:
        sheets = [s for s in book.worksheets if hasattr(s, "iter_rows")]
        rows: list[list] = []
        # The first sheet with any content holds the people.
        for sheet in sheets:
            sheet.reset_dimensions()
            rows = [list(values) for values in sheet.iter_rows(values_only=True)]
            if any(any(v not in (None, "") for v in row) for row in rows):
                break
    except Exception as error:
        raise PeopleFileError(damaged) from error
    finally:
        book.close()
    return iter(rows)
