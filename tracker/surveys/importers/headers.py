"""Header rows of raw-response exports: columns, metadata, department hints.

Each tool lays out its header differently; `layout()` turns the first rows
into (number of header rows, columns with key and text).
"""

from __future__ import annotations

import re
from collections import Counter

from flask_babel import lazy_gettext as _l

from .base import ColumnInfo, SurveyFileError
from .labels import UNKNOWN, Classifier, normalise


def norm_header(text: str) -> str:
    return normalise(text.replace("\ufeff", ""))


# Metadata column names (normalised) across tools and languages.
_METADATA = {
    # Qualtrics (keys and legacy names)
    "startdate",
    "enddate",
    "status",
    "ipaddress",
    "progress",
    "duration (in seconds)",
    "finished",
    "recordeddate",
    "responseid",
    "recipientlastname",
    "recipientfirstname",
    "recipientemail",
    "externalreference",
    "externaldatareference",
    "locationlatitude",
    "locationlongitude",
    "locationaccuracy",
    "distributionchannel",
    "userlanguage",
    "responseset",
    "name",
    "emailaddress",
    # SurveyMonkey
    "respondent id",
    "respondentid",
    "respondent-id",
    "collector id",
    "collectorid",
    "collector-id",
    "start date",
    "end date",
    "ip address",
    "email address",
    "first name",
    "last name",
    "begindatum",
    "einddatum",
    "ip-adres",
    "e-mailadres",
    "voornaam",
    "achternaam",
    # Google Forms
    "timestamp",
    "tijdstempel",
    "marca temporal",
    "horodateur",
    "zeitstempel",
    # Microsoft Forms
    "id",
    "start time",
    "completion time",
    "email",
    "last modified time",
    "begintijd",
    "tijd van voltooien",
    "voltooiingstijd",
    "e-mail",
    "naam",
    "tijdstip van laatste wijziging",
    "total points",
    "quiz feedback",
    "totaal aantal punten",
    # LimeSurvey (codes and full texts)
    "response id",
    "date submitted",
    "last page",
    "start language",
    "seed",
    "date started",
    "date last action",
    "referrer url",
    "token",
    "total time",
    "submitdate",
    "lastpage",
    "startlanguage",
    "datestamp",
    "ipaddr",
    "refurl",
    "interviewtime",
    "antwoord id",
    "datum verstuurd",
    "laatste pagina",
    "starttaal",
    "datum gestart",
    "datum laatste actie",
    "totale tijd",
    # Generic
    "ip",
    "date",
    "datum",
    "language",
    "taal",
    "duration",
    "duur",
    "respondent",
}
_METADATA_PATTERNS = re.compile(
    r"^(custom data( \d+)?|aangepaste gegevens( \d+)?|q_\w+|group time:.*|question time:.*"
    r"|grouptime\d+|\w+time$|filecount - .*|points - .*|feedback - .*|punten - .*)$"
    r"|_do$|_(first click|last click|page submit|click count)$"
    r"| - (topics|parent topics|sentiment|sentiment polarity|sentiment score|actionability)$",
)
_METADATA_IMPORT_IDS = re.compile(r"topics|sentiment|actionability|_do$", re.IGNORECASE)


def is_metadata(key: str, text: str) -> bool:
    for name in {norm_header(key), norm_header(text)}:
        if name in _METADATA or _METADATA_PATTERNS.search(name):
            return True
    return False


_SUBLABEL_RESPONSE = {"response", "open-ended response", "antwoord", "open antwoord", "open-ended"}
_TIMESTAMPS = {"timestamp", "tijdstempel", "marca temporal", "horodateur", "zeitstempel"}
_IMPORT_ID = re.compile(r"""^\{\s*["']ImportId["']\s*:\s*["']([^"']*)["']""")


def import_id(cell: str) -> str | None:
    match = _IMPORT_ID.match(cell.strip())
    return match.group(1) if match else None


def is_import_id_row(row: list[str]) -> bool:
    cells = [c for c in row if c.strip()]
    return bool(cells) and sum(1 for c in cells if import_id(c) is not None) >= 0.8 * len(cells)


