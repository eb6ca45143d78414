"""Real exports made by the tools themselves (copied byte-for-byte, see data/real/SOURCES.md).

Expected numbers are computed here from the raw file with the csv module, not
copied from the importer's output.
"""

from __future__ import annotations

import pytest

from tracker.surveys.importers import ScaleUnknown, detect, parse

from .helpers import (
    ALL_REAL,
    GOOGLE_FORMS,
    LIMESURVEY,
    QUALTRICS_INSIGHTS,
    QUALTRICS_LEGACY,
    QUALTRICS_SAMPLE,
    SURVEYMONKEY_STEAK,
    mean_sd,
    read_rows,
)


def test_the_fixture_copies_are_present_with_their_sources():
    assert all(path.is_file() for path in ALL_REAL)
    sources = (QUALTRICS_SAMPLE.parent.parent / "SOURCES.md").read_text(encoding="utf-8")
    assert all(path.name in sources for path in ALL_REAL)


@pytest.mark.parametrize(
    "path, fmt, encoding, header_rows",
    [
        (QUALTRICS_SAMPLE, "qualtrics", "utf-8", 3),
        (QUALTRICS_LEGACY, "qualtrics", "utf-8-sig", 2),
        (QUALTRICS_INSIGHTS, "qualtrics", "utf-8", 3),
        (SURVEYMONKEY_STEAK, "surveymonkey", "utf-8", 2),
        (GOOGLE_FORMS, "googleforms", "utf-8", 1),
        (LIMESURVEY, "limesurvey", "utf-8-sig", 1),
    ],
)
def test_each_real_export_is_detected(path, fmt, encoding, header_rows):
    detected = detect(path.read_bytes(), path.name)
    assert (detected.format, detected.encoding, detected.delimiter, detected.header_rows) == (
        fmt,
        encoding,
        ",",
        header_rows,
    )
    assert detected.container == "csv"
    assert not detected.unsure


def _numeric_answers(rows, col, first_data_row):
    """Valid answers as the spec defines them: numbers, negatives and blanks excluded."""
    values = []
    for row in rows[first_data_row:]:
        if col < len(row) and row[col].strip():
            value = float(row[col])
            if value >= 0:
                values.append(value)
    return values


def test_qualtrics_modern_sample():
    rows = read_rows(QUALTRICS_SAMPLE)
    q1, q2 = rows[0].index("Q1"), rows[0].index("Q2")
    survey = parse(QUALTRICS_SAMPLE.read_bytes(), QUALTRICS_SAMPLE.name, anonymity_threshold=1)
    assert survey.respondents == len(rows) - 3 == 1
    assert survey.question("Q1").kind == "likert5"
    assert survey.question("Q1").text == rows[1][q1] == "This is a multiple choice question."
    assert survey.overall.results["Q1"].score == float(rows[3][q1])
    # The export marks Q2 as text entry (QID2_TEXT): its answer is a verbatim comment.
    assert survey.question("Q2").kind == "open"
    assert survey.overall.comments == [("Q2", rows[3][q2])]
    keys = {q.key for q in survey.questions}
    assert not keys & {
        "StartDate",
        "IPAddress",
        "ResponseId",
        "Progress",
        "UserLanguage",
        "Q2 - Topics",
    }
    assert survey.department_source == "none" and survey.departments == {}


def test_qualtrics_single_respondent_is_suppressed_at_the_default_threshold():
    survey = parse(QUALTRICS_SAMPLE.read_bytes(), QUALTRICS_SAMPLE.name)
    assert survey.overall.suppressed
    assert survey.overall.results["Q1"].score is None and survey.overall.results["Q1"].suppressed
    assert survey.overall.comments == [] and survey.overall.withheld_comments == 1


@pytest.mark.parametrize("path, header_rows", [(QUALTRICS_LEGACY, 2), (QUALTRICS_INSIGHTS, 3)])
def test_qualtrics_legacy_and_insights_exclude_negative_codes(path, header_rows):
    rows = read_rows(path)
    survey = parse(path.read_bytes(), path.name)
    assert survey.respondents == len([r for r in rows[header_rows:] if any(r)]) == 15
    for key in ("Q1", "Q3_1", "Q4_2"):
        values = _numeric_answers(rows, rows[0].index(key), header_rows)
        expected_mean, expected_sd = mean_sd(values)
        result = survey.overall.results[key]
        assert result.n == len(values)
        assert result.score == pytest.approx(expected_mean)
        assert result.sd == pytest.approx(expected_sd)
        assert survey.question(key).kind == "likert5"
    # -1/-2 are "no basis for evaluation": Q1 has two -1 answers that must not count.
    assert survey.overall.results["Q1"].n == 13
    # Ticked boxes of multiple-choice questions ("1" or empty) are not scored.
    skipped = {c.key: c.reason for c in survey.skipped_columns}
    assert skipped["Q2_1"] == "multiple-choice"
    assert "ResponseID" in skipped and skipped["ResponseID"] == "metadata"


