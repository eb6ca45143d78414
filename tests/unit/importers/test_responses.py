"""Raw responses from realistic Dutch exports: departments, labels, exclusions, anonymity."""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.surveys.importers import ScaleUnknown, SurveyFileError, detect, parse

from .helpers import DATA, mean_sd, read_rows, xlsx_bytes

SURVEYMONKEY_NL = DATA / "surveymonkey_nl.csv"
QUALTRICS_UTF16 = DATA / "qualtrics_utf16.tsv"
BLOCKS = DATA / "googleforms_blocks.csv"

# The test's own reading of the Dutch labels (independent of the importer's tables).
SATISFACTION = {
    "zeer tevreden": 5,
    "tevreden": 4,
    "niet tevreden, niet ontevreden": 3,
    "ontevreden": 2,
    "zeer ontevreden": 1,
}
AGREEMENT = {
    "helemaal mee eens": 5,
    "mee eens": 4,
    "niet mee eens, niet mee oneens": 3,
    "neutraal": 3,
    "mee oneens": 2,
    "helemaal mee oneens": 1,
}
EXCLUDED = {"weet niet", "n.v.t.", ""}


def _expected(rows, dept_col, value_col, department, mapping):
    values = []
    for row in rows:
        if row[dept_col] == department:
            answer = row[value_col].strip().lower()
            if answer not in EXCLUDED:
                values.append(float(mapping[answer]) if mapping else float(answer))
    return values


# --- SurveyMonkey, Dutch labels, department question -------------------------


def test_surveymonkey_dutch_export_is_detected_with_its_department_question():
    detected = detect(SURVEYMONKEY_NL.read_bytes(), SURVEYMONKEY_NL.name)
    assert (detected.format, detected.header_rows) == ("surveymonkey", 2)
    assert [c.key for c in detected.department_columns] == ["Over welke afdeling gaat uw oordeel?"]
    assert "Respondent ID" in {c.key for c in detected.columns if c.metadata}


def test_surveymonkey_dutch_scores_per_department():
    rows = read_rows(SURVEYMONKEY_NL)
    dept = rows[0].index("Over welke afdeling gaat uw oordeel?")
    survey = parse(SURVEYMONKEY_NL.read_bytes(), SURVEYMONKEY_NL.name)
    assert survey.department_source == "column"
    assert survey.department_column == "Over welke afdeling gaat uw oordeel?"
    assert {n: d.respondents for n, d in survey.departments.items()} == {
        "ICT": 7,
        "HR": 6,
        "Juridische Zaken": 4,
    }
    assert survey.unassigned_respondents == 1 and survey.respondents == 18
    assert survey.overall.respondents == 18

    # A matrix question: the sub-label from the second header row names the column.
    key = "Hoe tevreden bent u over de volgende onderdelen? - Deskundigheid"
    values = _expected(rows[2:], dept, rows[1].index("Deskundigheid"), "ICT", SATISFACTION)
    result = survey.departments["ICT"].results[key]
    assert survey.question(key).kind == "likert5"
    assert result.n == len(values) == 5  # "Weet niet" and "n.v.t." left out
    assert result.score == pytest.approx(mean_sd(values)[0])
    assert result.sd == pytest.approx(mean_sd(values)[1])

    key = "Ik word teruggebeld wanneer dat is toegezegd"
    values = _expected(rows[2:], dept, rows[0].index(key), "HR", AGREEMENT)
    assert survey.departments["HR"].results[key].score == pytest.approx(mean_sd(values)[0])

    key = "Welk rapportcijfer geeft u de afdeling?"
    values = _expected(rows[2:], dept, rows[0].index(key), "ICT", None)
    assert survey.question(key).kind == "grade10"
    assert (
        survey.departments["ICT"].results[key].n,
        survey.departments["ICT"].results[key].score,
    ) == (
        len(values),
        pytest.approx(sum(values) / len(values)),
    )


def test_surveymonkey_comments_and_the_small_department():
    survey = parse(SURVEYMONKEY_NL.read_bytes(), SURVEYMONKEY_NL.name)
    key = "Heeft u nog tips of opmerkingen voor deze afdeling?"
    assert survey.question(key).kind == "open"
    # "geen" ("none") is not a comment; the newline inside the quoted cell survives.
    assert survey.departments["ICT"].comments == [
        (key, "Snel geholpen, top!"),
        (key, "Terugbellen duurt lang,\nsoms een week."),
    ]
    legal = survey.departments["Juridische Zaken"]
    assert legal.respondents == 4 and legal.suppressed
    assert all(r.score is None and r.sd is None and r.suppressed for r in legal.results.values())
    assert legal.comments == [] and legal.withheld_comments == 2
    assert any("did not name a department" in str(w) for w in survey.warnings)