def _looks_like_date(text: str) -> bool:
    return bool(re.match(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", text))


def _qualtrics_header_rows(head: list[list[str]]) -> int:
    if len(head) > 2 and is_import_id_row(head[2]):
        return 3
    r0 = [norm_header(c) for c in head[0]]
    r1 = head[1] if len(head) > 1 else []
    if r0 and r0[0] == "v1" and "responseid" in {norm_header(c) for c in r1}:
        return 2  # legacy export: V1..V10, then names and question texts
    if "startdate" in r0 and len(r1) > r0.index("startdate"):
        # A second header row repeats labels where data has a date.
        return 1 if _looks_like_date(r1[r0.index("startdate")]) else 2
    return 1


def _surveymonkey_header_rows(head: list[list[str]]) -> int:
    if len(head) > 1 and any(norm_header(c) in _SUBLABEL_RESPONSE for c in head[1]):
        return 2
    return 1


def header_rows_for(fmt: str, head: list[list[str]]) -> int:
    if fmt == "qualtrics":
        return _qualtrics_header_rows(head)
    if fmt == "surveymonkey":
        return _surveymonkey_header_rows(head)
    return 1


def layout(fmt: str, head: list[list[str]]) -> tuple[int, list[ColumnInfo], dict[int, str]]:
    """Header rows, columns, and open-text hints {column index: 'open'}.

    Columns without any header text are left out (e.g. the empty column
    that a trailing comma on every line creates).
    """
    rows = header_rows_for(fmt, head)
    width = max(len(r) for r in head[: max(rows, 1)])
    hdr = [r + [""] * (width - len(r)) for r in head[:rows]]
    columns: list[ColumnInfo] = []
    hints: dict[int, str] = {}
    if fmt == "qualtrics" and rows >= 2:
        legacy = norm_header(hdr[0][0]) == "v1"
        for i in range(width):
            key, text = hdr[0][i].strip(), " ".join(hdr[1][i].split())
            if legacy and re.fullmatch(r"V\d+", key):
                key = text  # V1..V10 are positions; the second row has the names
            qid = import_id(hdr[2][i]) if rows == 3 else None
            if not key:
                continue
            meta = is_metadata(key, text) or bool(qid and _METADATA_IMPORT_IDS.search(qid))
            if qid and qid.upper().endswith("_TEXT"):
                hints[i] = "open"
            columns.append(ColumnInfo(i, key, text or key, meta))
    elif fmt == "surveymonkey" and rows == 2:
        question = ""
        for i in range(width):
            top, sub = " ".join(hdr[0][i].split()), " ".join(hdr[1][i].split())
            question = top or question  # a question spans several columns
            if not question:
                continue
            if top and (not sub or norm_header(sub) in _SUBLABEL_RESPONSE):
                text = top
            else:
                text = f"{question} - {sub}" if sub else question
            if norm_header(sub) in {
                "open-ended response",
                "open antwoord",
                "other (please specify)",
                "anders, namelijk",
            }:
                hints[i] = "open"
            columns.append(ColumnInfo(i, text, text, is_metadata(text, top)))
    else:
        for i in range(width):
            text = " ".join(hdr[0][i].replace("\ufeff", "").split())
            if text:
                columns.append(ColumnInfo(i, text, text, is_metadata(text, text)))
    return rows, columns, hints


def duplicate_error(key: str, text: str, row: int | None = None) -> SurveyFileError:
    return SurveyFileError(
        _l(
            'The column "%(column)s" appears more than once, so its answers are ambiguous. '
            "Give the columns distinct names and upload the file again.",
            column=key,
        ),
        row=row,
        column=text,
    )


# --- Department hints --------------------------------------------------------

# Header words that mark a free-text question.
OPEN_HINT = re.compile(
    r"\b(opmerking\w*|toelichting\w*|toelichten|suggestie\w*|tips?|verbeterpunt\w*|waarom|beschrijf|"
    r"omschrijf|aanvulling\w*|namelijk|comments?|remarks?|suggestions?|explain|why|describe|"
    r"anything else|feedback|please specify)\b"
)

_DEPT_STRONG = re.compile(
    r"\b(afdeling\w*|stafafdeling\w*|department\w*|dienst|diensten|organisatieonderdeel)\b"
)
_DEPT_WEAK = re.compile(
    r"\b(team|teams|service|services|unit|directie|sector|cluster|division|divisie|bureau)\b"
)


def department_candidates(
    columns: list[ColumnInfo], data_rows: list[list[str]], hints: dict[int, str] | None = None
) -> list[ColumnInfo]:
    """Columns that probably hold the department, best first.

    The header must name a department-like word and the answers (when there
    are any) must be short categories, not numbers or scale labels.
    """
    classify = Classifier()
    ranked = []
    for col in columns:
        if col.metadata:
            continue
        header = norm_header(col.text)
        strength = 2 if _DEPT_STRONG.search(header) else 1 if _DEPT_WEAK.search(header) else 0
        if not strength or len(header) > 150:  # a long text merely mentioning "diensten"
            continue
        if (hints or {}).get(col.index) == "open" or OPEN_HINT.search(header):
            continue  # "Tips voor deze afdeling?" is a comment question
        values = [
            r[col.index].strip() for r in data_rows if col.index < len(r) and r[col.index].strip()
        ]
        if data_rows and not values:
            continue
        if values:
            kinds = Counter(classify(v)[0] for v in values)
            distinct = len(set(values))
            mean_len = sum(map(len, values)) / len(values)
            if (
                kinds[UNKNOWN] < 0.8 * len(values)
                or mean_len > 40
                or distinct > max(60, 0.9 * len(values))
            ):
                continue
        bonus = 1 if re.search(r"\b(welke|which|what|wat)\b", header) else 0
        ranked.append((-(strength * 2 + bonus), col.index, col))
    return [col for *_, col in sorted(ranked, key=lambda t: (t[0], t[1]))]


_BLOCK_PREFIX = (
    re.compile(r"^\[(?P<label>[^\]]{1,60})\]\s*(?P<rest>.+)$"),
    re.compile(r"^(?P<label>[^\[\]:\-–|]{1,60}?)\s+[-–|:]\s+(?P<rest>.+)$"),
    re.compile(r"^(?P<label>[^\[\]:\-–|]{1,60}?):\s+(?P<rest>.+)$"),
)


def block_labels(columns: list[ColumnInfo]) -> list[str]:
    """Labels of per-department column blocks such as "ICT - Ik word teruggebeld".

    A label counts when the same question text follows at least two labels.
    """
    by_rest: dict[str, list[str]] = {}
    for col in columns:
        if col.metadata:
            continue
        for pattern in _BLOCK_PREFIX:
            match = pattern.match(col.text)
            if match:
                by_rest.setdefault(normalise(match["rest"]), []).append(match["label"].strip())
                break
    labels: list[str] = []
    for found in by_rest.values():
        if len(set(map(normalise, found))) >= 2:
            for label in found:
                if label not in labels:
                    labels.append(label)
    return labels


def match_block(text: str, labels: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(label, question text) when `text` carries one of the labels.

    `labels` is [(normalised label, label)], longest first. Prefix forms
    "[ICT] q", "ICT - q", "ICT: q", "ICT | q" and suffix forms "q - ICT",
    "q (ICT)", "q [ICT]" are recognised.
    """
    low = normalise(text)
    for norm_label, label in labels:
        if low.startswith("[" + norm_label + "]"):
            return label, _cut_prefix(text, len(norm_label) + 2)
        for sep in (" - ", " – ", ": ", " | ", " -", "- "):
            if low.startswith(norm_label + sep):
                return label, _cut_prefix(text, len(norm_label) + len(sep))
            if low.endswith(sep + norm_label) and sep.startswith(" "):
                return label, _cut_suffix(text, len(norm_label) + len(sep))
        for opening, closing in (("(", ")"), ("[", "]")):
            if low.endswith(opening + norm_label + closing):
                return label, _cut_suffix(text, len(norm_label) + 2)
    return None


def _cut_prefix(text: str, n: int) -> str:
    return normalise_spaces(normalise_spaces(text)[n:])


def _cut_suffix(text: str, n: int) -> str:
    return normalise_spaces(normalise_spaces(text)[:-n])


def normalise_spaces(text: str) -> str:
    return " ".join(text.split())
