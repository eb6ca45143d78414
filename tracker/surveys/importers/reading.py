"""Turn uploaded bytes into rows of strings: CSV (any encoding/dialect) or XLSX.

Rows are streamed: `Table.rows()` yields lists of strings, header rows first.
Only the first HEAD_ROWS rows are held in memory (for detection).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .base import SurveyFileError

HEAD_ROWS = 200
SNIFF_CHARS = 64 * 1024
MAX_UNCOMPRESSED = 120 * 1024 * 1024
MAX_RATIO = 100
DELIMITERS = (",", ";", "\t")
#: What a survey export may hold, checked while it is read, so that no file under the upload
#: limit makes an import take more than a few hundred MB (bench/bench_upload_memory.py): a
#: crafted file is refused with the bound it broke, not read until the worker is killed.
MAX_ROWS = 200_000  # respondents
MAX_COLUMNS = 2_000  # questions and other columns
MAX_CELL = 32_767  # Excel's own limit for one cell
MAX_SHEETS = 50
#: Parts of a workbook that openpyxl reads whole (the others it streams).
MAX_PART = {
    "xl/sharedStrings.xml": 24 * 1024 * 1024,
    "xl/styles.xml": 4 * 1024 * 1024,
    "xl/workbook.xml": 1024 * 1024,
}


@dataclass
class Table:
    container: str  # 'csv' | 'xlsx'
    encoding: str | None
    delimiter: str | None
    head: list[list[str]]  # the first rows (up to HEAD_ROWS), leading blank rows dropped
    _rest: Iterator[list[str]]
    skipped: int = 0  # blank rows dropped above the header (for row numbers)

    def __post_init__(self) -> None:
        while self.head and not any(cell.strip() for cell in self.head[0]):
            self.head.pop(0)
            self.skipped += 1
        if not self.head:
            raise SurveyFileError(_l("The file is empty."))

    def rows(self) -> Iterator[list[str]]:
        """All rows, head included. Can be consumed once."""
        return itertools.chain(self.head, self._rest)


def open_table(data: bytes, filename: str = "") -> Table:
    if not data or data.isspace():
        raise SurveyFileError(_l("The file is empty."))
    # The content decides, not the name: exports get renamed.
    if data[:4] == b"PK\x03\x04":
        return _open_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise SurveyFileError(
            _l("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again.")
        )
    return _open_csv(data)


# --- CSV -------------------------------------------------------------------


def sniff_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and head.count(0) > len(head) // 4:
        # BOM-less UTF-16: mostly-ASCII text has a NUL in every other byte.
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > 4 * even:
            return "utf-16-le"
        if even > 4 * odd:
            return "utf-16-be"
    try:
        # final=False: a file cut in the middle of a character is still UTF-8.
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # A few stray bytes in an otherwise UTF-8 file (pasted text) should not turn
    # every "ë" into "Ã«": stay with UTF-8 when valid characters far outnumber them.
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    return "utf-8" if good > 10 * bad else "cp1252"


def _decode_sample(data: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data[: SNIFF_CHARS * 2], final=False)[:SNIFF_CHARS]


def _looks_binary(sample: str) -> bool:
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > 0.05 * min(len(sample), 4096) + 1


def sniff_delimiter(sample: str) -> str:
    """Pick the delimiter that gives the widest consistent table.

    csv.Sniffer alone prefers ',' whenever counts are equally regular, which
    is wrong for Dutch files (';' separated, '7,4' decimals), so it only
    breaks ties between equally good candidates.
    """
    if len(sample) >= SNIFF_CHARS:  # drop the last, probably cut, line
        cut = max(sample.rfind("\n"), sample.rfind("\r"))
        if cut > 0:
            sample = sample[:cut]
    scores = {}
    for delim in DELIMITERS:
        try:
            rows = [
                r
                for r in itertools.islice(csv.reader(io.StringIO(sample), delimiter=delim), 60)
                if any(r)
            ]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        body = rows[1:]
        consistent = sum(1 for r in body if len(r) == width) / len(body) if body else 1.0
        scores[delim] = (width > 1, round(consistent, 1), width)
    if not scores:
        return ","
    best = max(scores.values())
    tied = [d for d, s in scores.items() if s == best]
    if len(tied) > 1:
        try:
            sniffed = csv.Sniffer().sniff(sample[:20000], delimiters="".join(tied)).delimiter
            if sniffed in tied:
                return sniffed
        except csv.Error:
            pass
    return tied[0]


def _open_csv(data: bytes) -> Table:
    encoding = sniff_encoding(data)
    sample = _decode_sample(data, encoding)
    if _looks_binary(sample):
        raise SurveyFileError(
            _l("This is not a survey export: the file is not text, CSV or Excel.")
        )
    delimiter = sniff_delimiter(sample)
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    rows = bounded(_csv_rows(csv.reader(text, delimiter=delimiter)))
    head = list(itertools.islice(rows, HEAD_ROWS))
    return Table("csv", encoding, delimiter, head, rows)


def _csv_rows(reader) -> Iterator[list[str]]:
    number = 0
    try:
        for number, row in enumerate(reader, start=1):  # noqa: B007 - read in the except
            yield row
    except csv.Error as exc:
        raise SurveyFileError(
            _l(
                "Row %(row)d cannot be read (%(problem)s). Is a quote missing?",
                row=number + 1,
                problem=str(exc),
            ),
            row=number + 1,
        ) from exc


# --- XLSX ------------------------------------------------------------------


_PART_NAMES = {
    "xl/sharedStrings.xml": _l("table of texts"),
    "xl/styles.xml": _l("table of styles"),
    "xl/workbook.xml": _l("list of worksheets"),
}


def check_zip(data: bytes) -> None:
    """Refuse damaged archives and zip bombs before openpyxl unpacks anything."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (
        Exception
    ) as exc:  # a broken zip fails in many ways (bad headers, unsupported compression, ...)
        raise SurveyFileError(
            _l("The Excel file is damaged or incomplete. Save it again and retry.")
        ) from exc
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise SurveyFileError(_l("This is a zip file but not an Excel workbook (.xlsx)."))
    sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    if len(sheets) > MAX_SHEETS:
        raise SurveyFileError(_l("The Excel file has more than %(n)d worksheets.", n=MAX_SHEETS))
    for info in infos:
        limit = MAX_PART.get(info.filename)
        if limit is not None and info.file_size > limit:
            raise SurveyFileError(
                _l(
                    "The Excel file's %(part)s is larger than %(mb)d MB, too large for a "
                    "survey export.",
                    part=_PART_NAMES.get(info.filename, info.filename),
                    mb=limit // 2**20,
                )
            )
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNCOMPRESSED or (unpacked > 1024 * 1024 and unpacked > MAX_RATIO * len(data)):
        raise SurveyFileError(
            _l(
                "The Excel file unpacks to %(size)d MB, which is too large to import.",
                size=unpacked // 2**20,
            )
        )


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _open_xlsx(data: bytes) -> Table:
    check_zip(data)
    import openpyxl  # imported late: CSV-only use should not pay for it

    damaged = _l("The Excel file is damaged or could not be read. Save it again and retry.")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets = list(book.worksheets)
    except Exception as exc:  # openpyxl raises many kinds on broken files
        raise SurveyFileError(damaged) from exc
    if not sheets:
        book.close()
        raise SurveyFileError(_l("The Excel file has no worksheet."))

    def rows() -> Iterator[list[str]]:
        try:
            # The first sheet that has any content holds the export.
            for sheet in sheets:
                if not hasattr(sheet, "iter_rows"):
                    continue
                sheet.reset_dimensions()  # some writers store wrong dimensions
                found = False
                for values in sheet.iter_rows(values_only=True):
                    row = [cell_text(v) for v in values]
                    found = found or any(row)
                    yield row
                if found:
                    return
        except SurveyFileError:
            raise
        except Exception as exc:
            raise SurveyFileError(damaged) from exc
        finally:
            book.close()

    stream = bounded(rows())
    head = list(itertools.islice(stream, HEAD_ROWS))
    return Table("xlsx", None, None, head, stream)


def bounded(rows: Iterator[list[str]]) -> Iterator[list[str]]:
    """The rows, refused (SurveyFileError, naming the bound) as soon as one breaks a bound:
    too many rows, too many filled columns, a cell too long."""
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS:
            raise SurveyFileError(
                _l("The file has more than %(n)d rows; a survey export has fewer.", n=MAX_ROWS)
            )
        while row and not row[-1]:
            row.pop()
        if len(row) > MAX_COLUMNS:
            raise SurveyFileError(
                _l(
                    "Row %(row)d has more than %(n)d columns; a survey export has fewer.",
                    row=number,
                    n=MAX_COLUMNS,
                ),
                row=number,
            )
        for cell in row:
            if len(cell) > MAX_CELL:
                raise SurveyFileError(
                    _l(
                        "Row %(row)d has a cell of more than %(n)d characters, more than Excel "
                        "allows.",
                        row=number,
                        n=MAX_CELL,
                    ),
                    row=number,
                )
        yield row
