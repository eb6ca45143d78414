"""Word documents (.docx) that look right in Word and LibreOffice, shared by every area.

`new_document()` gives an A4 document with 2 cm margins in the reader's language (nl-NL, or
en-GB for an English interface: in the default run properties, the theme font language and
the document properties), its title, subject, author and dates filled in, the organisation
and the title in the header and "page x of y" in the footer. Headings use Word's own
Heading 1/2 (the navigation pane lists them). `add_table()` writes a table whose columns
have fixed widths that fit the page: narrow columns (numbers, dates, status) as wide as
their content, text columns sharing the rest, none narrower than its longest word, so no
word is broken inside a cell. The header row repeats on every page and no row is split
across two pages.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor, Twips
from flask_babel import get_locale
from flask_babel import gettext as _

from tracker.formatting import xml_text

#: The language tag written into a document, per interface language.
LANGUAGES = {"nl": "nl-NL", "en": "en-GB"}

#: A4 (21 x 29.7 cm) and 2 cm margins as Word writes them, in twentieths of a point.
PAGE_WIDTH = Twips(11906)
PAGE_HEIGHT = Twips(16838)
MARGIN = Twips(1134)
#: The width between the margins, in twips (Word's table unit): 17 cm.
TEXT_WIDTH = 11906 - 2 * 1134
#: Word's default left and right cell margins (0.19 cm each), in twips.
CELL_PADDING = 2 * 108
FONT = "Calibri"
BODY_SIZE = 11
TABLE_SIZE = 10
TABLE_STYLE = "Table Text"
HEADER_FILL = "DCE6F2"


def clean(text) -> str:
    """Text as a document can hold it: no control characters, line ends as \\n."""
    return xml_text(text)


def language_tag(locale: str | None = None) -> str:
    """nl-NL for Dutch (the default), en-GB for English."""
    language = (locale or str(get_locale() or "nl")).split("_")[0].split("-")[0]
    return LANGUAGES.get(language, LANGUAGES["nl"])


# --- The document -------------------------------------------------------------------------


def new_document(
    *,
    title: str,
    subject: str,
    organisation: str,
    author: str | None = None,
    now: datetime,
    language: str | None = None,
):
    """An empty A4 document with its properties, styles, header and footer set."""
    language = language or language_tag()
    document = Document()
    _set_language(document, language)
    _set_styles(document)
    section = document.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin = section.right_margin = MARGIN
    section.top_margin = section.bottom_margin = MARGIN
    section.header_distance = section.footer_distance = Cm(1)
    _header(section, organisation, title)
    _footer(section)
    moment = now.astimezone(timezone.utc).replace(tzinfo=None)
    properties = document.core_properties
    properties.title = clean(title)
    properties.subject = clean(subject)
    properties.author = clean(author or organisation)
    properties.last_modified_by = clean(author or organisation)
    properties.created = properties.modified = moment
    properties.language = language
    properties.revision = 1
    properties.comments = ""
    properties.keywords = ""
    properties.category = ""
    return document


def to_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def heading(document, text: str, level: int):
    """A paragraph in Word's Heading 1 or Heading 2 style (listed in the navigation pane)."""
    return _styled(document, text, f"Heading {level}")


def paragraph(document, text: str = ""):
    """A body paragraph."""
    return document.add_paragraph(clean(text))


def bullet(document, text: str):
    """A paragraph of Word's bulleted list style."""
    return _styled(document, text, "List Bullet")


def _styled(document, text: str, style: str):
    p = document.add_paragraph(clean(text))
    p._p.get_or_add_pPr().style = _style_id(document, style)
    return p


def _set_language(document, language: str) -> None:
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = run_defaults.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        run_defaults.append(lang)
    lang.set(qn("w:val"), language)
    settings = document.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is None:
        theme_lang = OxmlElement("w:themeFontLang")
        settings.append(theme_lang)
    theme_lang.set(qn("w:val"), language)
    dutch = language.startswith("nl")
    for name, value in (("w:decimalSymbol", "," if dutch else "."), ("w:listSeparator", ";")):
        element = settings.find(qn(name))
        if element is not None:
            element.set(qn("w:val"), value)
    # The template also carries Word 2010's copy of the styles; keep it in step.
    for part in document.part.package.parts:
        if str(part.partname).endswith("/stylesWithEffects.xml"):
            part._blob = part.blob.replace(
                b'<w:lang w:val="en-US"', f'<w:lang w:val="{language}"'.encode()
            )


