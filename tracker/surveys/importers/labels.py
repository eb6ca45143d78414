"""Answer labels and numbers: what an answer cell means.

Classification is cached per distinct raw string, so the (slow-ish)
normalisation runs once per distinct answer, not once per cell.
"""

from __future__ import annotations

import math
import re

# Classes of answers.
BLANK = "blank"
NUMBER = "number"
LIKERT = "likert"  # a 1..5 label
YESNO = "yesno"  # a yes/no label
CUSTOM = "custom"  # mapped by the caller's label map
EXCLUDED = "excluded"  # don't know / not applicable / negative code
UNKNOWN = "unknown"

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00a0": " "})


def normalise(text: str) -> str:
    """Case-, whitespace- and apostrophe-insensitive form of a label."""
    return " ".join(text.translate(_APOSTROPHES).lower().split())


def _compact(label: str) -> str:
    return re.sub(r"[\s.]+", "", label)


def parse_number(text: str) -> float | None:
    """'7', '7.4', '7,4', '1.234,5', ' 8 ' -> float; anything else -> None."""
    s = text.strip().replace("\u00a0", "").replace(" ", "")
    if not s or len(s) > 40:
        return None
    if "," in s:
        if "." in s:  # thousands separators: the last separator is the decimal one
            s = (
                s.replace(".", "").replace(",", ".")
                if s.rfind(",") > s.rfind(".")
                else s.replace(",", "")
            )
        elif s.count(",") == 1:
            s = s.replace(",", ".")
        else:
            return None
    try:
        value = float(s)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_LIKERT_LABELS = {
    # Dutch agreement
    "helemaal mee eens": 5,
    "zeer mee eens": 5,
    "helemaal eens": 5,
    "volledig mee eens": 5,
    "mee eens": 4,
    "eens": 4,
    "neutraal": 3,
    "niet mee eens, niet mee oneens": 3,
    "niet eens, niet oneens": 3,
    "niet mee eens/niet mee oneens": 3,
    "niet mee eens / niet mee oneens": 3,
    "niet eens/niet oneens": 3,
    "noch eens, noch oneens": 3,
    "neither agree nor disagree": 3,
    "mee oneens": 2,
    "oneens": 2,
    "niet mee eens": 2,
    "helemaal mee oneens": 1,
    "zeer mee oneens": 1,
    "helemaal oneens": 1,
    "helemaal niet mee eens": 1,
    "volledig mee oneens": 1,
    # Dutch satisfaction
    "zeer tevreden": 5,
    "heel tevreden": 5,
    "tevreden": 4,
    "niet tevreden, niet ontevreden": 3,
    "niet tevreden/niet ontevreden": 3,
    "niet tevreden / niet ontevreden": 3,
    "noch tevreden, noch ontevreden": 3,
    "ontevreden": 2,
    "niet tevreden": 2,
    "zeer ontevreden": 1,
    "heel ontevreden": 1,
    # Dutch quality and frequency
    "zeer goed": 5,
    "goed": 4,
    "slecht": 2,
    "zeer slecht": 1,
    "altijd": 5,
    "meestal": 4,
    "vaak": 4,
    "soms": 3,
    "zelden": 2,
    "nooit": 1,
    # English agreement
    "strongly agree": 5,
    "agree": 4,
    "somewhat agree": 4,
    "neither agree or disagree": 3,
    "neutral": 3,
    "somewhat disagree": 2,
    "disagree": 2,
    "strongly disagree": 1,
    # English satisfaction
    "very satisfied": 5,
    "extremely satisfied": 5,
    "satisfied": 4,
    "somewhat satisfied": 4,
    "neither satisfied nor dissatisfied": 3,
    "somewhat dissatisfied": 2,
    "dissatisfied": 2,
    "very dissatisfied": 1,
    "extremely dissatisfied": 1,
    # English quality and frequency
    "very good": 5,
    "good": 4,
    "neither good nor bad": 3,
    "bad": 2,
    "very bad": 1,
    "always": 5,
    "most of the time": 4,
    "often": 4,
    "usually": 4,
    "sometimes": 3,
    "rarely": 2,
    "seldom": 2,
    "never": 1,
}

_YESNO_LABELS = {
    "ja": 1,
    "nee": 0,
    "yes": 1,
    "no": 0,
    "y": 1,
    "n": 0,
    "true": 1,
    "false": 0,
    "waar": 1,
    "onwaar": 0,
}

_EXCLUDED_LABELS = {
    "weet niet",
    "weet ik niet",
    "ik weet het niet",
    "weet niet / geen mening",
    "weet niet/geen mening",
    "n.v.t.",
    "nvt",
    "niet van toepassing",
    "geen mening",
    "geen antwoord",
    "geen ervaring",
    "geen ervaring mee",
    "wil ik niet zeggen",
    "zeg ik liever niet",
    "liever niet",
    "not applicable",
    "n/a",
    "na",
    "n.a.",
    "#n/a",
    "nan",
    "null",
    "-",
    "don't know",
    "do not know",
    "dont know",
    "not sure",
    "no opinion",
    "no answer",
    "no basis for evaluation",
    "prefer not to answer",
    "prefer not to say",
}
_EXCLUDED_COMPACT = {_compact(label) for label in _EXCLUDED_LABELS}

# "5 - Helemaal mee eens", "10 (uitstekend)", "1 = zeer slecht": the leading number counts.
# A letter must follow, so ranges such as "18-29" stay unknown.
_LEADING_NUMBER = re.compile(r"^(\d{1,2})(?:\s*[-=.:)(]\s*|\s+)(?=[^\W\d_])")


def is_excluded_label(text: str) -> bool:
    label = normalise(text)
    return label in _EXCLUDED_LABELS or _compact(label) in _EXCLUDED_COMPACT


class Classifier:
    """Maps a raw answer string to (class, number). Cached per raw string."""

    def __init__(self, label_map: dict | None = None):
        self.custom: dict[str, float | None] = {}
        for label, value in (label_map or {}).items():
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float))
            ):
                raise ValueError(f"label_map value for {label!r} must be a number or None")
            self.custom[normalise(str(label))] = None if value is None else float(value)
        self._cache: dict[str, tuple[str, float | None]] = {}

    def __call__(self, raw: str) -> tuple[str, float | None]:
        hit = self._cache.get(raw)
        if hit is None:
            hit = self._cache[raw] = self._classify(raw)
        return hit

    def _classify(self, raw: str) -> tuple[str, float | None]:
        label = normalise(raw)
        if not label:
            return BLANK, None
        if label in self.custom:
            value = self.custom[label]
            return (EXCLUDED, None) if value is None else (CUSTOM, value)
        number = parse_number(label)
        if number is not None:
            # Negative codes are how Qualtrics numeric exports mark "not applicable".
            return (EXCLUDED, None) if number < 0 else (NUMBER, number)
        if label in _LIKERT_LABELS:
            return LIKERT, float(_LIKERT_LABELS[label])
        if label in _YESNO_LABELS:
            return YESNO, float(_YESNO_LABELS[label])
        if label in _EXCLUDED_LABELS or _compact(label) in _EXCLUDED_COMPACT:
            return EXCLUDED, None
        match = _LEADING_NUMBER.match(label)
        if match:
            return NUMBER, float(match.group(1))
        return UNKNOWN, None
