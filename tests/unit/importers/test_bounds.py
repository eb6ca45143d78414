"""Crafted files are refused by the bound they break, while they are read, with a message
that names the bound; a normal export is not affected (see also bench/bench_upload_memory.py
for the memory a worst accepted file takes)."""

from __future__ import annotations

import io
import zipfile

import pytest

from bench.bench_upload_memory import crafted_workbook
from tracker.surveys.importers import reading
from tracker.surveys.importers.base import SurveyFileError


def _workbook(**extra_parts: bytes) -> bytes:
    return crafted_workbook(extra_parts)


def _read_all(data: bytes) -> list[list[str]]:
    return list(reading.open_table(data).rows())


def test_a_normal_export_reads_as_before():
    assert _read_all(_workbook()) == [["Afdeling", "V1"], ["ICT", "7"]]


def test_a_huge_table_of_texts_is_refused_before_it_is_unpacked():
    texts = b"<sst>" + b"<si><t>x</t></si>" * 1_700_000 + b"</sst>"  # 27 MB, a few kB packed
    with pytest.raises(SurveyFileError, match="24 MB"):
        reading.open_table(_workbook(**{"xl/sharedStrings.xml": texts}))


def test_too_many_worksheets_are_refused():
    sheets = {f"xl/worksheets/sheet{n}.xml": b"<worksheet/>" for n in range(2, 60)}
    with pytest.raises(SurveyFileError, match="50"):
        reading.open_table(_workbook(**sheets))


@pytest.mark.parametrize(
    "csv_text, bound",
    [
        ("a;" * 2_001 + "b\n1\n", "2000"),
        ("Afdeling;V1\nICT;" + "x" * 40_000 + "\n", "32767"),
        ("V1\n" + "7\n" * 200_001, "200000"),
    ],
    ids=["columns", "cell", "rows"],
)
def test_a_csv_breaking_a_bound_is_refused_naming_it(csv_text, bound):
    with pytest.raises(SurveyFileError) as refused:
        _read_all(csv_text.encode())
    assert bound in str(refused.value)


def test_an_xlsx_breaking_a_bound_while_streaming_is_refused():
    """An inline string longer than Excel allows (no spreadsheet program writes one)."""
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Afdeling</t></is></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + b"y" * 40_000 + b"</t></is></c></row>"
        b"</sheetData></worksheet>"
    )
    with pytest.raises(SurveyFileError, match="32767"):
        _read_all(_workbook(**{"xl/worksheets/sheet1.xml": sheet}))
