"""The real programs the document tests open files with: LibreOffice (headless) converts a
.docx or .xlsx to PDF as a reader would see it printed, poppler reads the PDF's page size and
text (pdfinfo, pdftotext) and renders it (pdftoppm), zbar reads a QR code from the rendering.

`make test` installs them (Makefile: system-deps) and sets TRACKER_REQUIRE_PROGRAMS=1, so
there a missing program fails the test; elsewhere the test is skipped, saying what to
install."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

#: Debian packages that provide each program (what `make system-deps` installs).
PACKAGES = {
    "soffice": "libreoffice-writer-nogui libreoffice-calc-nogui",
    "pdfinfo": "poppler-utils",
    "pdftotext": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "zbarimg": "zbar-tools",
    "java": "default-jre-headless",
}

A4 = (595, 842)
A3 = (842, 1191)


def require(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if not missing:
        return
    reason = (
        f"{', '.join(missing)} not installed (Debian: apt-get install "
        f"{' '.join(sorted({PACKAGES[p] for p in missing}))}, or run `make test`)"
    )
    if os.environ.get("TRACKER_REQUIRE_PROGRAMS"):
        pytest.fail(reason)
    pytest.skip(reason)


def to_pdf(document: Path, profile: Path) -> Path:
    """`document` converted by LibreOffice headless, with its own user profile (parallel
    test runs must not share one)."""
    require("soffice")
    out = document.parent / "pdf"
    out.mkdir(exist_ok=True)
    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(document),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = out / (document.stem + ".pdf")
    assert pdf.exists(), f"LibreOffice did not convert {document.name}: {result.stderr}"
    return pdf


def pdf_info(pdf: Path) -> dict[str, str]:
    require("pdfinfo")
    output = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return {
        key.strip(): value.strip()
        for key, value in (line.split(":", 1) for line in output.splitlines() if ":" in line)
    }


def pages(pdf: Path) -> int:
    return int(pdf_info(pdf)["Pages"])


def page_size(pdf: Path) -> tuple[int, int]:
    """Width and height of the first page in points, rounded (A4 is 595 x 842)."""
    match = re.match(r"([\d.]+) x ([\d.]+) pts", pdf_info(pdf)["Page size"])
    return round(float(match.group(1))), round(float(match.group(2)))


def pdf_text(pdf: Path) -> str:
    """The text as laid out on the pages (a word broken over two lines in a cell shows as
    two pieces on two lines)."""
    require("pdftotext")
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def words(text: str) -> set[str]:
    return set(re.findall(r"[\w'-]+", text))


def qr_codes(pdf: Path, resolution: int = 150) -> list[str]:
    """The QR codes zbar reads from the PDF's pages rendered as PNG."""
    require("pdftoppm", "zbarimg")
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(resolution), str(pdf), str(prefix)], check=True)
    images = sorted(pdf.parent.glob(prefix.name + "*.png"))
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", *map(str, images)], capture_output=True, text=True
    )
    return [line for line in result.stdout.splitlines() if line]


@pytest.fixture(scope="session")
def office_profile(tmp_path_factory) -> Path:
    """One LibreOffice profile per test process (xdist workers each get their own)."""
    return tmp_path_factory.mktemp("libreoffice-profile")


def ical_js(text: str) -> dict:
    """What Thunderbird's parser (ical.js, from tests/browser's npm packages) reads from an
    iCalendar text: the method, the time zones and each event (uid, sequence, start, time
    zone, organiser, attendees). Fails the test when ical.js cannot parse it."""
    import json

    folder = Path(__file__).parent / "browser"
    if shutil.which("node") is None or not (folder / "node_modules" / "ical.js").exists():
        reason = "node or ical.js missing (run `make test`, which installs them)"
        if os.environ.get("TRACKER_REQUIRE_PROGRAMS"):
            pytest.fail(reason)
        pytest.skip(reason)
    result = subprocess.run(
        ["node", str(folder / "ical-check.mjs")],
        input=text,
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=60,
    )
    assert result.returncode == 0, f"ical.js could not parse the calendar: {result.stderr}"
    return json.loads(result.stdout)


def nu_html_checker(files: list[Path]) -> list[dict]:
    """The Nu HTML Checker's (vnu.jar, from tests/browser's npm packages) errors for each
    HTML file, in one run of the checker: [{"url": file URI, "message", "extract"}, ...]."""
    import json

    require("java")
    jar = Path(__file__).parent / "browser" / "node_modules" / "vnu-jar" / "build" / "dist"
    jar = jar / "vnu.jar"
    if not jar.exists():
        reason = "vnu-jar missing (run `make test`, which installs it)"
        if os.environ.get("TRACKER_REQUIRE_PROGRAMS"):
            pytest.fail(reason)
        pytest.skip(reason)
    result = subprocess.run(
        ["java", "-jar", str(jar), "--errors-only", "--format", "json", "--exit-zero-always"]
        + [str(f) for f in files],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return [m for m in json.loads(result.stderr)["messages"] if m.get("type") == "error"]
