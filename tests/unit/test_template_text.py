"""Every word a template shows goes through gettext, so it is in the reader's language; a word
that stays the same in both languages (an example file's Dutch headers, a mail header's
name) is marked with its `lang`, so a screen reader pronounces it in that language (issue 20
point 3, WCAG 3.1.2). The crawled pages are checked for fixed text of the other language by
tests/functional/test_page_structure.py; this finds what the catalogue does not hold."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: Units and format names, the same in every language.
SAME_IN_EVERY_LANGUAGE = {"kB", "Atom"}
_JINJA = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_WORD = re.compile(r"[^\W\d_]{2,}")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class FixedText(HTMLParser):
    """The words of a template outside Jinja, with whether an element's lang marks them."""

    def __init__(self):
        super().__init__()
        self.unmarked: list[str] = []
        self._stack: list[tuple[str, bool]] = [("", False)]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        marked = self._stack[-1][1] or bool((attributes.get("lang") or "").strip())
        if tag != "link":
            for spoken in ("aria-label", "title", "alt", "placeholder"):
                self._words(attributes.get(spoken) or "", marked)
        if tag not in VOID:
            self._stack.append((tag, marked))

    def handle_endtag(self, tag):
        if any(open_tag == tag for open_tag, _marked in self._stack[1:]):
            while self._stack.pop()[0] != tag:
                pass

    def handle_data(self, data):
        if self._stack[-1][0] not in ("script", "style"):
            self._words(data, self._stack[-1][1])

    def _words(self, text: str, marked: bool) -> None:
        if not marked:
            self.unmarked += [w for w in _WORD.findall(text) if w not in SAME_IN_EVERY_LANGUAGE]


def _unmarked_words(source: str) -> list[str]:
    parser = FixedText()
    parser.feed(_JINJA.sub(" ", source))
    return parser.unmarked


@pytest.mark.parametrize(
    "template",
    sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")),
)
def test_every_word_of_a_template_is_translated_or_marked_with_its_language(template):
    assert _unmarked_words((TEMPLATES / template).read_text()) == []


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("<th>naam</th>", ["naam"]),
        ('<p title="Volg ons">{{ _("x") }}</p>', ["Volg", "ons"]),
        ('<thead lang="nl"><th>naam</th></thead><td>rol</td>', ["rol"]),
        ("<p>{{ _('Name') }} ({{ size }} kB) &lt;{{ mail }}&gt;</p>", []),
        ('<html lang="{{ current_locale }}"><p>Welkom</p></html>', ["Welkom"]),
    ],
)
def test_the_check_finds_fixed_words(source, words):
    assert _unmarked_words(source) == words