def test_department_column_chosen_by_the_caller_and_unknown_column():
    data = SURVEYMONKEY_NL.read_bytes()
    survey = parse(data, "x.csv", department_column="over welke afdeling gaat uw oordeel?")
    assert set(survey.departments) == {"ICT", "HR", "Juridische Zaken"}
    with pytest.raises(SurveyFileError) as caught:
        parse(data, "x.csv", department_column="Directie")
    assert caught.value.column == "Directie"
    with pytest.raises(ValueError):
        parse(data, "x.csv", department_column="Afdeling", department="ICT")


# --- Qualtrics TSV: UTF-16, tabs, numeric codes --------------------------------


def test_utf16_tab_separated_qualtrics_export():
    data = QUALTRICS_UTF16.read_bytes()
    assert data[:2] == b"\xff\xfe"
    detected = detect(data, QUALTRICS_UTF16.name)
    assert (detected.format, detected.encoding, detected.delimiter, detected.header_rows) == (
        "qualtrics",
        "utf-16",
        "\t",
        3,
    )
    assert detected.department_columns[0].key == "Q1"

    rows = read_rows(QUALTRICS_UTF16, encoding="utf-16", delimiter="\t")
    dept = rows[0].index("Q1")
    survey = parse(data, QUALTRICS_UTF16.name)
    assert set(survey.departments) == {"Financiën", "Inkoop"}
    for department in ("Financiën", "Inkoop"):
        for key in ("Q2_1", "Q2_2", "Q3"):
            col = rows[0].index(key)
            values = [
                float(r[col])
                for r in rows[3:]
                if r[dept] == department and r[col] and float(r[col]) >= 0
            ]
            result = survey.departments[department].results[key]
            assert result.n == len(values)
            assert result.score == pytest.approx(mean_sd(values)[0])
    assert survey.departments["Inkoop"].results["Q2_2"].n == 6  # -98 excluded
    assert survey.question("Q2_1").text == "Stellingen - De afdeling is goed bereikbaar"
    assert survey.question("Q3").kind == "grade10"
    comments = survey.departments["Financiën"].comments
    assert ("Q5_TEXT", "Uitleg bij afwijzingen\n(nu vaak onduidelijk)") in comments


def test_per_question_label_map_recodes_qualtrics_yes_1_no_2():
    data = QUALTRICS_UTF16.read_bytes()
    # Qualtrics codes yes/no as 1/2, which on its own looks like a 1-5 scale.
    assert parse(data, "x.tsv").question("Q4").kind == "likert5"
    survey = parse(data, "x.tsv", label_map={"Q4": {"1": 1, "2": 0}})
    assert survey.question("Q4").kind == "yesno"
    rows = read_rows(QUALTRICS_UTF16, encoding="utf-16", delimiter="\t")
    answers = [r[rows[0].index("Q4")] for r in rows[3:] if r[rows[0].index("Q1")] == "Inkoop"]
    assert survey.departments["Inkoop"].results["Q4"].score == pytest.approx(
        answers.count("1") / len(answers)
    )
    # The recode is for Q4 only: a "2" elsewhere is still a 2.
    assert (
        survey.departments["Inkoop"].results["Q2_1"].score
        == parse(data, "x.tsv").departments["Inkoop"].results["Q2_1"].score
    )


# --- Per-department column blocks ----------------------------------------------


def test_department_blocks_are_offered_and_mapped():
    data = BLOCKS.read_bytes()
    detected = detect(data, BLOCKS.name)
    assert detected.format == "googleforms"
    assert detected.department_block_labels == ["ICT", "HR", "Facilitaire Zaken"]

    blocks = {"ICT": "ICT", "HR": "P&O", "Facilitaire Zaken": "Facilitair"}
    survey = parse(data, BLOCKS.name, department_blocks=blocks)
    assert survey.department_source == "blocks"
    assert [q.key for q in survey.questions] == [
        "Ik word teruggebeld",
        "Mijn vraag wordt snel opgepakt",
    ]
    assert {n: d.respondents for n, d in survey.departments.items()} == {
        "ICT": 7,
        "P&O": 6,
        "Facilitair": 3,
    }

    rows = read_rows(BLOCKS)
    for label, dept in (
        ("ICT - Ik word teruggebeld", "ICT"),
        ("HR - Mijn vraag wordt snel opgepakt", "P&O"),
    ):
        col = rows[0].index(label)
        values = [
            AGREEMENT[r[col].lower()] for r in rows[1:] if r[col].strip().lower() not in EXCLUDED
        ]
        question = label.split(" - ", 1)[1]
        result = survey.departments[dept].results[question]
        assert (result.n, result.score) == (len(values), pytest.approx(sum(values) / len(values)))
    assert survey.departments["Facilitair"].suppressed
    assert survey.departments["Facilitair"].results["Ik word teruggebeld"].score is None
    assert {c.key: c.reason for c in survey.skipped_columns}[
        "Overige opmerkingen"
    ] == "outside-blocks"
    overall = survey.overall.results["Ik word teruggebeld"]
    assert overall.n == sum(d.results["Ik word teruggebeld"].n for d in survey.departments.values())


