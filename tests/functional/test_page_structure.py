"""What a screen reader builds from every page each role reaches (issue 20 point 3), in Dutch
and English, from the crawl of the demo (tests/crawl.py): one main landmark, headings that
start at one <h1> and skip no level, tables with header cells and a caption, status messages
as live regions, the language names marked with their own language, and the accessibility
statement linked from every page's footer (point 7). Also: every chart with its figures as a
table (in the same <figure>, or named by aria-describedby), every icon (svg, img, icon font,
an arrow beside a link's words) hidden from the reader or named, every link and button with
a name, and the interface's fixed text of the other language marked with its lang. With the
test client and an HTML parser: none of this needs a browser to render the page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from tests.crawl import crawl
from tracker import demo
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


# fmt: off
#: Elements that have no end tag.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
# fmt: on
#: Arrows and other glyphs used as icons beside a link's words: a screen reader reads them
#: out ("left arrow"), so they are hidden from it (aria-hidden) and the words name the link.
GLYPHS = re.compile("[\u2190-\u21ff\u25a0-\u25ff\u2600-\u27bf\u00ab\u00bb\u2039\u203a]")
# fmt: off
#: Words that are English and not Dutch: two of them in one Dutch text mean English text.
ENGLISH_WORDS = {"the", "and", "of", "your", "you", "with", "this", "for", "are", "have", "to",
                 "not", "will", "please", "an", "which"}
# fmt: on
_WORD = re.compile(r"[a-z]+")
_CATALOGUE = Path(__file__).resolve().parents[2] / "tracker/translations/nl/LC_MESSAGES"


def _fixed_texts() -> tuple[set[str], set[str]]:
    """The interface's fixed texts that differ between the languages: (English, Dutch)."""
    with (_CATALOGUE / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    english, dutch = set(), set()
    for message in catalogue:
        if not message.id or not isinstance(message.id, str) or "%" in message.id:
            continue
        if message.string and message.string != message.id:
            english.add(message.id)
            dutch.add(message.string)
    return english - dutch, dutch - english


ENGLISH_TEXTS, DUTCH_TEXTS = _fixed_texts()
# The demo's reusable decline texts are stored content, written in Dutch by the organisation;
# one title happens to equal a fixed text ("Buiten onze invloed"). Content is not marked.
DUTCH_TEXTS -= {title for _constraint, title, _text in demo.DECLINE_TEXTS}


class Structure(HTMLParser):
    """One page as a screen reader sees it: landmarks, headings, tables, messages, and per
    element the language in effect and whether it is hidden from the reader."""

    def __init__(self):
        super().__init__()
        self.headings: list[int] = []
        self.mains = 0
        self.tables: list[dict] = []
        self.alerts: list[dict] = []
        self.options: list[dict] = []
        self.footer_links: list[str] = []
        self._in_footer = False
        self.charts: list[dict] = []
        self.table_ids: set[str] = set()
        self.unnamed: list[str] = []
        self.spoken_glyphs: list[str] = []
        self.icons: list[str] = []
        #: (language in effect, text) of every text and spoken attribute in the body.
        self.texts: list[tuple[str, str]] = []
        self._stack: list[dict] = [{"tag": "", "lang": "", "hidden": False}]

    # The element tree, loosely: an end tag closes everything opened since its start tag.
    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        parent = self._stack[-1]
        element = {
            "tag": tag,
            "attrs": attributes,
            "lang": attributes.get("lang") or parent["lang"],
            "hidden": parent["hidden"] or attributes.get("aria-hidden") == "true",
            "name": [],
            "title": False,
            "tables": [],
        }
        classes = (attributes.get("class") or "").split()
        if tag == "html":
            element["lang"] = attributes.get("lang", "")
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        elif tag == "main":
            self.mains += 1
        elif tag == "table":
            self.tables.append({"caption": False, "th": False})
            for open_element in self._stack:
                if open_element["tag"] == "figure":
                    open_element["tables"].append(True)
            if attributes.get("id"):
                self.table_ids.add(attributes["id"])
        elif tag == "caption" and self.tables:
            self.tables[-1]["caption"] = True
            if attributes.get("id"):
                self.table_ids.add(attributes["id"])
        elif tag == "th" and self.tables:
            self.tables[-1]["th"] = True
        elif tag == "div" and "alert" in classes:
            self.alerts.append(attributes)
        elif tag == "option" and attributes.get("value") in ("nl", "en"):
            self.options.append(attributes)
        elif tag == "footer":
            self._in_footer = True
        elif tag == "a" and self._in_footer:
            self.footer_links.append(attributes.get("href", ""))
        elif tag == "title" and parent["tag"] == "svg":
            parent["title"] = True
        if tag in ("svg", "img", "canvas") and any("chart" in c for c in classes):
            figure = next((e for e in reversed(self._stack) if e["tag"] == "figure"), None)
            self.charts.append({"attrs": attributes, "figure": figure})
        elif tag == "img" and not element["hidden"]:
            if "alt" not in attributes:
                self.icons.append(f"<img> without alt: {attributes.get('src')}")
            self._add_name(attributes.get("alt", ""))
        elif (
            tag in ("i", "span")
            and not (element["hidden"] or attributes.get("aria-label"))
            and any(
                c in ("bi", "icon", "fa") or c.startswith(("bi-", "icon-", "fa-")) for c in classes
            )
        ):
            self.icons.append(f"<{tag} class={classes}> neither hidden nor named")
        if (
            tag == "input"
            and attributes.get("type") in ("submit", "button", "reset")
            and not (attributes.get("value") or attributes.get("aria-label"))
        ):
            self.unnamed.append(f"<input type={attributes['type']}> without a value")
        for spoken in ("aria-label", "title", "alt", "placeholder"):
            if attributes.get(spoken) and tag not in ("html", "link", "meta"):
                self.texts.append((element["lang"], attributes[spoken]))
        if tag not in VOID:
            self._stack.append(element)

    def _add_name(self, text: str) -> None:
        for open_element in self._stack:
            if open_element["tag"] in ("a", "button"):
                open_element["name"].append(text)

    def handle_endtag(self, tag):
        if tag == "footer":
            self._in_footer = False
        if tag in VOID or not any(e["tag"] == tag for e in self._stack[1:]):
            return
        while (element := self._stack.pop())["tag"] != tag:
            pass
        attributes = element.get("attrs", {})
        if tag in ("a", "button") and not element["hidden"]:
            name = "".join(element["name"]).strip()
            labelled = attributes.get("aria-label") or attributes.get("aria-labelledby")
            if not (name or labelled or attributes.get("title")):
                self.unnamed.append(f"<{tag} {attributes}> without a name")
            if glyphs := GLYPHS.findall(name):
                self.spoken_glyphs.append(f"{''.join(glyphs)} in <{tag}> {name!r}")
        elif (
            tag == "svg"
            and not element["hidden"]
            and not any("chart" in c for c in (attributes.get("class") or "").split())
        ):
            if not (
                element["title"]
                or attributes.get("aria-label")
                or attributes.get("aria-labelledby")
            ):
                self.icons.append("<svg> neither hidden nor named")
            self._add_name("icon" if element["title"] else "")

    def handle_data(self, data):
        if self._stack[-1]["tag"] in ("script", "style") or not data.strip():
            return
        if not self._stack[-1]["hidden"]:
            self._add_name(data)
        self.texts.append((self._stack[-1]["lang"], data))


def _in_other_language(texts: list[tuple[str, str]]) -> list[str]:
    """Fixed text of the one language on a page in the other, without a lang that says so."""
    found = []
    for lang, text in texts:
        bare = GLYPHS.sub("", " ".join(text.split())).strip(" :.·–")
        if lang.startswith("nl"):
            english = set(_WORD.findall(bare.lower())) & ENGLISH_WORDS
            if bare in ENGLISH_TEXTS or len(english) >= 2:
                found.append(f"English text without lang=en: {bare!r}")
        elif lang.startswith("en") and bare in DUTCH_TEXTS:
            found.append(f"Dutch text without lang=nl: {bare!r}")
    return found


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
    for chart in page.charts:
        described = {
            *(chart["attrs"].get("aria-describedby") or "").split(),
            *(chart["attrs"].get("aria-details") or "").split(),
        }
        beside = chart["figure"] is not None and chart["figure"]["tables"]
        if not (beside or described & page.table_ids):
            found.append(f"chart without its figures as a table: {chart['attrs']}")
    found += page.icons + page.unnamed
    found += [f"icon read out: {glyph}" for glyph in page.spoken_glyphs]
    found += _in_other_language(page.texts)
    return found


def test_every_page_of_every_role_has_a_structure_a_screen_reader_can_follow(ctx, app, make_client):
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
    # What the crawl checks, and what it cannot: the language of what people write.
    assert "in het Engels op de breedte van een telefoon" in page
    assert "is niet gemarkeerd met zijn taal" in page
    assert 'href="mailto:beheer@gemeente.example"' in page
    assert 'datetime="2026-12-04"' in page
    client.post("/language", {"language": "en", "next": "/accessibility"})
    page = client.get("/accessibility").get_data(as_text=True)
    assert "Accessibility statement" in page and "B: partially compliant" in page
    assert "What does not comply yet" in page and "Report a barrier" in page
    assert "in English at phone width" in page and "not marked with its language" in page


def test_the_statement_names_the_configured_contact_address(app, client):
    app.config["ACCESSIBILITY_CONTACT"] = "toegankelijkheid@gemeente.example"
    try:
        page = client.get("/accessibility").get_data(as_text=True)
    finally:
        app.config["ACCESSIBILITY_CONTACT"] = None
    assert 'href="mailto:toegankelijkheid@gemeente.example"' in page


def _page(language: str, body: str) -> str:
    return (
        f'<html lang="{language}"><body><main><h1>Pagina</h1>{body}</main>'
        '<footer><a href="/accessibility">Toegankelijkheid</a></footer></body></html>'
    )


CHART = '<svg class="theme-chart" role="img" aria-label="Scores"><rect/></svg>'
TABLE = '<table id="figures"><caption>Scores</caption><tr><th>Thema</th></tr></table>'


@pytest.mark.parametrize(
    ("language", "body", "problem"),
    [
        ("nl", CHART + TABLE, "chart without its figures as a table"),
        ("nl", f"<figure>{CHART}</figure>{TABLE}", "chart without its figures as a table"),
        ("nl", '<a href="/x"><svg><path/></svg></a>', "<svg> neither hidden nor named"),
        ("nl", '<a href="/x"><svg aria-hidden="true"><path/></svg></a>', "without a name"),
        ("nl", '<a href="/x"><img src="i.png"></a>', "<img> without alt"),
        ("nl", '<button><i class="bi bi-trash"></i></button>', "neither hidden nor named"),
        ("nl", '<a href="/x">← Terug</a>', "icon read out: ←"),
        ("nl", '<a href="/x">Volgende →</a>', "icon read out: →"),
        ("nl", '<input type="submit" value="">', "without a value"),
        ("nl", "<p>Log in</p>", "English text without lang=en: 'Log in'"),
        ("nl", '<input aria-label="Search the list of actions">', "English text without lang=en"),
        ("nl", "<p>Read this before the meeting</p>", "English text without lang=en"),
        ("en", "<p>Inloggen</p>", "Dutch text without lang=nl: 'Inloggen'"),
    ],
)
def test_each_rule_finds_what_a_screen_reader_would_miss(language, body, problem):
    assert any(problem in found for found in _problems(_page(language, body), "x"))


@pytest.mark.parametrize(
    ("language", "body"),
    [
        ("nl", f"<figure>{CHART}{TABLE}</figure>"),
        ("nl", CHART.replace("<svg ", '<svg aria-describedby="figures" ') + TABLE),
        ("nl", '<a href="/x"><svg aria-hidden="true"><path/></svg> Verwijderen</a>'),
        ("nl", '<a href="/x"><svg><title>Verwijderen</title></svg></a>'),
        ("nl", '<a href="/x"><img src="i.png" alt="Verwijderen"></a>'),
        ("nl", '<button><i class="bi bi-trash" aria-hidden="true"></i> Weg</button>'),
        ("nl", '<a href="/x"><span aria-hidden="true">←</span> Terug</a>'),
        ("nl", '<p lang="en">Log in</p><p>Agenda</p>'),
        ("en", '<p lang="nl">Inloggen</p><p>Log in</p>'),
    ],
)
def test_what_a_screen_reader_can_follow_passes(language, body):
    assert _problems(_page(language, body), "x") == []