def _set_styles(document) -> None:
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_SIZE)
    normal.paragraph_format.space_after = Pt(6)
    for name, size in (("Heading 1", 16), ("Heading 2", 13)):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x68)
        style.paragraph_format.space_before = Pt(12 if size > 13 else 10)
        style.paragraph_format.space_after = Pt(4)
        style.paragraph_format.keep_with_next = True
    table_text = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    table_text.quick_style = True
    table_text.font.size = Pt(TABLE_SIZE)
    table_text.paragraph_format.space_after = Pt(2)
    table_text.paragraph_format.line_spacing = 1.0
    for name in ("Header", "Footer"):
        style = styles[name]
        style.font.size = Pt(9)
        style.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
        tabs = style.paragraph_format.tab_stops
        tabs.clear_all()
        tabs.add_tab_stop(Twips(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)


def _header(section, organisation: str, title: str) -> None:
    p = section.header.paragraphs[0]
    p.add_run(clean(organisation)).bold = True
    p.add_run("\t" + clean(title))


def _footer(section) -> None:
    """ "Page x of y": the translated sentence around Word's PAGE and NUMPAGES fields."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    marker = "\x00"
    sentence = _(
        "Page %(page)s of %(pages)s",
        page=f"{marker}PAGE{marker}",
        pages=f"{marker}NUMPAGES{marker}",
    )
    for number, part in enumerate(sentence.split(marker)):
        if number % 2:
            _field(p, part)
        elif part:
            p.add_run(part)


def _field(p, instruction: str) -> None:
    """A complex field (begin, instruction, separate, shown value, end): Word and
    LibreOffice both compute it when they lay out the page."""

    def run(child):
        r = OxmlElement("w:r")
        r.append(child)
        p._p.append(r)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run(separate)
    shown = OxmlElement("w:t")
    shown.text = "1"
    run(shown)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run(end)


# --- Tables -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A table column. `weight` 0: as wide as its content needs (numbers, dates, status,
    names); otherwise a text column taking that share of the width left over. `nowrap`:
    the whole value stays on one line (a date), not just each word."""

    header: str
    weight: float = 0
    nowrap: bool = False
    #: The narrowest the column may be, in cm.
    min_cm: float = 0
    #: The widest a fitted column may be, in cm.
    max_cm: float = 5


@dataclass(frozen=True)
class Line:
    """One paragraph inside a cell."""

    text: str
    bold: bool = False
    italic: bool = False


Cell = str | Line | Sequence[str | Line] | None

# Advance widths of Calibri (units per em / 1000), by character class; other characters
# count as a wide lower-case letter. An estimate on the safe side: a column is never
# narrower than its longest word needs in Calibri (or Carlito, its metric twin).
_NARROW = set("ijl.,;:'!|()[]{}/ ")
_SMALL = set('frt-"*')
_WIDE = set("mwMW%@")


def _char_width(char: str) -> float:
    if char in _NARROW:
        return 0.26
    if char in _SMALL:
        return 0.35
    if char in _WIDE:
        return 0.86
    if char.isdigit():
        return 0.51
    if char.isupper():
        return 0.62
    return 0.53


@functools.lru_cache(maxsize=8192)
def text_twips(text: str, size: float = TABLE_SIZE, bold: bool = False) -> int:
    """The width `text` takes on one line, in twips (with a margin for bold and rounding).
    Kept per text: the same words come back on every row of a long agenda."""
    em = sum(_char_width(c) for c in text)
    return round(em * size * 20 * (1.1 if bold else 1.05))


def _lines(value: Cell) -> list[Line]:
    """A cell's paragraphs: one per line of each text, the text cleaned."""
    if value is None:
        return []
    if isinstance(value, (str, Line)):
        value = [value]
    lines = []
    for entry in value:
        if isinstance(entry, Line):
            text, bold, italic = clean(entry.text), entry.bold, entry.italic
        else:
            text, bold, italic = clean(entry), False, False
        if "\n" in text:
            lines += [Line(part, bold, italic) for part in text.split("\n")]
        else:
            lines.append(Line(text, bold, italic))
    return lines


def column_widths(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> list[int]:
    """Widths in twips that add up to the text width: fitted columns as wide as their
    content (within min_cm and max_cm), text columns share the rest by weight; no column
    narrower than its longest word, as long as the page allows."""
    return _column_widths(columns, [[_lines(value) for value in row] for row in rows])


def _column_widths(columns: Sequence[Column], rows: Sequence[Sequence[list[Line]]]) -> list[int]:
    need_word = []
    need_whole = []
    for index, column in enumerate(columns):
        words = [text_twips(w, bold=True) for w in column.header.split()] or [0]
        whole = [text_twips(column.header, bold=True)] if column.nowrap else [0]
        for row in rows:
            for line in row[index]:
                words += [text_twips(w, bold=line.bold) for w in line.text.split()]
                if column.nowrap:
                    whole.append(text_twips(line.text, bold=line.bold))
        need_word.append(max(words) + CELL_PADDING)
        need_whole.append(max(whole) + CELL_PADDING)
    widths = [0] * len(columns)
    for index, column in enumerate(columns):
        if not column.weight:
            wanted = max(need_word[index], need_whole[index], round(column.min_cm * 567))
            widths[index] = min(wanted, max(round(column.max_cm * 567), need_word[index]))
    flexible = [i for i, c in enumerate(columns) if c.weight]
    fixed_total = sum(widths)
    # Text columns share what is left; one whose longest word does not fit its share gets
    # what that word needs, and the others share the rest.
    settled: dict[int, int] = {}
    while True:
        free = TEXT_WIDTH - fixed_total - sum(settled.values())
        open_ = [i for i in flexible if i not in settled]
        weight = sum(columns[i].weight for i in open_) or 1
        shares = {i: free * columns[i].weight / weight for i in open_}
        short = [i for i in open_ if need_word[i] > shares[i]]
        if not short:
            break
        for i in short:
            settled[i] = need_word[i]
    for i in flexible:
        widths[i] = round(settled.get(i, shares.get(i, 0)))
    total = sum(widths)
    if total > TEXT_WIDTH:
        # More than the page holds: shrink every column alike (long words may then break).
        widths = [round(w * TEXT_WIDTH / total) for w in widths]
    # Rounding: the last column takes up the difference, so the table is exactly as wide
    # as the text.
    widths[-1] += TEXT_WIDTH - sum(widths)
    return widths


def add_table(document, columns: Sequence[Column], rows: Iterable[Sequence[Cell]]) -> None:
    """A table as wide as the text: fixed layout, the column widths in the grid and in every
    cell, the header row repeated on each page, rows never split over two pages."""
    rows = [[_lines(value) for value in row] for row in rows]
    widths = _column_widths(columns, rows)
    grid = "".join(f'<w:gridCol w:w="{twips}"/>' for twips in widths)
    style = escape(_style_id(document, TABLE_STYLE), _QUOTE)
    header = [[Line(c.header, bold=True)] for c in columns]
    xml = [
        f"<w:tbl {nsdecls('w')}><w:tblPr>"
        f'<w:tblStyle w:val="{escape(_style_id(document, "Table Grid"), _QUOTE)}"/>'
        f'<w:tblW w:w="{TEXT_WIDTH}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
        '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" '
        'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/>'
        f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>",
        _row_xml(header, widths, style, header=True),
        *(_row_xml(row, widths, style) for row in rows),
        "</w:tbl>",
    ]
    # Written as text and parsed once: python-docx's add_table, add_row and cell.text (or an
    # element per node) take far longer on agendas of hundreds of items.
    _append(document, parse_xml("".join(xml)))


def _append(document, element) -> None:
    """Add a block (paragraph or table) at the end of the body, before its section."""
    body = document.element.body
    section = body.find(qn("w:sectPr"))
    if section is None:
        body.append(element)
    else:
        section.addprevious(element)


def _style_id(document, name: str) -> str:
    """The id of a style by its name (python-docx's own lookup reads every style for each
    paragraph: too slow for long documents)."""
    return document.styles[name].style_id


_QUOTE = {'"': "&quot;"}


def _row_xml(cells: Sequence[list[Line]], widths: Sequence[int], style: str, header=False) -> str:
    """One <w:tr>: kept on one page, repeated at the top of each page if it is the header."""
    properties = "<w:cantSplit/><w:tblHeader/>" if header else "<w:cantSplit/>"
    shading = f'<w:shd w:val="clear" w:color="auto" w:fill="{HEADER_FILL}"/>' if header else ""
    keep = "<w:keepNext/>" if header else ""
    parts = [f"<w:tr><w:trPr>{properties}</w:trPr>"]
    for lines, twips in zip(cells, widths):
        parts.append(f'<w:tc><w:tcPr><w:tcW w:w="{twips}" w:type="dxa"/>{shading}</w:tcPr>')
        for line in lines or [Line("")]:
            parts.append(f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{keep}</w:pPr>')
            if line.text:
                looks = ("<w:b/>" if line.bold else "") + ("<w:i/>" if line.italic else "")
                parts.append(
                    f"<w:r>{f'<w:rPr>{looks}</w:rPr>' if looks else ''}"
                    f'<w:t xml:space="preserve">{escape(line.text)}</w:t></w:r>'
                )
            parts.append("</w:p>")
        parts.append("</w:tc>")
    parts.append("</w:tr>")
    return "".join(parts)