def test_department_blocks_with_unknown_labels_is_an_error():
    with pytest.raises(SurveyFileError):
        parse(BLOCKS.read_bytes(), BLOCKS.name, department_blocks={"Inkoop": "Inkoop"})


# --- Microsoft Forms XLSX ---------------------------------------------------------

MSFORMS_HEADER = [
    "ID",
    "Start time",
    "Completion time",
    "Email",
    "Name",
    "Over welke afdeling gaat uw oordeel?",
    "De afdeling is goed bereikbaar",
    "Welk rapportcijfer geeft u de afdeling?",
    "Toelichting",
]
MSFORMS_ANSWERS = [
    ("ICT", "Mee eens", 8, "Snel geholpen"),
    ("ICT", "Helemaal mee eens", 7.5, None),
    ("ICT", "Weet ik niet", 6, None),
    ("ICT", "Mee oneens", 5, "Telefoon wordt niet opgenomen"),
    ("ICT", "Neutraal", 7, None),
    ("ICT", "Mee eens", None, None),
    ("Financiën", "Mee eens", 8, None),
    ("Financiën", "Mee eens", 9, None),
    ("Financiën", "N.v.t.", 8, None),
    ("Financiën", "Helemaal mee oneens", 4, "Facturen blijven liggen"),
    ("Financiën", "Mee eens", 7, None),
]


def _msforms_xlsx() -> bytes:
    rows = [MSFORMS_HEADER]
    start = dt.datetime(2026, 3, 2, 9, 0)
    for i, (dept, agree, grade, comment) in enumerate(MSFORMS_ANSWERS, start=1):
        when = start + dt.timedelta(hours=i)
        rows.append(
            [
                i,
                when,
                when + dt.timedelta(minutes=4),
                "anonymous",
                None,
                dept,
                agree,
                grade,
                comment,
            ]
        )
    return xlsx_bytes(rows, sheet_title="Form1")


def test_microsoft_forms_xlsx():
    data = _msforms_xlsx()
    detected = detect(data, "Intern klantonderzoek.xlsx")
    assert (detected.format, detected.container) == ("msforms", "xlsx")
    survey = parse(data, "Intern klantonderzoek.xlsx")
    assert {n: d.respondents for n, d in survey.departments.items()} == {"ICT": 6, "Financiën": 5}
    ict_agree = [
        AGREEMENT[a.lower()] for d, a, _, _ in MSFORMS_ANSWERS if d == "ICT" and a != "Weet ik niet"
    ]
    result = survey.departments["ICT"].results["De afdeling is goed bereikbaar"]
    assert (result.n, result.score) == (5, pytest.approx(sum(ict_agree) / 5))
    grades = [g for d, _, g, _ in MSFORMS_ANSWERS if d == "ICT" and g is not None]
    result = survey.departments["ICT"].results["Welk rapportcijfer geeft u de afdeling?"]
    assert (result.n, result.score) == (5, pytest.approx(sum(grades) / 5))
    assert survey.question("Toelichting").kind == "open"
    assert survey.departments["Financiën"].comments == [("Toelichting", "Facturen blijven liggen")]
    skipped = {c.key for c in survey.skipped_columns if c.reason == "metadata"}
    assert {"ID", "Start time", "Completion time", "Email", "Name"} <= skipped


# --- Exclusions, anonymity, scales -------------------------------------------------


def _forms_csv(header: list[str], rows: list[list[str]]) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Timestamp"] + header)
    for i, row in enumerate(rows):
        writer.writerow([f"3/{i % 28 + 1}/2026 10:00:00"] + row)
    return out.getvalue().encode("utf-8")


