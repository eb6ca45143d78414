"""Peak memory of reading an upload (issue 17, point 1): each file is parsed by the real
importer (`tracker.surveys.importers.parse`) in a fresh Python process, whose peak resident
set size (ru_maxrss) is measured; the reference is the same process importing a normal
export, measured in the same run. Target: no accepted or refused file takes the process over
300 MB.

Files:
- normal: a raw-response CSV, 5,000 respondents x 40 questions (about 2 MB);
- texts: an XLSX whose table of shared texts is just under its bound (23 MB unpacked of
  two million tiny texts, a few hundred kB packed): accepted;
- texts-over: the same just over the bound: refused before anything is unpacked;
- long-cells: an XLSX of 3,600 rows whose cells are each just under Excel's 32,767
  characters (about 115 MB unpacked, just under the limit): streamed, accepted;
- wide: a CSV whose second row has 50,000 columns: refused while streaming.

    .venv/bin/python bench/bench_upload_memory.py
"""

from __future__ import annotations

import io
import random
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Results  # noqa: E402

TARGET_MB = 300

PROBE = """
import sys
sys.path.insert(0, {root!r})
from tracker.surveys.importers import parse
from tracker.surveys.importers.base import SurveyFileError
data = open(sys.argv[1], "rb").read()
try:
    parse(data, sys.argv[1])
    outcome = "accepted"
except SurveyFileError as error:
    outcome = "refused: " + str(error)[:80]
# VmHWM: this process's own peak (ru_maxrss would include the parent's from before exec).
peak = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]
print(int(peak) // 1024, outcome)
"""


def normal_csv() -> bytes:
    rng = random.Random(7)
    lines = ["Afdeling;" + ";".join(f"V{q}" for q in range(1, 41))]
    for _ in range(5000):
        lines.append(
            rng.choice(["ICT", "P&O", "Financien", "Facilitair"])
            + ";"
            + ";".join(str(rng.randint(1, 10)) for _ in range(40))
        )
    return ("\n".join(lines) + "\n").encode()


def crafted_workbook(parts: dict[str, bytes]) -> bytes:
    """A small real workbook with parts replaced or added afterwards (also used by the bounds
    tests, tests/unit/importers/test_bounds.py)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Afdeling", "V1"])
    book.active.append(["ICT", "7"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            if info.filename not in parts:
                z.writestr(info, source.read(info.filename))
        for name, content in parts.items():
            z.writestr(name, content)
    return out.getvalue()


def texts(count: int) -> bytes:
    """Short random texts: they pack too little for the packing-ratio bound to stop them."""
    rng = random.Random(3)
    letters = b"abcdefghijklmnopqrstuvwxyz"
    items = b"".join(
        b"<si><t>" + bytes(rng.choice(letters) for _ in range(3)) + b"</t></si>"
        for _ in range(count)
    )
    return crafted_workbook({"xl/sharedStrings.xml": b"<sst>" + items + b"</sst>"})


def long_cells() -> bytes:
    """Every cell different (a repeated one would pack too well for the ratio bound)."""
    rng = random.Random(5)
    letters = bytes(range(97, 123)) * 10  # 260 bytes: any random byte maps to a letter
    table = bytes.maketrans(bytes(range(256)), letters[:256])

    def cell() -> bytes:
        return rng.randbytes(32_000).translate(table)

    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>' % (n, n) + cell() + b"</t></is></c></row>"
        for n in range(1, 3_600)
    )
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>" + rows + b"</sheetData></worksheet>"
    )
    return crafted_workbook({"xl/worksheets/sheet1.xml": sheet})


def wide_csv() -> bytes:
    return b"Afdeling;V1\n" + b"ICT;" + b"7;" * 50_000 + b"\n"


def peak(data: bytes, name: str, folder: Path) -> tuple[int, str]:
    path = folder / name
    path.write_bytes(data)
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(root=str(ROOT)), str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    megabytes, outcome = result.stdout.strip().split(" ", 1)
    return int(megabytes), outcome


def main() -> None:
    results = Results("bench_upload_memory")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reference, outcome = peak(normal_csv(), "normal.csv", folder)
        print(f"normal export: {reference} MB peak ({outcome})")
        for name, data in (
            ("texts.xlsx", texts(1_150_000)),
            ("texts-over.xlsx", texts(1_400_000)),
            ("long-cells.xlsx", long_cells()),
            ("wide.csv", wide_csv()),
        ):
            megabytes, outcome = peak(data, name, folder)
            print(
                f"{name}: {len(data) // 1024} kB file, {megabytes} MB peak "
                f"({megabytes / reference:.1f}x the normal export; target {TARGET_MB} MB) "
                f"- {outcome}"
            )
            results.ratio(
                f"{name} ({outcome.split(':')[0]})",
                megabytes,
                reference,
                "normal export",
                unit="MB",
                target=f"<= {TARGET_MB} MB",
                ok=megabytes <= TARGET_MB,
            )
    results.save()


if __name__ == "__main__":
    main()
