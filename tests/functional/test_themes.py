"""Themes: assigned at import (the file's theme column, a question-to-theme mapping, the same
question in an earlier round), changed by the department's director on the results page (one
or many), and shown on "you said, we did" as a chart with the same figures in a table."""

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import make_department, make_finding, make_user
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.surveys.models import Finding, Question, RoundParticipation, SurveyRound, Theme
from tracker.surveys.services import ImportRequest, import_survey

DEMO_FILE = Path(__file__).parents[2] / "tracker/demo_data/klantonderzoek-2025-qualtrics.csv"
LATER_FILE = Path(__file__).parents[2] / "tracker/demo_data/klantonderzoek-2026-qualtrics.csv"


def _themes(round_name):
    return {
        q.text: (q.theme.name if q.theme else None)
        for q in db.session.scalars(
            select(Question).join(SurveyRound).where(SurveyRound.name == round_name)
        )
    }


FINDINGS_FILE = (
    b"department,theme,question code,question,score,n,benchmark,previous,sd,scale\n"
    b"ICT,Bereikbaarheid,BR01,De servicedesk is goed bereikbaar,5.8,40,7.1,,1.5,1-10\n"
    b"ICT,Communicatie,CO01,De afdeling communiceert helder,6.9,40,7.0,,1.4,1-10\n"
    b"ICT,,XX01,Een vraag zonder thema,7.2,40,7.0,,1.4,1-10\n"
)


def test_the_files_theme_column_gives_questions_their_theme(ctx):
    make_department("Informatievoorziening & ICT", "ICT")
    import_survey(
        None,
        FINDINGS_FILE,
        "bevindingen.csv",
        ImportRequest(round_name="KTO 2026", held_on=date(2026, 3, 1)),
    )
    db.session.commit()
    assert _themes("KTO 2026") == {
        "De servicedesk is goed bereikbaar": "Bereikbaarheid",
        "De afdeling communiceert helder": "Communicatie",
        "Een vraag zonder thema": None,
    }


def test_a_mapping_gives_themes_and_a_later_round_keeps_them(ctx):
    for name, short in (("Informatievoorziening & ICT", "ICT"), ("Human Resources", "HR")):
        make_department(name, short)
    request = ImportRequest(
        round_name="KTO 2025",
        held_on=date(2025, 3, 1),
        create_departments=True,
        question_themes={
            "De afdeling is goed telefonisch bereikbaar": "Bereikbaarheid",
            # Case and spaces do not matter; one theme for both spellings.
            " de afdeling communiceert HELDER ": "communicatie",
            "Informatie op intranet is actueel": "Communicatie",
        },
    )
    import_survey(None, DEMO_FILE.read_bytes(), DEMO_FILE.name, request)
    db.session.commit()
    first = _themes("KTO 2025")
    assert first["De afdeling is goed telefonisch bereikbaar"] == "Bereikbaarheid"
    assert first["De afdeling communiceert helder"] == "communicatie"
    assert first["Informatie op intranet is actueel"] == "communicatie"
    assert first["Medewerkers denken met mij mee"] is None
    assert db.session.scalar(select(db.func.count(Theme.id))) == 2
    # The next round's file has no themes and no mapping: the same questions keep theirs.
    import_survey(
        None,
        LATER_FILE.read_bytes(),
        LATER_FILE.name,
        ImportRequest(round_name="KTO 2026", held_on=date(2026, 3, 1), create_departments=True),
    )
    db.session.commit()
    assert _themes("KTO 2026")["De afdeling is goed telefonisch bereikbaar"] == "Bereikbaarheid"