def test_do_not_know_not_applicable_and_negative_codes_are_excluded():
    answers = [
        "4",
        "Weet niet",
        " WEET NIET ",
        "n.v.t.",
        "nvt",
        "N.V.T",
        "geen mening",
        "-1",
        "-99",
        "don't know",
        "Don\u2019t know",
        "Not applicable",
        "n/a",
        "",
        "2",
        "5",
        "3",
        "1",
    ]
    data = _forms_csv(
        ["Afdeling", "De afdeling houdt zich aan afspraken"], [["ICT", a] for a in answers]
    )
    result = parse(data, "x.csv").departments["ICT"].results["De afdeling houdt zich aan afspraken"]
    assert result.n == 5
    assert result.score == pytest.approx((4 + 2 + 5 + 3 + 1) / 5)


def test_question_answered_by_too_few_is_suppressed_in_a_large_enough_department():
    rows = [["HR", "4", "Ja" if i < 3 else ""] for i in range(8)]
    data = _forms_csv(
        ["Afdeling", "Mijn vraag wordt snel opgepakt", "Heeft u de intranetpagina gebruikt?"], rows
    )
    hr = parse(data, "x.csv").departments["HR"]
    assert not hr.suppressed and hr.results["Mijn vraag wordt snel opgepakt"].score == 4.0
    sparse = hr.results["Heeft u de intranetpagina gebruikt?"]
    assert (sparse.n, sparse.score, sparse.suppressed) == (3, None, True)


def test_department_with_four_respondents_gets_no_score_and_no_comments():
    rows = [["Inkoop", "4", "Graag sneller reageren"]] * 4 + [["ICT", "3", "Prima"]] * 5
    data = _forms_csv(["Afdeling", "Ik word snel geholpen", "Opmerkingen"], rows)
    survey = parse(data, "x.csv")
    inkoop, ict = survey.departments["Inkoop"], survey.departments["ICT"]
    assert inkoop.suppressed and inkoop.results["Ik word snel geholpen"].score is None
    assert inkoop.comments == [] and inkoop.withheld_comments == 4
    assert not ict.suppressed and ict.results["Ik word snel geholpen"].score == 3.0
    assert len(ict.comments) == 5


def test_numeric_scales_are_inferred_from_the_answer_range():
    rows = [
        ["ICT", str(i % 5 + 1), str(i % 10 + 1), str(i % 2), "Mee eens" if i % 2 else "Mee oneens"]
        for i in range(20)
    ]
    data = _forms_csv(["Afdeling", "Likert", "Cijfer", "Ja/nee", "Label"], rows)
    survey = parse(data, "x.csv")
    assert [q.kind for q in survey.questions] == ["likert5", "grade10", "yesno", "likert5"]
    assert survey.departments["ICT"].results["Ja/nee"].score == 0.5


def test_unknown_scale_lists_the_questions_and_overrides_resolve_it():
    rows = [["ICT", str(i % 11), str(i % 5 + 1)] for i in range(22)]  # 0-10: not a 1-10 grade
    data = _forms_csv(["Afdeling", "Hoe waarschijnlijk beveelt u ons aan?", "Snel geholpen"], rows)
    with pytest.raises(ScaleUnknown) as caught:
        parse(data, "x.csv")
    assert caught.value.keys == ["Hoe waarschijnlijk beveelt u ons aan?"]
    assert caught.value.observed == {"Hoe waarschijnlijk beveelt u ons aan?": (0.0, 10.0)}
    survey = parse(
        data, "x.csv", scale_overrides={"Hoe waarschijnlijk beveelt u ons aan?": "grade10"}
    )
    question = survey.question("Hoe waarschijnlijk beveelt u ons aan?")
    assert question.kind == "grade10" and question.invalid_count == 2  # the two zeros
    assert survey.departments["ICT"].results[question.key].n == 20
    survey = parse(data, "x.csv", scale_overrides={"Hoe waarschijnlijk beveelt u ons aan?": "skip"})
    assert [q.key for q in survey.questions] == ["Snel geholpen"]
    with pytest.raises(ValueError):
        parse(data, "x.csv", scale_overrides={"Snel geholpen": "1-7"})


def test_caller_label_map_scores_custom_labels():
    labels = ["Uitstekend", "Goed", "Matig", "Slecht", "Uitstekend", "Weet niet"]
    data = _forms_csv(["Afdeling", "Hoe beoordeelt u de service?"], [["ICT", a] for a in labels])
    survey = parse(data, "x.csv", label_map={"uitstekend": 5, "matig": 2.5, "Weet niet": None})
    result = survey.departments["ICT"].results["Hoe beoordeelt u de service?"]
    assert (result.n, result.score) == (5, pytest.approx((5 + 4 + 2.5 + 2 + 5) / 5))


