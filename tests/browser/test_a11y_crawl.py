"""WCAG 2.1 AA over every page each role reaches (issue 20 points 1, 4, 5; issue 15 point 12):
the pages come from the crawl of tests/crawl.py (not a list), each is opened in Chromium,
logged in as that role through the log-in form, and checked

- with axe-core (WCAG 2.1 A and AA rules) at 1280×800 and at 390×844: no serious or critical
  finding;
- on a phone (390×844): the page does not scroll sideways, the navigation is folded behind a
  menu button, and every visible link, button and field is at least 44 px high or wide (a link
  inside running text at least 24 px, as WCAG 2.2's target size allows); a screenshot of each
  kind of page is kept in test-artifacts/phone/;
- at 320 px (400 % zoom): no horizontal scrolling (WCAG 1.4.10), also with the text spacing of
  WCAG 1.4.12, which clips no text.

Which pages: every kind of page once PER ROLE — a director sees other forms and buttons on
the same route than an employee — in Dutch, the default, at both widths, and in English at
phone width only (the narrow layout is where the longer English words break things).

SQLite only: the pages render the same on PostgreSQL, and `make test` runs the suite on both;
this test takes the longest of all, so the PostgreSQL pass skips it."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS, CHROMIUM
from tests.crawl import crawl
from tracker.auth.models import User
from tracker.extensions import db
from tracker.organisation.models import Organisation

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ROLES = (
    "admin@demo.example",
    "director@demo.example",
    "owner@demo.example",
    "employee@demo.example",
)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 320, "height": 640}

#: The text spacing of WCAG 1.4.12 (the W3C's bookmarklet).
TEXT_SPACING = """
* { line-height: 1.5 !important; letter-spacing: .12em !important;
    word-spacing: .16em !important; }
