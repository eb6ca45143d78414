"""Aggregated findings (one row per department x question), CSV and XLSX."""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.surveys.importers import (
    ScaleUnknown,
    SurveyFileError,
    detect,
    findings_template,
    parse,
)

from .helpers import DATA, xlsx_bytes

FINDINGS_CSV = DATA / "findings_nl_cp1252.csv"

HEADER_NL = [
    "afdeling",
    "thema",
    "vraagcode",
    "vraag",
    "score",
    "n",
    "benchmark",
    "vorige",
    "sd",
    "schaal",
    "opmerking",
]


def _csv(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_dutch_windows_1252_semicolon_file_is_detected():
    data = FINDINGS_CSV.read_bytes()
    assert "Financiën".encode("cp1252") in data  # the fixture really is Windows-1252
    detected = detect(data, FINDINGS_CSV.name)
    assert (detected.format, detected.encoding, detected.delimiter) == ("findings", "cp1252", ";")
    assert not detected.unsure


def test_dutch_findings_values_themes_and_comments():
    survey = parse(FINDINGS_CSV.read_bytes(), FINDINGS_CSV.name)
    assert survey.format == "findings" and survey.department_source == "file"
    assert list(survey.departments) == ["ICT", "Financiën", "Juridische Zaken"]
    ict = survey.departments["ICT"]
    assert ict.respondents == 48
    dv01 = ict.results["DV01"]
    assert (dv01.score, dv01.n, dv01.benchmark, dv01.previous, dv01.sd) == (6.8, 48, 7.1, 6.5, 1.6)
    assert not dv01.suppressed
    question = survey.question("DV01")
    assert (question.text, question.theme, question.kind) == (
        "Mijn melding wordt snel opgepakt",
        "Dienstverlening",
        "grade10",
    )
    assert survey.question("BR01").kind == "likert5"
    # Percentages on a yes/no question become shares.
    co01 = ict.results["CO01"]
    assert survey.question("CO01").kind == "yesno"
    assert (co01.score, co01.benchmark, co01.previous) == (
        pytest.approx(0.72),
        pytest.approx(0.80),
        None,
    )
    # A quoted comment with a ';' and a newline inside stays one comment.
    assert ict.comments == [("DV01", 'Terugbellen duurt "vaak" te lang;\nook bij spoed.')]
    assert survey.departments["Financiën"].results["KG01"].previous is None


def test_small_department_in_findings_is_suppressed_with_its_comments():
    survey = parse(FINDINGS_CSV.read_bytes(), FINDINGS_CSV.name)
    legal = survey.departments["Juridische Zaken"]
    assert legal.respondents == 4 and legal.suppressed
    assert all(r.score is None and r.sd is None and r.suppressed for r in legal.results.values())
    assert legal.results["KG01"].benchmark == 3.8  # the benchmark is not about this group
    assert legal.comments == [] and legal.withheld_comments == 1
    lowered = parse(FINDINGS_CSV.read_bytes(), FINDINGS_CSV.name, anonymity_threshold=4)
    assert lowered.departments["Juridische Zaken"].results["KG01"].score == 4.5
    assert lowered.departments["Juridische Zaken"].comments == [("KG01", "Adviezen komen laat.")]


def test_the_same_findings_as_xlsx_with_english_headers():
    rows = [
        ["Department", "Theme", "Question", "Score", "N", "Benchmark", "Previous", "SD", "Comment"],
        [
            "ICT",
            "Service delivery",
            "My request is picked up quickly",
            6.8,
            48,
            7.1,
            6.5,
            1.6,
            "Call back sooner",
        ],
        [
            "ICT",
            "Accessibility",
            "The service desk is easy to reach",
            3.4,
            48,
            3.7,
            None,
            0.9,
            None,
        ],
        [
            "HR",
            "Service delivery",
            "My request is picked up quickly",
            7.25,
            12,
            7.1,
            7.0,
            None,
            None,
        ],
    ]
    data = xlsx_bytes(rows)
    detected = detect(data, "findings.xlsx")
    assert (detected.format, detected.container, detected.encoding) == ("findings", "xlsx", None)
    survey = parse(data, "findings.xlsx")
    hr = survey.departments["HR"].results["My request is picked up quickly"]
    assert (hr.score, hr.n, hr.previous, hr.sd) == (7.25, 12, 7.0, None)
    # No scale column: inferred from the highest value per question.
    assert survey.question("My request is picked up quickly").kind == "grade10"
    assert survey.question("The service desk is easy to reach").kind == "likert5"
    assert survey.departments["ICT"].comments == [
        ("My request is picked up quickly", "Call back sooner")
    ]


def test_xlsx_title_rows_above_the_header_are_skipped():
    rows = [
        ["Intern klantonderzoek 2026"],
        [],
        HEADER_NL[:6],
        ["HR", "Communicatie", "CO01", "Ik weet waar ik terecht kan", 3.8, 30],
    ]
    survey = parse(xlsx_bytes(rows), "x.xlsx")
    assert survey.departments["HR"].results["CO01"].score == 3.8


def test_non_number_in_a_numeric_column_names_row_and_column():
    data = _csv(
        [
            ";".join(HEADER_NL[:6]),
            "ICT;Dienstverlening;DV01;Snel geholpen;7,1;40",
            "HR;Dienstverlening;DV01;Snel geholpen;goed;31",
        ]
    )
    with pytest.raises(SurveyFileError) as caught:
        parse(data, "f.csv")
    assert (caught.value.row, caught.value.column) == (3, "score")
    assert str(caught.value) == 'Row 3, column "score": expected a number, found "goed".'


def test_excel_date_instead_of_a_number_gets_a_helpful_message():
    rows = [
        HEADER_NL[:6],
        ["ICT", "Dienstverlening", "DV01", "Snel geholpen", dt.datetime(2026, 4, 7), 40],
    ]
    with pytest.raises(SurveyFileError) as caught:
        parse(xlsx_bytes(rows), "f.xlsx")
    assert caught.value.row == 2 and caught.value.column == "score"
    assert "date" in str(caught.value) and "2026-04-07" in str(caught.value)


@pytest.mark.parametrize(
    "line, column",
    [
        ("ICT;Dienstverlening;DV01;Snel geholpen;7,1;veertig", "n"),
        ("ICT;Dienstverlening;DV01;Snel geholpen;7,1;12,5", "n"),
        ("ICT;Dienstverlening;DV01;Snel geholpen;7,1;", "n"),
        (";Dienstverlening;DV01;Snel geholpen;7,1;40", "afdeling"),
    ],
)
def test_bad_rows_are_reported_with_their_column(line, column):
    data = _csv([";".join(HEADER_NL[:6]), line])
    with pytest.raises(SurveyFileError) as caught:
        parse(data, "f.csv")
    assert (caught.value.row, caught.value.column) == (2, column)


def test_score_outside_the_stated_scale_is_an_error():
    data = _csv(
        [";".join(HEADER_NL[:6] + ["schaal"]), "ICT;Dienstverlening;DV01;Snel geholpen;7,1;40;1-5"]
    )
    with pytest.raises(SurveyFileError) as caught:
        parse(data, "f.csv")
    assert caught.value.row == 2 and "outside the scale 1-5" in str(caught.value)


def test_duplicate_department_and_question_is_an_error():
    data = _csv([";".join(HEADER_NL[:6]), "ICT;A;DV01;Snel;7,1;40", "ICT;A;DV01;Snel;6,9;40"])
    with pytest.raises(SurveyFileError) as caught:
        parse(data, "f.csv")
    assert caught.value.row == 3 and "row 2" in str(caught.value)


def test_duplicate_header_is_ambiguous():
    data = _csv(["afdeling;vraag;score;n;score", "ICT;Snel;7,1;40;6,0"])
    with pytest.raises(SurveyFileError) as caught:
        parse(data, "f.csv", format="findings")
    assert caught.value.column == "score" and "more than once" in str(caught.value)


def test_missing_required_column_when_forced():
    data = _csv(["afdeling;vraag;score", "ICT;Snel;7,1"])
    with pytest.raises(SurveyFileError) as caught:
        parse(data, "f.csv", format="findings")
    assert str(caught.value) == "Required column missing: n/aantal."
    with pytest.raises(SurveyFileError):
        parse(_csv(["a;b;c", "1;2;3"]), "f.csv", format="findings")


def test_scale_that_cannot_be_inferred_is_asked_for():
    data = _csv(
        ["afdeling;vraag;score;n", "ICT;Net Promoter Score;35;40", "ICT;Snel geholpen;3,9;40"]
    )
    with pytest.raises(ScaleUnknown) as caught:
        parse(data, "f.csv")
    assert caught.value.keys == ["Net Promoter Score"]
    survey = parse(data, "f.csv", scale_overrides={"Net Promoter Score": "yesno"})
    assert survey.departments["ICT"].results["Net Promoter Score"].score == pytest.approx(0.35)


def test_general_department_comment_without_question():
    data = _csv(
        [
            "afdeling;vraag;score;n;opmerking",
            "ICT;Snel geholpen;3,9;40;",
            "ICT;;;;Algemeen: prima afdeling",
        ]
    )
    survey = parse(data, "f.csv")
    assert survey.departments["ICT"].comments == [(None, "Algemeen: prima afdeling")]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_template_round_trips(language):
    data = findings_template(language)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("afdeling;" if language == "nl" else "department,")
    if language == "nl":
        assert "6,8" in text and "Financiën" in text
    survey = parse(data, f"template-{language}.csv")
    assert survey.format == "findings"
    assert len(survey.departments) == 3
    ict = survey.departments["ICT"].results["DV01"]
    assert (ict.score, ict.n, ict.benchmark, ict.previous, ict.sd) == (6.8, 48, 7.1, 6.5, 1.6)
    assert survey.question("CO01").kind == "yesno"
    assert survey.question("DV01").kind == "grade10"


def test_yes_no_percentages_without_percent_sign_and_negative_sd():
    header = "afdeling;vraag;score;n;benchmark;sd;schaal"
    survey = parse(_csv([header, "HR;Ik weet bij wie ik terecht kan;72;30;80;45;ja/nee"]), "f.csv")
    result = survey.departments["HR"].results["Ik weet bij wie ik terecht kan"]
    assert (result.score, result.benchmark, result.sd) == (
        pytest.approx(0.72),
        pytest.approx(0.8),
        pytest.approx(0.45),
    )
    with pytest.raises(SurveyFileError) as caught:
        parse(_csv([header, "HR;Snel geholpen;3,5;30;3,6;-0,5;1-5"]), "f.csv")
    assert (caught.value.row, caught.value.column) == (2, "sd")
