"""What a screen reader builds from every page each role reaches (issue 20 point 3), in Dutch
and English, from the crawl of the demo (tests/crawl.py): one main landmark, headings that
start at one <h1> and skip no level, tables with header cells and a caption, status messages
as live regions, the language names marked with their own language, and the accessibility
statement linked from every page's footer (point 7)."""

from __future__ import annotations

from html.parser import HTMLParser

from sqlalchemy import select

from tests.crawl import crawl
from tracker.auth.models import User
from tracker.extensions import db
from tracker.organisation.models import Organisation

ROLES = (
    "admin@demo.example",
    "director@demo.example",
    "owner@demo.example",
    "employee@demo.example",
)
#: Documents of their own (a poster and an agenda for paper), not pages with the footer.
DOCUMENTS = {"public.poster", "meetings.printable"}


class Structure(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings: list[int] = []
        self.mains = 0
        self.tables: list[dict] = []
        self.alerts: list[dict] = []
        self.options: list[dict] = []
        self.footer_links: list[str] = []
        self._in_footer = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        elif tag == "main":
            self.mains += 1
        elif tag == "table":
            self.tables.append({"caption": False, "th": False})
        elif tag == "caption" and self.tables:
            self.tables[-1]["caption"] = True
        elif tag == "th" and self.tables:
            self.tables[-1]["th"] = True
        elif tag == "div" and "alert" in (attributes.get("class") or "").split():
            self.alerts.append(attributes)
        elif tag == "option" and attributes.get("value") in ("nl", "en"):
            self.options.append(attributes)
        elif tag == "footer":
            self._in_footer = True
        elif tag == "a" and self._in_footer:
            self.footer_links.append(attributes.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "footer":
            self._in_footer = False


def _problems(html: str, endpoint: str) -> list[str]:
    page = Structure()
    page.feed(html)
    found = []
    if page.mains != 1:
        found.append(f"{page.mains} <main> landmarks")
    if page.headings.count(1) != 1:
        found.append(f"{page.headings.count(1)} <h1> headings")
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        if after > before + 1:
            found.append(f"heading h{before} followed by h{after}")
    for number, table in enumerate(page.tables, 1):
        if not (table["caption"] and table["th"]):
            found.append(f"table {number} without {'a caption' if table['th'] else 'header cells'}")
    for alert in page.alerts:
        if alert.get("role") not in ("status", "alert"):
            found.append(f"message without a live region: {alert}")
    for option in page.options:
        if option.get("lang") != option["value"]:
            found.append(f"language name without its lang: {option}")
    if endpoint not in DOCUMENTS and "/accessibility" not in page.footer_links:
        found.append("no link to the accessibility statement in the footer")
    return found


def test_every_page_of_every_role_has_a_structure_a_screen_reader_can_follow(ctx, app, make_client):
    from tracker import demo

    demo.load()
    problems: dict[str, list[str]] = {}
    pages = 0
    for language in ("nl", "en"):
        for email in ROLES:
            db.session.scalar(select(User).where(User.email == email)).locale = language
            db.session.commit()
            client = make_client()
            assert client.login(email, password=demo.PASSWORD).status_code == 302
            for page in crawl(app, client):
                pages += 1
                if found := _problems(page.html, page.endpoint):
                    problems[f"{page.url} ({email}, {language})"] = found
        db.session.scalar(select(Organisation)).public_without_login = True
        db.session.commit()
        visitor = make_client()
        with visitor.session_transaction() as session:
            session["lang"] = language
        for page in crawl(app, visitor, start="/you-said-we-did"):
            pages += 1
            if found := _problems(page.html, page.endpoint):
                problems[f"{page.url} (visitor, {language})"] = found
        db.session.scalar(select(Organisation)).public_without_login = False
        db.session.commit()
    assert pages >= 60
    assert not problems, "\n".join(f"{url}: {found}" for url, found in problems.items())


def test_the_accessibility_statement_is_open_to_everyone_in_both_languages(app, client):
    from tests.factories import make_user
    from tracker.auth.models import Role

    with app.app_context():
        make_user(email="beheer@gemeente.example", role=Role.admin)
        db.session.commit()
    page = client.get("/accessibility").get_data(as_text=True)
    assert "Toegankelijkheidsverklaring" in page
    assert "WCAG 2.1" in page and "EN 301 549" in page
    assert "B: voldoet gedeeltelijk" in page
    assert "Wat voldoet nog niet" in page
    assert 'href="mailto:beheer@gemeente.example"' in page
    assert 'datetime="2026-12-04"' in page
    client.post("/language", {"language": "en", "next": "/accessibility"})
    page = client.get("/accessibility").get_data(as_text=True)
    assert "Accessibility statement" in page and "B: partially compliant" in page
    assert "What does not comply yet" in page and "Report a barrier" in page


def test_the_statement_names_the_configured_contact_address(app, client):
    app.config["ACCESSIBILITY_CONTACT"] = "toegankelijkheid@gemeente.example"
    try:
        page = client.get("/accessibility").get_data(as_text=True)
    finally:
        app.config["ACCESSIBILITY_CONTACT"] = None
    assert 'href="mailto:toegankelijkheid@gemeente.example"' in page