def test_unmapped_minority_answers_are_reported():
    answers = ["Mee eens"] * 6 + ["Soms wel, soms niet"]
    data = _forms_csv(["Afdeling", "Ik word teruggebeld"], [["ICT", a] for a in answers])
    survey = parse(data, "x.csv")
    question = survey.question("Ik word teruggebeld")
    assert (question.invalid_count, question.invalid_examples) == (1, ("Soms wel, soms niet",))
    assert survey.departments["ICT"].results[question.key].n == 6
    assert any("Soms wel, soms niet" in str(w) for w in survey.warnings)


def test_duplicate_question_headers_are_ambiguous():
    data = _forms_csv(["Afdeling", "Snel geholpen", "Snel geholpen"], [["ICT", "4", "5"]])
    with pytest.raises(SurveyFileError) as caught:
        parse(data, "x.csv")
    assert caught.value.column == "Snel geholpen" and "more than once" in str(caught.value)


def test_file_with_only_metadata_has_no_questions():
    data = _forms_csv(["Email Address"], [["a@example.org"], ["b@example.org"]])
    with pytest.raises(SurveyFileError) as caught:
        parse(data, "x.csv")
    assert "No survey questions" in str(caught.value)


def test_generic_table_is_unsure_and_the_format_can_be_forced():
    data = b"Afdeling;Ik word snel geholpen\nICT;4\nICT;5\nICT;3\nICT;4\nICT;4\n"
    detected = detect(data, "export.csv")
    assert detected.format == "generic" and detected.unsure and detected.delimiter == ";"
    forced = parse(data, "export.csv", format="googleforms")
    assert forced.format == "googleforms"
    assert forced.departments["ICT"].results["Ik word snel geholpen"].score == 4.0


def test_duplicate_headers_of_unused_columns_are_harmless():
    data = _forms_csv(
        ["Afdeling", "Snel geholpen", "Notitie", "Notitie"], [["ICT", "4", "", ""]] * 5
    )
    survey = parse(data, "x.csv")
    assert [q.key for q in survey.questions] == ["Snel geholpen"]


def test_department_answers_differing_in_case_or_spacing_are_one_department():
    rows = [
        ["ICT", "4"],
        ["ict ", "5"],
        [" ICT", "3"],
        ["Financiën", "4"],
        ["Weet niet", "2"],
        ["", "1"],
    ]
    data = _forms_csv(["Over welke afdeling gaat uw oordeel?", "Snel geholpen"], rows)
    survey = parse(data, "x.csv", anonymity_threshold=1)
    assert {n: d.respondents for n, d in survey.departments.items()} == {"ICT": 3, "Financiën": 1}
    assert survey.departments["ICT"].results["Snel geholpen"].score == 4.0
    assert survey.unassigned_respondents == 2
    assert survey.overall.respondents == 6 and survey.overall.results["Snel geholpen"].n == 6


def test_surveymonkey_xlsx_gives_the_same_results_as_its_csv():
    rows = read_rows(SURVEYMONKEY_NL)
    data = xlsx_bytes([[int(c) if c.isdigit() and len(c) < 3 else c for c in row] for row in rows])
    detected = detect(data, "Enquête.xlsx")
    assert (detected.format, detected.container, detected.header_rows) == (
        "surveymonkey",
        "xlsx",
        2,
    )
    from_xlsx = parse(data, "Enquête.xlsx")
    from_csv = parse(SURVEYMONKEY_NL.read_bytes(), SURVEYMONKEY_NL.name)
    assert from_xlsx.departments == from_csv.departments
    assert [q.kind for q in from_xlsx.questions] == [q.kind for q in from_csv.questions]


def test_limesurvey_with_question_codes_as_headers():
    data = (
        '"id","submitdate","lastpage","startlanguage","seed","token","afdeling","G01Q01[SQ001]","G01Q01[SQ002]"\r\n'
        + "".join(
            f'"{i}","2026-03-0{i % 9 + 1} 10:00:00","3","nl","{1000 + i}","","ICT","A{i % 5 + 1}","{i % 5 + 1}"\r\n'
            for i in range(10)
        )
    ).encode("utf-8")
    detected = detect(data, "survey_123_R_data_file.csv")
    assert detected.format == "limesurvey"
    assert {c.key for c in detected.columns if c.metadata} == {
        "id",
        "submitdate",
        "lastpage",
        "startlanguage",
        "seed",
        "token",
    }
    survey = parse(data, "x.csv")
    assert list(survey.departments) == ["ICT"]
    # Answer codes such as "A3" mean nothing without the survey's label file.
    skipped = {c.key: c.reason for c in survey.skipped_columns}
    assert skipped["G01Q01[SQ001]"] == "categorical"
    assert survey.departments["ICT"].results["G01Q01[SQ002]"].score == 3.0
