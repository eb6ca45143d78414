"""Bytes to rows: encodings, delimiters, XLSX safety."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from tracker.surveys.importers import SurveyFileError, detect, parse, reading
from tracker.surveys.importers.reading import cell_text, open_table, sniff_delimiter, sniff_encoding

from .helpers import xlsx_bytes

TEXT = "Tijdstempel,Over welke afdeling gaat uw oordeel?,Ik word snel geholpen\r\n" + "".join(
    f"3/{i + 1}/2026 10:00:00,Financiën,{i % 5 + 1}\r\n" for i in range(6)
)


@pytest.mark.parametrize(
    "data, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_are_recognised_and_decoded(data, encoding):
    assert sniff_encoding(data) == encoding
    survey = parse(data, "x.csv")
    assert list(survey.departments) == ["Financiën"]
    assert survey.departments["Financiën"].respondents == 6


def test_utf8_with_a_stray_windows_byte_stays_utf8():
    data = ("Afdeling,Vraag\r\n" + "Financiën,4\r\n" * 20).encode("utf-8") + "Café\r\n".encode(
        "cp1252"
    )
    assert sniff_encoding(data) == "utf-8"
    assert sniff_encoding("Financiën,4\r\n".encode("cp1252") * 3) == "cp1252"


def test_utf8_cut_inside_a_character_is_still_utf8():
    data = "Afdeling,Vraag\r\nFinanciën,4\r\n".encode()
    assert sniff_encoding(data[: data.index(b"\xc3\xab") + 1]) == "utf-8"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters(delimiter):
    sample = TEXT.replace(",", delimiter)
    assert sniff_delimiter(sample) == delimiter


def test_semicolons_win_over_decimal_commas():
    sample = "afdeling;vraag;score;n;benchmark\r\n" + "ICT;Snel geholpen;7,4;40;7,1\r\n" * 5
    assert sniff_delimiter(sample) == ";"


def test_header_commas_in_a_semicolon_file():
    sample = 'Afdeling;"Niet mee eens, niet mee oneens";Score\nICT;3;7,5\nHR;4;6,5\n'
    assert sniff_delimiter(sample) == ";"


def test_cell_text_of_excel_values():
    assert cell_text(None) == ""
    assert cell_text(7.0) == "7"
    assert cell_text(7.4) == "7.4"
    assert cell_text(3) == "3"
    assert cell_text(True) == "TRUE"
    assert cell_text(dt.datetime(2026, 3, 2, 9, 30)) == "2026-03-02 09:30:00"
    assert cell_text(dt.date(2026, 3, 2)) == "2026-03-02"


def test_blank_rows_above_the_header_are_skipped():
    data = ("\r\n,,\r\n" + TEXT).encode("utf-8")
    table = open_table(data)
    assert table.head[0][0] == "Tijdstempel" and table.skipped == 2
    assert detect(data, "x.csv").format == "googleforms"


@pytest.mark.parametrize("data", [b"", b"   \r\n  ", b"\xef\xbb\xbf"])
def test_empty_files(data):
    with pytest.raises(SurveyFileError) as caught:
        detect(data, "x.csv")
    assert "empty" in str(caught.value)


def test_binary_file_is_not_a_survey_export():
    data = bytes(range(256)) * 20
    with pytest.raises(SurveyFileError) as caught:
        parse(data, "x.csv")
    assert "not a survey export" in str(caught.value)


def test_single_column_text_is_not_a_survey_export():
    with pytest.raises(SurveyFileError):
        detect(b"hallo\nwereld\n", "x.txt")


def test_unclosed_quote_is_reported_with_a_row():
    data = ('Afdeling,Vraag\r\nICT,4\r\nHR,"' + "x" * 200_000).encode()
    with pytest.raises(SurveyFileError) as caught:
        parse(data, "x.csv", format="generic")
    assert caught.value.row == 3


def test_old_xls_files_are_refused_with_advice():
    with pytest.raises(SurveyFileError) as caught:
        detect(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "oud.xls")
    assert ".xls" in str(caught.value)


def test_truncated_xlsx_is_damaged():
    data = xlsx_bytes([["Afdeling", "Vraag"], ["ICT", 4]])
    for cut in (len(data) // 3, len(data) - 10):
        with pytest.raises(SurveyFileError) as caught:
            parse(data[:cut], "x.xlsx")
        assert "damaged" in str(caught.value)


def test_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(SurveyFileError) as caught:
        detect(out.getvalue(), "x.xlsx")
    assert "not an Excel workbook" in str(caught.value)


def test_zip_bomb_is_refused_before_unpacking():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    assert len(out.getvalue()) < 100_000  # 30 MB of zeros compresses > 100 times
    with pytest.raises(SurveyFileError) as caught:
        parse(out.getvalue(), "bom.xlsx")
    assert "too large" in str(caught.value)


def test_absolute_unpacked_size_limit(monkeypatch):
    data = xlsx_bytes([["Afdeling", "Vraag"], ["ICT", 4]])
    monkeypatch.setattr(reading, "MAX_UNCOMPRESSED", 1000)
    with pytest.raises(SurveyFileError) as caught:
        detect(data, "x.xlsx")
    assert "too large" in str(caught.value)


def test_xlsx_data_on_a_later_sheet():
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Leeg"
    sheet = book.create_sheet("Resultaten")
    sheet.append(["afdeling", "vraag", "score", "n"])
    sheet.append(["ICT", "Snel geholpen", 3.5, 20])
    out = io.BytesIO()
    book.save(out)
    survey = parse(out.getvalue(), "x.xlsx")
    assert survey.departments["ICT"].results["Snel geholpen"].score == 3.5


def test_content_decides_over_the_file_name():
    assert detect(TEXT.encode("utf-8"), "export.xlsx").container == "csv"
    data = xlsx_bytes([["afdeling", "vraag", "score", "n"], ["ICT", "Snel geholpen", 3.5, 20]])
    assert detect(data, "export.csv").container == "xlsx"
