"""Answer labels and numbers."""

from __future__ import annotations

import pytest

from tracker.surveys.importers.labels import (
    CUSTOM,
    EXCLUDED,
    LIKERT,
    NUMBER,
    UNKNOWN,
    YESNO,
    Classifier,
    is_excluded_label,
    parse_number,
)


@pytest.mark.parametrize(
    "label, value",
    [
        ("Helemaal mee eens", 5),
        ("helemaal  MEE eens ", 5),
        ("Mee eens", 4),
        ("Neutraal", 3),
        ("Niet mee eens, niet mee oneens", 3),
        ("Mee oneens", 2),
        ("Helemaal mee oneens", 1),
        ("Zeer tevreden", 5),
        ("Tevreden", 4),
        ("Ontevreden", 2),
        ("Zeer ontevreden", 1),
        ("Strongly agree", 5),
        ("Agree", 4),
        ("Neither agree nor disagree", 3),
        ("Disagree", 2),
        ("Strongly disagree", 1),
        ("Very satisfied", 5),
        ("Very dissatisfied", 1),
        ("Altijd", 5),
        ("Nooit", 1),
    ],
)
def test_likert_labels(label, value):
    assert Classifier()(label) == (LIKERT, float(value))


@pytest.mark.parametrize("label, value", [("Ja", 1), ("nee", 0), ("Yes", 1), ("NO", 0)])
def test_yes_no_labels(label, value):
    assert Classifier()(label) == (YESNO, float(value))


@pytest.mark.parametrize(
    "label",
    [
        "Weet niet",
        "weet ik niet",
        "n.v.t.",
        "nvt",
        "N.V.T",
        "n.v.t",
        "geen mening",
        "not applicable",
        "N/A",
        "don't know",
        "Don\u2019t know",
        "No basis for evaluation",
        "-1",
        "-99",
        "prefer not to answer",
        "NA",
        "nan",
    ],
)
def test_excluded_answers(label):
    assert Classifier()(label)[0] == EXCLUDED


@pytest.mark.parametrize(
    "raw, value",
    [
        ("7", 7.0),
        ("7,4", 7.4),
        (" 8.5 ", 8.5),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("5 - Helemaal mee eens", 5.0),
        ("10 (uitstekend)", 10.0),
        ("1 = zeer slecht", 1.0),
    ],
)
def test_numbers(raw, value):
    assert Classifier()(raw) == (NUMBER, value)


@pytest.mark.parametrize("raw", ["18-29", "$50,000 - $99,999", "1,2,3", "inf", "Lottery A", "> 60"])
def test_not_numbers(raw):
    assert Classifier()(raw)[0] == UNKNOWN


def test_parse_number_edge_cases():
    assert parse_number("") is None
    assert parse_number("1e400") is None  # infinite
    assert parse_number("7\u00a0000") == 7000.0
    assert parse_number("x" * 100) is None


def test_caller_label_map_wins_and_can_exclude():
    classify = Classifier({"Goed": 4, "Neutraal": None, "Mee eens": 3.5})
    assert classify("goed") == (CUSTOM, 4.0)
    assert classify("Neutraal") == (EXCLUDED, None)
    assert classify("mee eens") == (CUSTOM, 3.5)
    assert classify("Helemaal mee eens") == (LIKERT, 5.0)
    with pytest.raises(ValueError):
        Classifier({"Goed": "vier"})


def test_is_excluded_label():
    assert is_excluded_label("N.v.t.") and not is_excluded_label("Neutraal")
