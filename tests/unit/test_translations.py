"""Every user-facing string is in the Dutch catalogue and translated."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [
    ("tracker/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}


def _catalogue():
    with open(ROOT / "tracker/translations/nl/LC_MESSAGES/messages.po", "rb") as handle:
        return read_po(handle)


def _source_messages():
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        if filename.startswith(("tests", ".venv", "migrations", "bench")):
            continue
        key = message if isinstance(message, str) else message[0]
        found[key] = filename
    return found


def test_every_string_in_the_code_is_in_the_dutch_catalogue():
    catalogue = _catalogue()
    missing = {m: f for m, f in _source_messages().items() if m not in catalogue}
    assert missing == {}, "run `make messages` and translate the new strings"


def test_every_dutch_translation_is_filled_in_and_not_fuzzy():
    untranslated = [
        m.id
        for m in _catalogue()
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in _catalogue() if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_placeholders_survive_translation():
    import re

    placeholder = re.compile(r"%\((\w+)\)[sd]")
    wrong = [
        m.id
        for m in _catalogue()
        if m.id
        and isinstance(m.id, str)
        and sorted(placeholder.findall(m.id)) != sorted(placeholder.findall(m.string))
    ]
    assert wrong == []


def test_dutch_speaks_to_colleagues_informally():
    """One register, the one "Jullie zeiden, wij deden" sets: je/jij/jullie, never u/uw."""
    import re

    formal = re.compile(r"\b(u|uw|uzelf)\b", re.IGNORECASE)
    found = [
        text
        for message in _catalogue()
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
        if text and formal.search(text)
    ]
    assert found == []