def test_qualtrics_legacy_and_insights_agree_on_the_same_survey():
    legacy = parse(QUALTRICS_LEGACY.read_bytes(), QUALTRICS_LEGACY.name)
    insights = parse(QUALTRICS_INSIGHTS.read_bytes(), QUALTRICS_INSIGHTS.name)
    for key in ("Q1", "Q3_1", "Q3_2", "Q4_1"):
        assert legacy.overall.results[key] == insights.overall.results[key]
    assert (
        legacy.question("Q3_1").text
        == "Indicate how you feel about the following vegetables-Squash"
    )


def test_surveymonkey_steak_yes_no_questions():
    rows = read_rows(SURVEYMONKEY_STEAK)
    col = rows[0].index("Do you ever smoke cigarettes?")
    answers = [r[col] for r in rows[2:]]
    yes, no = answers.count("Yes"), answers.count("No")
    survey = parse(SURVEYMONKEY_STEAK.read_bytes(), SURVEYMONKEY_STEAK.name)
    assert survey.respondents == len(rows) - 2 == 550
    question = survey.question("Do you ever smoke cigarettes?")
    assert question.kind == "yesno"
    result = survey.overall.results[question.key]
    assert result.n == yes + no
    assert result.score == pytest.approx(yes / (yes + no))
    assert result.sd == pytest.approx(mean_sd([1.0] * yes + [0.0] * no)[1])
    skipped = {c.key: c.reason for c in survey.skipped_columns}
    assert skipped["RespondentID"] == "metadata"
    assert skipped["Gender"] == skipped["Household Income"] == skipped["Age"] == "categorical"


def test_surveymonkey_with_a_fixed_department():
    survey = parse(SURVEYMONKEY_STEAK.read_bytes(), SURVEYMONKEY_STEAK.name, department="Onderzoek")
    assert list(survey.departments) == ["Onderzoek"]
    assert survey.department_source == "fixed"
    assert survey.departments["Onderzoek"].respondents == 550
    key = "Do you eat steak?"
    assert survey.departments["Onderzoek"].results[key] == survey.overall.results[key]


def test_google_forms_open_and_yes_no_questions():
    rows = read_rows(GOOGLE_FORMS, encoding="utf-8")
    q1 = next(i for i, h in enumerate(rows[0]) if h.startswith("Q1:"))
    q3 = next(i for i, h in enumerate(rows[0]) if h.startswith("Q3:"))
    survey = parse(GOOGLE_FORMS.read_bytes(), GOOGLE_FORMS.name)
    assert survey.respondents == len(rows) - 1 == 42
    assert survey.question(rows[0][q1]).kind == "open"
    # One respondent typed "NA": a not-applicable marker, not a comment.
    expected_comments = [r[q1].strip() for r in rows[1:] if r[q1].strip() not in ("", "NA")]
    assert len(expected_comments) == len([r for r in rows[1:] if r[q1].strip()]) - 1
    got = [text for key, text in survey.overall.comments if key == rows[0][q1]]
    assert sorted(got) == sorted(expected_comments)
    assert any("\n" in text for text in got)  # bare-LF newlines inside a CRLF file survive
    answers = [r[q3] for r in rows[1:]]
    result = survey.overall.results[rows[0][q3]]
    assert survey.question(rows[0][q3]).kind == "yesno"
    assert (result.n, result.score) == (
        answers.count("Yes") + answers.count("No"),
        answers.count("Yes") / 42,
    )
    skipped = {c.key: c.reason for c in survey.skipped_columns}
    assert skipped["Timestamp"] == "metadata"
    assert skipped["Q2: Do you have a personal connection to autism?"] == "categorical"


def test_limesurvey_asks_for_the_scale_of_numeric_free_answers():
    data = LIMESURVEY.read_bytes()
    with pytest.raises(ScaleUnknown) as caught:
        parse(data, LIMESURVEY.name)
    assert "How old are you?" in caught.value.keys
    assert caught.value.observed["How old are you?"] == (4.0, 66.0)
    assert "How old are you?" in str(caught.value)

    survey = parse(
        data,
        LIMESURVEY.name,
        scale_overrides={k: "skip" for k in caught.value.keys},
        anonymity_threshold=1,
    )
    rows = read_rows(LIMESURVEY)
    key = "Describe yourselves [Openness]"
    values = _numeric_answers(rows, rows[0].index(key), 1)
    result = survey.overall.results[key]
    assert survey.question(key).kind == "likert5"
    assert (result.n, result.score) == (len(values), pytest.approx(mean_sd(values)[0]))
    assert survey.respondents == len([r for r in rows[1:] if any(r)]) == 7
    skipped = {c.key: c.reason for c in survey.skipped_columns}
    for meta in (
        "Response ID",
        "Date submitted",
        "Start language",
        "Seed",
        "Total time",
        "Group time: The third group",
        "Question time: gender",
    ):
        assert skipped[meta] == "metadata"
    assert skipped["How old are you?"] == "override"
