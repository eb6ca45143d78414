"""Garbage in: only SurveyFileError may come out (ScaleUnknown is one)."""

from __future__ import annotations

import random

import pytest

from tracker.surveys.importers import ParsedSurvey, SurveyFileError, detect, parse

from .helpers import ALL_REAL, DATA, xlsx_bytes

OWN = sorted(p for p in DATA.iterdir() if p.is_file() and p.suffix in (".csv", ".tsv"))


def _try(data: bytes, filename: str) -> None:
    for call in (lambda: detect(data, filename), lambda: parse(data, filename)):
        try:
            result = call()
        except SurveyFileError as exc:
            assert str(exc)  # a message the user can read
        else:
            assert result is not None
            if isinstance(result, ParsedSurvey):
                assert result.respondents >= 0


def test_random_bytes():
    rng = random.Random(1)
    for _ in range(300):
        data = rng.randbytes(rng.randint(0, 3000))
        _try(data, rng.choice(["x.csv", "x.xlsx", "x"]))


def test_random_printable_text():
    rng = random.Random(2)
    alphabet = "abc ,;\t\"'\r\n0123456789-.%éë{}[]\x00"
    for _ in range(300):
        _try(
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 800))).encode("utf-8"),
            "x.csv",
        )


@pytest.mark.parametrize("path", ALL_REAL + OWN, ids=lambda p: p.name)
def test_truncated_and_mutated_exports(path):
    data = path.read_bytes()
    rng = random.Random(path.name)
    for cut in sorted({int(len(data) * k / 25) for k in range(26)}):
        _try(data[:cut], path.name)
    for _ in range(40):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        _try(bytes(mutated), path.name)


def test_truncated_and_mutated_xlsx():
    data = xlsx_bytes([["afdeling", "vraag", "score", "n"], ["ICT", "Snel geholpen", 3.5, 20]] * 3)
    rng = random.Random(3)
    for cut in range(0, len(data), max(1, len(data) // 60)):
        _try(data[:cut], "x.xlsx")
    for _ in range(80):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 10)):
            mutated[rng.randrange(30, len(mutated))] = rng.randrange(256)
        _try(bytes(mutated), "x.xlsx")