@pytest.fixture
def results(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    hr = make_department("Human Resources", "HR")
    make_user(Role.director, email="dir@example.org", name="Dirk", directs=[ict])
    make_user(Role.director, email="hr@example.org", name="Hanna", directs=[hr])
    make_user(Role.owner, email="own@example.org", name="Olga", staff_of=[ict])
    reach = make_finding(ict, question_text="De servicedesk is bereikbaar")
    clear = make_finding(ict, question_text="De afdeling communiceert helder")
    fast = make_finding(ict, question_text="Mijn vraag wordt snel opgepakt")
    other = make_finding(hr, question_text="HR legt de regels uit")
    db.session.add(Theme(name="Bereikbaarheid"))
    db.session.commit()
    return {"ict": ict, "hr": hr, "reach": reach, "clear": clear, "fast": fast, "other": other}


def _url(results):
    return f"/surveys/{results['reach'].round_id}/departments/{results['ict'].id}"


def _theme_of(finding):
    db.session.expire_all()
    theme = db.session.get(Finding, finding.id).question.theme
    return theme.name if theme else None


def test_the_director_gives_one_question_a_theme_on_the_results_page(results, client):
    client.login("dir@example.org")
    page = client.get(_url(results)).get_data(as_text=True)
    assert f'name="question" value="{results["reach"].question_id}"' in page
    assert '<option value="Bereikbaarheid">Bereikbaarheid</option>' in page
    response = client.post(
        _url(results) + "/themes",
        {"question": [str(results["reach"].question_id)], "theme": "Bereikbaarheid"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 vraag heeft het nieuwe thema." in page
    assert _theme_of(results["reach"]) == "Bereikbaarheid"
    assert _theme_of(results["clear"]) is None


def test_the_director_gives_many_questions_a_new_theme_at_once(results, client):
    client.login("dir@example.org")
    ids = [str(results[k].question_id) for k in ("clear", "fast")]
    client.post(
        _url(results) + "/themes", {"question": ids, "theme": "", "new_theme": "Communicatie"}
    )
    assert _theme_of(results["clear"]) == _theme_of(results["fast"]) == "Communicatie"
    # ... and takes it away again ("No theme").
    client.post(_url(results) + "/themes", {"question": ids[:1], "theme": ""})
    assert _theme_of(results["clear"]) is None and _theme_of(results["fast"]) == "Communicatie"


@pytest.mark.parametrize("email", ["hr@example.org", "own@example.org"])
def test_only_the_departments_director_changes_themes(results, client, email):
    client.login(email)
    response = client.post(
        _url(results) + "/themes",
        {"question": [str(results["reach"].question_id)], "new_theme": "Geknoeid"},
    )
    assert response.status_code == 403
    assert _theme_of(results["reach"]) is None
    assert db.session.scalar(select(Theme).where(Theme.name == "Geknoeid")) is None
    if email == "own@example.org":  # staff read the results, without the theme form
        assert 'name="question"' not in client.get(_url(results)).get_data(as_text=True)


def test_a_forged_question_of_another_department_changes_nothing(results, client):
    client.login("dir@example.org")
    forged = [str(results["reach"].question_id), str(results["other"].question_id)]
    response = client.post(_url(results) + "/themes", {"question": forged, "new_theme": "Geknoeid"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "niet in deze resultaten; er is niets gewijzigd" in page
    assert _theme_of(results["reach"]) is None and _theme_of(results["other"]) is None
    assert db.session.scalar(select(Theme).where(Theme.name == "Geknoeid")) is None
    # No question ticked, or not a number: a message, nothing written, no error page.
    for form in ({"new_theme": "Geknoeid"}, {"question": ["abc"], "new_theme": "Geknoeid"}):
        response = client.post(_url(results) + "/themes", form)
        assert response.status_code == 302
    assert db.session.scalar(select(Theme).where(Theme.name == "Geknoeid")) is None


# --- The chart on "you said, we did" ---------------------------------------------------------


@pytest.fixture
def scores(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    make_user(Role.employee, email="emp@example.org", name="Emre")
    make_user(Role.employee, email="en@example.org", name="Emma")
    reach, communication, small = (
        Theme(name=n) for n in ("Bereikbaarheid", "Communicatie", "Klein")
    )
    db.session.add_all([reach, communication, small])
    findings = [
        make_finding(
            ict,
            score=5.8,
            question_text="Telefonisch bereikbaar",
            benchmark=7.1,
            previous_score=6.2,
        ),
        make_finding(
            ict,
            score=6.4,
            question_text="Ik weet bij wie ik terecht kan",
            benchmark=7.3,
            previous_score=6.0,
        ),
        make_finding(
            ict, score=7.0, question_text="De afdeling communiceert helder", benchmark=6.8
        ),
        # A result of a group under the anonymity threshold: not in any figure.
        make_finding(
            ict, score=2.0, n=3, question_text="Kleine groep", benchmark=9.0, previous_score=9.0
        ),
    ]
    for finding, theme in zip(findings, (reach, reach, communication, small), strict=True):
        finding.question.theme = theme
    db.session.add(
        RoundParticipation(round_id=findings[0].round_id, department_id=ict.id, respondents=40)
    )
    db.session.commit()
    return f"/you-said-we-did/{findings[0].round_id}/{ict.id}"


def _login(make_client, email, language):
    client = make_client()
    client.login(email)
    client.post("/language", {"language": language, "next": "/"})
    return client


def _chart_and_table(html):
    svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    drawn = {
        (theme, series): value
        for theme, series, value in re.findall(
            r'data-theme="([^"]+)" data-series="(\w+)" data-value="([^"]+)"', svg
        )
    }
    table = re.search(r'<table class="table table-sm theme-table">.*?</table>', html, re.S).group(0)
    listed = {}
    for theme, cells in re.findall(r'<tr data-theme="([^"]+)">(.*?)</tr>', table, re.S):
        for series, value in re.findall(r'data-series="(\w+)">([^<]*)<', cells):
            if value != "–":
                listed[(theme, series)] = value
    return svg, drawn, listed


@pytest.mark.parametrize(
    "email, language, decimal", [("emp@example.org", "nl", ","), ("en@example.org", "en", ".")]
)
def test_the_theme_charts_figures_are_the_tables(scores, make_client, email, language, decimal):
    html = _login(make_client, email, language).get(scores).get_data(as_text=True)
    svg, drawn, listed = _chart_and_table(html)
    assert drawn == listed
    assert drawn == {
        ("Bereikbaarheid", "current"): f"6{decimal}1",
        ("Bereikbaarheid", "previous"): f"6{decimal}1",
        ("Bereikbaarheid", "benchmark"): f"7{decimal}2",
        ("Communicatie", "current"): f"7{decimal}0",
        ("Communicatie", "benchmark"): f"6{decimal}8",
    }
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    # The small group's theme shows nowhere.
    assert "Klein" not in html


def test_no_theme_chart_for_a_department_under_the_anonymity_threshold(scores, make_client):
    participation = db.session.scalar(select(RoundParticipation))
    participation.respondents = 3
    db.session.commit()
    html = _login(make_client, "emp@example.org", "nl").get(scores).get_data(as_text=True)
    assert "<svg" not in html and "theme-table" not in html


def test_the_wizard_shows_each_questions_theme_and_takes_a_changed_one(ctx, client):
    import io

    make_department("Informatievoorziening & ICT", "ICT")
    director = make_user(Role.director, email="dir@example.org", name="Dirk")
    client.login(director.email)
    uploaded = client.post(
        "/surveys/import",
        {
            "file": (io.BytesIO(FINDINGS_FILE), "bevindingen.csv"),
            "round_name": "KTO 2026",
            "held_on": "2026-03-01",
            "format": "auto",
        },
        content_type="multipart/form-data",
    )
    preview_url = uploaded.headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    # The file's themes, proposed in an input per question.
    fields = dict(re.findall(r'name="(scale_key-q\d+)" value="([^"]*)"', preview))
    given = dict(re.findall(r'name="(theme-q\d+)" value="([^"]*)"', preview))
    theme_of_key = {
        key: given["theme-" + name.removeprefix("scale_key-")] for name, key in fields.items()
    }
    assert theme_of_key == {"BR01": "Bereikbaarheid", "CO01": "Communicatie", "XX01": ""}
    form = {"round": "KTO 2026", "held_on": "2026-03-01", "format": "auto", "confirm": "Importeren"}
    form |= fields | given
    # The director gives the question without a theme one, and renames another.
    number_of = {key: name.removeprefix("scale_key-") for name, key in fields.items()}
    form["theme-" + number_of["XX01"]] = "Verwachtingen"
    form["theme-" + number_of["CO01"]] = "Communicatie en informatie"
    done = client.post(preview_url.split("?")[0], form)
    assert done.status_code == 302
    assert _themes("KTO 2026") == {
        "De servicedesk is goed bereikbaar": "Bereikbaarheid",
        "De afdeling communiceert helder": "Communicatie en informatie",
        "Een vraag zonder thema": "Verwachtingen",
    }
