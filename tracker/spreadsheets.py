"""CSV that spreadsheets open safely, shared by every export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime

#: A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice
#: and Google Sheets; a leading apostrophe keeps it text.
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
    writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        writer.writerow(
            [neutralise(v.isoformat() if isinstance(v, (date, datetime)) else v) for v in row]
        )
    return out.getvalue()
