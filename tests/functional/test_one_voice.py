"""Every page, as every role, in both languages, speaks in one voice (issue 15 point 10):
no internal codes, no seconds or time zone names, right plurals, and in Dutch je/jullie."""

import html
import re
from collections import deque

import pytest
from sqlalchemy import select

from tracker import demo
from tracker.extensions import db
from tracker.surveys.models import Question

ROLES = [
    "admin@demo.example",
    "director@demo.example",
    "owner@demo.example",
    "employee@demo.example",
]
# Not pages to read: leaving, files, and links that change something on GET.
SKIP = re.compile(
    r"/logout|/static/|\.(csv|xlsx|docx|ics|pdf|png|svg|xml)\b|/export|/download|/poster"
    r"|/calendar/|/feed|/metrics|/health|/scim/|/u/|/language"
)
SECONDS = re.compile(r"\b\d{1,2}:\d\d:\d\d\b")
ZONES = re.compile(
    r"standaardtijd|zomertijd|Standard Time|Summer Time|Central European|\bCET\b|\bCEST\b"
)
SNAKE = re.compile(r"(?<![\w@./-])[a-z]+(?:_[a-z]+)+(?![\w@./-])")
CODES = re.compile(
    r"\b(yesno|likert5|grade10|Outbox|outbox)\b"
    r"|\b[a-z]+\.(created|changed|deleted|added|removed|succeeded|failed|deactivated|reactivated)\b"
)
ONE = re.compile(
    r"(?<![\d,.])1 (reacties|acties|afdelingen|opmerkingen|bevindingen|dagen|respondenten"
    r"|berichten|kolommen|antwoorden|collega's|actions|reactions|departments|comments"
    r"|findings|days|respondents|messages|records|columns|answers|colleagues)\b"
)
FORMAL = re.compile(r"\b(u|uw|Uw|U)\b")


def _visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles, tags or attribute values."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


def _pattern(url: str) -> str:
    """One page per endpoint and argument pattern: ids and values become placeholders."""
    path, _, query = url.partition("?")
    keys = sorted(part.split("=")[0] for part in query.split("&") if part)
    return re.sub(r"\d+", "N", path) + "?" + "&".join(keys)


def _crawl(client, limit: int = 90):
    seen, queue, pages = set(), deque(["/"]), []
    while queue and len(pages) < limit:
        url = queue.popleft()
        pattern = _pattern(url)
        if pattern in seen:
            continue
        seen.add(pattern)
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            location = response.headers["Location"]
            if location.startswith("/") and not SKIP.search(location):
                queue.append(location)
            continue
        if response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        pages.append((url, page))
        for href in re.findall(r'href="(/[^"#]*)"', page):
            href = html.unescape(href)
            if not SKIP.search(href) and _pattern(href) not in seen:
                queue.append(href)
    return pages


def _problems(text: str, lang: str, quoted: list[str]) -> list[str]:
    found = []
    for name, pattern in (
        ("seconds", SECONDS),
        ("time zone", ZONES),
        ("code", SNAKE),
        ("code", CODES),
        ("plural", ONE),
    ):
        found += [f"{name}: {m.group(0)!r}" for m in pattern.finditer(text)]
    if lang == "nl":
        for question in quoted:
            text = text.replace(question, " ")
        found += [f"formal: {m.group(0)!r}" for m in FORMAL.finditer(text)]
    return found


@pytest.fixture
def demo_world(ctx):
    """The demo municipality; returns the survey's own question texts, which pages quote as
    they were asked (the questionnaire may say "u": that is not the tracker speaking)."""
    demo.load()
    return sorted(set(db.session.scalars(select(Question.text))), key=len, reverse=True)


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("email", ROLES)
def test_every_page_speaks_in_one_voice(demo_world, make_client, email, lang):
    client = make_client()
    client.post("/language", {"language": lang, "next": "/"})
    client.login(email, demo.PASSWORD)
    pages = _crawl(client)
    assert len(pages) >= 5, [url for url, _ in pages]
    problems = {}  # problem -> the first page that shows it
    for url, page in pages:
        for found in _problems(_visible_text(page), lang, demo_world):
            problems.setdefault(found, url)
    assert problems == {}, "\n".join(f"{p} on {u}" for p, u in sorted(problems.items()))
