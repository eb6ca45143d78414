"""The poster as Chromium prints it: exactly one page of A4 (or A3) even with the longest
texts (nothing clipped), large type, no navigation on paper, and a QR code that reads as the department's page
on BASE_URL, also when the request reached the app under another host name."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests import programs
from tests.browser.conftest import CHROMIUM
from tests.factories import make_action, make_department, make_finding, make_user
from tracker import clock
from tracker.actions import services as actions
from tracker.actions.models import ActionStatus
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.organisation.models import Organisation
from tracker.surveys.models import RoundParticipation, Triage

BASE_URL = "https://tracker.gemeente.example"
#: The host name the printing browser uses: a name the app was never told about.
OTHER_HOST = "koffiehoek.intern.test"

LONG_QUESTION = (
    "De medewerkers van de Servicedesk en het team Werkplekbeheer zijn goed bereikbaar, "
    "houden zich aan de afspraken in de Wijzigingskalender en laten weten wanneer een "
    "melding is opgelost, ook als de oplossing langer duurt dan verwacht"
)
LONG_RESULT = (
    "Elke melding krijgt binnen vier werkuren een terugbelafspraak; de Servicedesk belt "
    "terug, legt uit wat er gebeurt en wanneer, en zet de afspraak in het dossier zodat "
    "collega's bij een volgende vraag meteen zien wat er is afgesproken en door wie. "
) * 3


@pytest.fixture
def poster(ctx, app, monkeypatch):
    """A department whose page has more points than a poster holds, every text as long as
    it can be, so the page must be filled to its worst case."""
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL)
    db.session.add(Organisation(name="Gemeente Zuiderveen", public_without_login=True))
    ict = make_department("Servicedesk en Werkplekbeheer (Informatievoorziening & ICT)", "ICT")
    director = make_user(Role.director, directs=[ict])
    owner = make_user(Role.owner, name="Olga Visser", staff_of=[ict])
    findings = [
        make_finding(ict, triage=Triage.act, question_text=f"{number}. {LONG_QUESTION}")
        for number in range(1, 6)
    ]
    db.session.add(
        RoundParticipation(round_id=findings[0].round_id, department_id=ict.id, respondents=40)
    )
    db.session.commit()
    titles = []
    for number, finding in enumerate(findings, 1):
        for kind in ("done", "planned"):
            title = f"Punt {number} {kind}: terugbelafspraak binnen vier werkuren voor elke melding"
            action = make_action(
                ict,
                owner,
                by=director,
                title=title,
                findings=[finding],
                deadline=clock.today() + timedelta(days=90),
            )
            titles.append(title)
            for status in (ActionStatus.planned, ActionStatus.in_progress):
                db.session.refresh(action)
                actions.change_status(director, action, status, expected_version=action.version)
            if kind == "done":
                db.session.refresh(action)
                actions.change_status(
                    director,
                    action,
                    ActionStatus.done,
                    expected_version=action.version,
                    result=LONG_RESULT,
                )
            db.session.commit()
    path = f"/you-said-we-did/{findings[0].round_id}/{ict.id}"
    return {"path": path, "page_url": f"{BASE_URL}{path}"}


def _print(live_server, path: str, pdf) -> None:
    """Chromium's own print to PDF, with its default settings (headers and footers on), of
    the poster requested under another host name than BASE_URL's."""
    port = urlsplit(live_server).port
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={pdf.parent / 'chromium-profile'}",
            f"--host-resolver-rules=MAP {OTHER_HOST} 127.0.0.1",
            f"--print-to-pdf={pdf}",
            f"http://{OTHER_HOST}:{port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pdf.exists(), result.stderr[-2000:]


@pytest.mark.parametrize("size, paper", [("A4", programs.A4), ("A3", programs.A3)])
def test_poster_prints_on_exactly_one_page_with_a_qr_code_to_base_url(
    poster, live_server, tmp_path, size, paper
):
    programs.require("pdfinfo", "pdftotext", "pdftoppm", "zbarimg")
    pdf = tmp_path / f"poster-{size}.pdf"
    _print(live_server, f"{poster['path']}/poster?size={size}", pdf)
    assert programs.pages(pdf) == 1
    assert programs.page_size(pdf) == paper
    text = programs.pdf_text(pdf)
    # Three points, the third one whole down to its second action; the rest is a line.
    assert "Punt 3 planned:" in text and "Punt 4" not in text
    assert text.count("WIJ DEDEN") == 3
    assert "En nog 2 punten op die pagina." in text
    assert "Lees alles, reageer en volg ons:" in text
    assert OTHER_HOST not in text and "127.0.0.1" not in text
    assert programs.qr_codes(pdf) == [poster["page_url"]]


def test_poster_type_is_large_and_navigation_is_not_printed(poster, live_server, page):
    for size, least in (("A4", 18), ("A3", 25)):
        page.goto(f"{live_server}{poster['path']}/poster?size={size}")
        page.emulate_media(media="print")
        expect(page.locator(".poster-nav")).to_be_hidden()
        points = page.evaluate(
            """() => [...document.querySelectorAll('.poster-said, .poster-did')]
                 .map(e => parseFloat(getComputedStyle(e).fontSize) * 0.75)"""
        )
        assert points and min(points) >= least, (size, points)
        title = page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize) * 0.75"
        )
        assert title >= 2.2 * least
        # Everything fits on the sheet: the longest texts are clamped to their lines, and
        # the points area (which would clip the last point) does not overflow.
        overflow = page.evaluate(
            """() => [...document.querySelectorAll('.poster-sheet, .poster-points')]
                 .map(e => e.scrollHeight - e.clientHeight)"""
        )
        assert overflow == [0, 0], (size, overflow)
        page.emulate_media(media="screen")
        expect(page.locator(".poster-nav")).to_be_visible()
    assert page.console_errors == []
