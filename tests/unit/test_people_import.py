"""Reading HR files: pure, bytes in, dataclasses out (no database, no app)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tracker.provisioning.hr_file import PeopleFileError, PersonRow, parse_people


def _rows(text: str, encoding: str = "utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def _xlsx(rows, sheets_before: int = 0) -> bytes:
    book = openpyxl.Workbook()
    for number in range(sheets_before):
        book.create_sheet(f"Leeg {number}", 0)
    sheet = book.worksheets[-1]
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_dutch_headers_in_any_case_utf8_with_bom_and_semicolons():
    data = "\ufeffNAAM;E-mailadres;Afdeling;Rol\nJosé Müller;Jose@Example.org;ICT;Actiehouder\n"
    parsed = parse_people(data.encode("utf-8"))
    assert (parsed.container, parsed.encoding, parsed.delimiter) == ("csv", "utf-8-sig", ";")
    assert parsed.people == [PersonRow(2, "José Müller", "jose@example.org", "ICT", "owner")]
    assert parsed.refused == []


def test_english_headers_windows_1252_and_commas():
    data = _rows(
        "Name,Email,Department,Role\nZoë de Wit,zoe@example.org,Financiën,director\n", "cp1252"
    )
    parsed = parse_people(data)
    assert parsed.encoding == "cp1252" and parsed.delimiter == ","
    assert parsed.people == [PersonRow(2, "Zoë de Wit", "zoe@example.org", "Financiën", "director")]


@pytest.mark.parametrize("header", ["e-mail", "email", "E-Mail", "e_mailadres", "E-mail address"])
def test_the_email_column_goes_by_several_names(header):
    parsed = parse_people(_rows(f"naam,{header}\nPiet,piet@example.org\n"))
    assert [p.email for p in parsed.people] == ["piet@example.org"]


@pytest.mark.parametrize(
    "written, role",
    [
        ("medewerker", "employee"),
        ("Employee", "employee"),
        ("actiehouder", "owner"),
        ("OWNER", "owner"),
        ("directeur", "director"),
        ("Director", "director"),
        ("beheerder", "admin"),
        ("admin", "admin"),
        ("", None),
    ],
)
def test_roles_in_dutch_or_english(written, role):
    parsed = parse_people(_rows(f"naam;e-mailadres;rol\nPiet;piet@example.org;{written}\n"))
    assert parsed.people[0].role == role


def test_xlsx_first_sheet_with_content_and_numbers_as_text():
    data = _xlsx(
        [("Naam", "E-mailadres", "Afdeling", "Rol"), ("Jan", "jan@example.org", 2026, None)],
        sheets_before=1,
    )
    parsed = parse_people(data)
    assert parsed.container == "xlsx"
    assert parsed.people == [PersonRow(2, "Jan", "jan@example.org", "2026", None)]


def test_bad_rows_are_refused_with_spreadsheet_row_numbers_and_good_rows_kept():
    data = _rows(
        "\n"  # row 1: blank, above the header
        "naam;e-mailadres;afdeling;rol\n"  # row 2: header
        "Goed;goed@example.org;ICT;medewerker\n"  # row 3
        "Geen Adres;;ICT;\n"  # row 4
        "Fout;niet-een-adres;ICT;\n"  # row 5
        ";naamloos@example.org;ICT;\n"  # row 6
        "Koning;koning@example.org;ICT;koning\n"  # row 7
        ";;;\n"  # row 8: blank, skipped
        "Een;dubbel@example.org;ICT;\n"  # row 9
        "Twee;Dubbel@Example.org;P&O;\n"  # row 10
    )
    parsed = parse_people(data)
    assert [p.row for p in parsed.people] == [3]
    refused = {r.row: (str(r.reason), r.email) for r in parsed.refused}
    assert sorted(refused) == [4, 5, 6, 7, 9, 10]
    assert refused[4] == ("The e-mail address is missing.", None)
    assert refused[5] == ("niet-een-adres is not a valid e-mail address.", None)
    assert refused[6] == ("The name is missing.", "naamloos@example.org")
    assert refused[7][0].startswith("Unknown role “koning”")
    assert (
        refused[9][0] == "The address dubbel@example.org is on more than one row (9, 10); keep one."
    )
    # Addresses of refused rows still count as in the file (never deactivated for that).
    assert parsed.addresses == {
        "goed@example.org",
        "naamloos@example.org",
        "koning@example.org",
        "dubbel@example.org",
    }


def test_a_quoted_cell_may_hold_the_delimiter_and_a_line_break():
    data = _rows(
        'naam,e-mailadres,afdeling\n"Jansen, Piet",piet@example.org,"ICT\nbeheer"\n'
        "Kees,kees@example.org,ICT\n"
    )
    parsed = parse_people(data)
    assert [(p.row, p.name, p.department) for p in parsed.people] == [
        (2, "Jansen, Piet", "ICT beheer"),
        (3, "Kees", "ICT"),
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b" \r\n ", "The file is empty."),
        (b"naam;afdeling\nPiet;ICT\n", "Missing: e-mailadres."),
        (b"naam;e-mailadres\n", "lists nobody"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old Excel file (.xls)"),
        (b"PK\x03\x04" + b"\x00" * 64, "damaged"),
        (b"\x00\x01\x02\x03" * 100, "not text, CSV or Excel"),
    ],
)
def test_files_that_cannot_be_read_say_why(data, message):
    with pytest.raises(PeopleFileError) as error:
        parse_people(data)
    assert message in str(error.value.message)