p { margin-bottom: 2em !important; }
"""

_AXE_RUN = """() => axe.run(document, {runOnly: {type: 'tag', values:
    ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})"""

#: Links, buttons and fields a finger must hit: their box at least 44 px high or wide; a link
#: inside a sentence or a table's cell at least 24 px.
_SMALL_TARGETS = """() => {
  const small = [];
  const targets = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary');
  for (const el of targets) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
    if (el.closest('.visually-hidden-focusable, .visually-hidden')) continue;
    // A check box or radio button is hit through its label, which is part of the target.
    let width = box.width, height = box.height;
    if ((el.type === 'checkbox' || el.type === 'radio') && el.labels && el.labels.length) {
      const label = el.labels[0].getBoundingClientRect();
      const left = Math.min(box.left, label.left), right = Math.max(box.right, label.right);
      const top = Math.min(box.top, label.top), bottom = Math.max(box.bottom, label.bottom);
      width = right - left; height = bottom - top;
    }
    const parent = el.parentElement;
    // A link in running text or in a table's cell: WCAG 2.2's 24 px (2.5.8).
    const inline = el.tagName === 'A' && style.display === 'inline' && parent &&
      (parent.textContent.trim() !== el.textContent.trim() || el.closest('td, th'));
    const minimum = inline ? 24 : 44;
    if (Math.max(width, height) < minimum - 0.5) {
      small.push(`${el.outerHTML.slice(0, 90)} (${Math.round(width)}×${Math.round(height)})`);
    }
  }
  return small;
}"""

#: Text cut off by a box that hides its overflow.
_CLIPPED = """() => {
  const clipped = [];
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (!/hidden|clip/.test(style.overflowY + style.overflowX)) continue;
    if (el.closest('.visually-hidden, .visually-hidden-focusable')) continue;
    if (!el.textContent.trim() || el.clientHeight === 0) continue;
    if (el.scrollHeight > el.clientHeight + 2 || el.scrollWidth > el.clientWidth + 2) {
      clipped.push(el.outerHTML.slice(0, 90));
    }
  }
  return clipped;
}"""

_SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


def _require_browser() -> None:
    if shutil.which(CHROMIUM) is None:
        reason = f"{CHROMIUM} not installed (Debian: apt-get install chromium, or `make test`)"
        if os.environ.get("TRACKER_REQUIRE_PROGRAMS"):
            pytest.fail(reason)
        pytest.skip(reason)


def _axe(page) -> list[str]:
    # evaluate() runs through the DevTools protocol, so the page's CSP does not block it.
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(_AXE_RUN)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _log_in(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill("tracker-demo")
    page.locator("main form [type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _slug(url: str) -> str:
    # The path, not the live server's port: each run overwrites the last run's screenshots.
    parts = urlsplit(url)
    return re.sub(r"[^a-z0-9]+", "-", f"{parts.path}?{parts.query}".lower()).strip("-") or "home"


def _check_page(page, url: str, language: str, desktop: bool, shots: Path | None) -> list[str]:
    found: list[str] = []
    if desktop:
        page.set_viewport_size(DESKTOP)
        page.goto(url)
        found += [f"axe 1280: {v}" for v in _axe(page)]
        page.set_viewport_size(PHONE)
    else:
        page.set_viewport_size(PHONE)
        page.goto(url)
    found += [f"axe 390: {v}" for v in _axe(page)]
    if (wider := page.evaluate(_SIDEWAYS)) > 0:
        found.append(f"390 px: the page scrolls {wider} px sideways")
    if page.locator("[data-nav=main]").count() and page.locator("[data-nav=main]").is_visible():
        found.append("390 px: the navigation is not folded behind a menu button")
    found += [f"390 px: small target {t}" for t in page.evaluate(_SMALL_TARGETS)]
    if shots is not None:
        page.screenshot(path=str(shots / f"{language}-{_slug(url)}.png"), full_page=True)
    page.set_viewport_size(NARROW)
    if (wider := page.evaluate(_SIDEWAYS)) > 0:
        found.append(f"320 px: the page scrolls {wider} px sideways")
    # A constructed style sheet, as a user style would be: the page's CSP allows no <style>.
    page.evaluate(
        "css => { const sheet = new CSSStyleSheet(); sheet.replaceSync(css);"
        " document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; }",
        TEXT_SPACING,
    )
    if (wider := page.evaluate(_SIDEWAYS)) > 0:
        found.append(f"320 px with text spacing: the page scrolls {wider} px sideways")
    found += [f"text spacing clips {c}" for c in page.evaluate(_CLIPPED)]
    return found


def test_every_page_of_every_role_meets_wcag_at_desktop_and_phone_width(
    ctx, app, make_client, browser, live_server
):
    _require_browser()
    if db.engine.dialect.name != "sqlite":
        pytest.skip("pages render the same on every database: checked in the SQLite pass")
    assert AXE.exists(), "run `make test` (it installs axe-core with npm)"
    from tracker import demo

    demo.load()
    db.session.commit()
    shots = ARTIFACTS / "phone"
    shots.mkdir(parents=True, exist_ok=True)
    findings: dict[str, list[str]] = {}
    checked = 0
    shot: set[str] = set()
    for language in ("nl", "en"):
        for email in ROLES:
            db.session.scalar(select(User).where(User.email == email)).locale = language
            db.session.commit()
            client = make_client()
            assert client.login(email, password=demo.PASSWORD).status_code == 302
            pages = crawl(app, client)
            context = browser.new_context(locale=f"{language}-NL")
            page = context.new_page()
            try:
                _log_in(page, live_server, email)
                for crawled in pages:
                    checked += 1
                    # One screenshot per page, not one per role.
                    shoot = f"{language}{crawled.url}" not in shot
                    shot.add(f"{language}{crawled.url}")
                    found = _check_page(
                        page,
                        live_server + crawled.url,
                        language,
                        language == "nl",
                        shots if shoot else None,
                    )
                    if found:
                        findings[f"{crawled.url} ({email}, {language})"] = found
            finally:
                context.close()
        # A visitor without an account, when the organisation opens the public pages.
        db.session.scalar(select(Organisation)).public_without_login = True
        db.session.commit()
        visitor = make_client()
        with visitor.session_transaction() as session:
            session["lang"] = language
        context = browser.new_context(locale=f"{language}-NL")
        page = context.new_page()
        try:
            page.goto(f"{live_server}/you-said-we-did")
            page.locator("#language").select_option(language)
            page.locator("form:has(#language) button[type=submit]").click()
            page.wait_for_selector(f"html[lang={language}]")
            for crawled in crawl(app, visitor, start="/you-said-we-did"):
                checked += 1
                found = _check_page(
                    page, live_server + crawled.url, language, language == "nl", shots
                )
                if found:
                    findings[f"{crawled.url} (visitor, {language})"] = found
        finally:
            context.close()
        db.session.scalar(select(Organisation)).public_without_login = False
        db.session.commit()
    assert checked >= 30, "the crawl should reach every kind of page"
    report = [f"{where}:\n  " + "\n  ".join(found[:12]) for where, found in findings.items()]
    assert not findings, f"{len(findings)} pages with findings:\n" + "\n".join(report)
