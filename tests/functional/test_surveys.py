"""Survey import end to end: CLI and web wizard, findings, anonymity, triage."""

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from bench.synthetic import generate
from tests.factories import make_department, make_user
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.organisation.models import Department
from tracker.surveys.models import (
    Finding,
    FindingKind,
    Question,
    SurveyComment,
    SurveyImport,
    SurveyRound,
    Triage,
)

# A vendor report as Dutch Excel saves it: semicolons, decimal commas, Windows-1252.
REPORT_2025 = """afdeling;thema;vraag;score;n;benchmark;sd;schaal;opmerking
ICT;Dienstverlening;Ik word teruggebeld zoals beloofd;6,5;48;6,9;1,5;1-10;
ICT;Bereikbaarheid;De servicedesk is goed bereikbaar;3,6;48;3,7;0,9;1-5;
Financiën;Dienstverlening;Ik word teruggebeld zoals beloofd;7,4;22;6,9;1,2;1-10;Prettig contact.
Juridische Zaken;Dienstverlening;Ik word teruggebeld zoals beloofd;7,0;4;6,9;1,1;1-10;Herkenbaar commentaar van één jurist.
""".encode("cp1252")

REPORT_2026 = """afdeling;thema;vraag;score;n;benchmark;sd;schaal;opmerking
ICT;Dienstverlening;Ik word teruggebeld zoals beloofd;6,1;52;6,9;1,6;1-10;Terugbellen duurt vaak meer dan een dag.
ICT;Bereikbaarheid;De servicedesk is goed bereikbaar;4,3;52;3,7;0,8;1-5;
Financiën;Dienstverlening;Ik word teruggebeld zoals beloofd;7,5;25;6,9;1,1;1-10;
""".encode("cp1252")


@pytest.fixture
def departments(ctx):
    return {
        "ICT": make_department("Informatievoorziening & ICT", "ICT"),
        "FIN": make_department("Financiën", "FIN"),
        "JZ": make_department("Juridische Zaken", "JZ"),
    }


def _cli(app, tmp_path, name, data, *args):
    path = tmp_path / name
    path.write_bytes(data)
    return app.test_cli_runner().invoke(args=["import-survey", str(path), *args])


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_cli_imports_findings_report_with_anonymity(app, tmp_path, departments):
    result = _cli(
        app,
        tmp_path,
        "rapport-2025.csv",
        REPORT_2025,
        "--round",
        "KTO 2025",
        "--held-on",
        "2025-03-01",
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["format"] == "findings"
    question = "Ik word teruggebeld zoals beloofd"
    assert report["departments"]["ICT"]["questions"][question] == {"score": 6.5, "n": 48}
    # Juridische Zaken has 4 respondents, under the threshold of 5: no score, no comment.
    assert report["departments"]["Juridische Zaken"]["questions"][question]["score"] is None

    ict = departments["ICT"]
    finding = db.session.scalar(
        select(Finding)
        .join(Question)
        .where(Finding.department_id == ict.id, Question.text == question)
    )
    assert (finding.score, finding.n, finding.benchmark, finding.sd) == (6.5, 48, 6.9, 1.5)
    hidden = db.session.scalar(select(Finding).where(Finding.department_id == departments["JZ"].id))
    assert hidden.score is None and hidden.suppressed
    texts = db.session.scalars(select(SurveyComment.text)).all()
    assert texts == ["Prettig contact."]
    record = db.session.scalar(select(SurveyImport))
    assert (record.file_name, record.detected_format, record.findings) == (
        "rapport-2025.csv",
        "findings",
        4,
    )
    # The import is in the audit trail.
    from tracker.audit.models import AuditEvent

    [audited] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "survey_import.created")
    ).all()
    assert audited.subject_id == record.id
    assert audited.details["file_name"] == "rapport-2025.csv"


def test_previous_round_and_plain_language_summary(app, tmp_path, departments, client):
    _cli(app, tmp_path, "r2025.csv", REPORT_2025, "--round", "KTO 2025", "--held-on", "2025-03-01")
    result = _cli(
        app, tmp_path, "r2026.csv", REPORT_2026, "--round", "KTO 2026", "--held-on", "2026-03-01"
    )
    assert result.exit_code == 0, result.output
    round_2026 = db.session.scalar(select(SurveyRound).where(SurveyRound.name == "KTO 2026"))
    callback = db.session.scalar(
        select(Finding)
        .join(Question)
        .where(
            Finding.round_id == round_2026.id,
            Finding.department_id == departments["ICT"].id,
            Question.text == "Ik word teruggebeld zoals beloofd",
        )
    )
    assert callback.previous_score == 6.5
    assert callback.proposed and callback.kind is FindingKind.below_benchmark

    director = make_user(Role.director, email="dir@example.org", directs=[departments["ICT"]])
    client.login(director.email)
    page = client.get(f"/surveys/{round_2026.id}/departments/{departments['ICT'].id}")
    html = page.get_data(as_text=True)
    assert (
        "ICT scoort 6,1 op &#39;Ik word teruggebeld zoals beloofd&#39;: 0,8 onder de "
        "benchmark en 0,4 lager dan in KTO 2025."
    ) in html
    assert "Terugbellen duurt vaak meer dan een dag." in html
    client.post("/language", {"language": "en", "next": "/"})
    html = client.get(f"/surveys/{round_2026.id}/departments/{departments['ICT'].id}").get_data(
        as_text=True
    )
    assert (
        "ICT scores 6.1 on &#39;Ik word teruggebeld zoals beloofd&#39;: 0.8 below the "
        "benchmark and 0.4 lower than in KTO 2025."
    ) in html


def test_unknown_departments_stop_the_import_and_write_nothing(app, tmp_path, ctx):
    make_department("ICT", "ICT")
    result = _cli(app, tmp_path, "r.csv", REPORT_2025, "--round", "KTO 2025")
    assert result.exit_code != 0
    assert "Financiën" in result.output and "Juridische Zaken" in result.output
    assert "--create-departments" in result.output
    assert (_count(SurveyRound), _count(Finding), _count(SurveyImport)) == (0, 0, 0)
    created = _cli(
        app, tmp_path, "r.csv", REPORT_2025, "--round", "KTO 2025", "--create-departments"
    )
    assert created.exit_code == 0, created.output
    assert _count(Department) == 3


def test_dry_run_and_same_file_twice_write_nothing(app, tmp_path, departments):
    dry = _cli(app, tmp_path, "r.csv", REPORT_2025, "--round", "KTO 2025", "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.output)["findings"] == 4
    assert (_count(SurveyRound), _count(Finding)) == (0, 0)
    assert _cli(app, tmp_path, "r.csv", REPORT_2025, "--round", "KTO 2025").exit_code == 0
    again = _cli(app, tmp_path, "kopie.csv", REPORT_2025, "--round", "Other name")
    assert again.exit_code != 0 and "al geïmporteerd" in again.output
    assert (_count(SurveyRound), _count(Finding), _count(SurveyImport)) == (1, 4, 1)


def test_cli_imports_raw_qualtrics_responses(app, tmp_path, ctx):
    survey = generate(respondents=300, questions=8, departments=3, seed=7)
    result = _cli(
        app,
        tmp_path,
        "qualtrics.csv",
        survey.data,
        "--round",
        "KTO 2026",
        "--create-departments",
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["format"] == "qualtrics" and report["respondents"] == 300
    # Recompute one mean straight from the file with the csv module.
    rows = list(csv.reader(io.StringIO(survey.data.decode("utf-8-sig"))))
    header, answers = rows[0], rows[3:]
    dept_col, q_col = header.index("Q1"), header.index(survey.questions[0].key)
    labels = {
        "Helemaal mee oneens": 1,
        "Mee oneens": 2,
        "Neutraal": 3,
        "Mee eens": 4,
        "Helemaal mee eens": 5,
    }
    department = survey.departments[0]
    values = [
        labels[r[q_col]] if r[q_col] in labels else float(r[q_col])
        for r in answers
        if r[dept_col] == department and r[q_col] not in ("", "Weet niet")
    ]
    expected = sum(values) / len(values)
    stored = report["departments"][department]["questions"][survey.questions[0].text]
    assert stored["n"] == len(values)
    assert stored["score"] == pytest.approx(expected)
    assert _count(Finding) == 3 * 8


def test_broken_file_gives_a_clear_message_and_writes_nothing(app, tmp_path, departments):
    bad = REPORT_2025.replace(b"6,5;48", b"zes;48")
    result = _cli(app, tmp_path, "kapot.csv", bad, "--round", "KTO 2025")
    assert result.exit_code != 0
    assert "kapot.csv" in result.output and "zes" in result.output
    assert (_count(SurveyRound), _count(Finding), _count(SurveyImport)) == (0, 0, 0)
    empty = _cli(app, tmp_path, "leeg.csv", b"", "--round", "KTO 2025")
    assert empty.exit_code != 0 and "leeg" in empty.output


def _upload(client, data, name="rapport.csv", round_name="KTO 2026", **extra):
    return client.post(
        "/surveys/import",
        {"file": (io.BytesIO(data), name), "round_name": round_name, "format": "auto", **extra},
        content_type="multipart/form-data",
    )


def test_wizard_upload_preview_and_confirm(client, departments):
    director = make_user(Role.director, email="dir@example.org", directs=[departments["ICT"]])
    client.login(director.email)
    response = _upload(client, REPORT_2026, held_on="2026-03-01")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert 'data-detected-format="findings"' in preview
    assert "Financiën" in preview and "De servicedesk is goed bereikbaar" in preview
    assert _count(Finding) == 0  # nothing saved before confirming
    token_url = preview_url.split("?")[0]
    done = client.post(
        token_url,
        {
            "round": "KTO 2026",
            "held_on": "2026-03-01",
            "format": "auto",
            "department_column": "",
            "department": "",
            "confirm": "Importeren",
        },
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _count(Finding) == 3
    round_page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "is geïmporteerd" in round_page and "Informatievoorziening &amp; ICT" in round_page
    # The upload is gone once imported: the confirm cannot be replayed.
    again = client.post(token_url, {"round": "KTO 2026", "confirm": "Importeren"})
    assert again.status_code == 302 and _count(Finding) == 3


def test_wizard_maps_an_unknown_department(client, departments):
    admin = make_user(Role.admin, email="admin@example.org")
    client.login(admin.email)
    data = REPORT_2026.replace(b"Financi\xebn", b"Financiele administratie")
    preview_url = _upload(client, data).headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert "(onbekend: kies of maak aan)" in preview
    token_url = preview_url.split("?")[0]
    refused = client.post(token_url, {"round": "KTO 2026", "format": "auto", "confirm": "y"})
    assert "Financiele administratie" in refused.get_data(as_text=True)
    assert _count(Finding) == 0
    mapped = client.post(
        token_url,
        {
            "round": "KTO 2026",
            "format": "auto",
            "confirm": "y",
            "map_name-1": "ICT",
            "map-1": "",
            "map_name-2": "Financiele administratie",
            "map-2": str(departments["FIN"].id),
        },
    )
    assert mapped.status_code == 302
    assert (
        db.session.scalar(
            select(func.count(Finding.id)).where(Finding.department_id == departments["FIN"].id)
        )
        == 1
    )
    assert _count(Department) == 3


def test_wizard_refuses_a_file_that_is_not_a_survey(client, departments):
    admin = make_user(Role.admin, email="admin@example.org")
    client.login(admin.email)
    # Refused on the upload form itself, next to the file field, with nothing kept.
    response = _upload(client, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, name="foto.png")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "foto.png" in html and 'role="alert"' in html and 'aria-invalid="true"' in html
    assert 'value="Importeren"' not in html
    assert _count(SurveyRound) == 0


def test_upload_over_the_limit_is_a_413(client, departments, app):
    admin = make_user(Role.admin, email="admin@example.org")
    client.login(admin.email)
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    try:
        response = _upload(client, b"a;b\n" * 10_000)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413 and _count(SurveyRound) == 0


def test_director_triages_own_findings_only(app, tmp_path, departments, client, make_client):
    _cli(app, tmp_path, "r.csv", REPORT_2026, "--round", "KTO 2026")
    finding = db.session.scalar(
        select(Finding).where(
            Finding.department_id == departments["ICT"].id, Finding.proposed.is_(True)
        )
    )
    director = make_user(Role.director, email="dir@example.org", directs=[departments["ICT"]])
    other = make_user(Role.director, email="other@example.org", directs=[departments["FIN"]])
    client.login(director.email)
    prefix = f"f{finding.id}-"
    refused = client.post(
        f"/findings/{finding.id}/triage",
        {
            prefix + "triage": "no_action",
            prefix + "sphere": "outside",
            prefix + "no_action_reason": "",
        },
        follow_redirects=True,
    )
    assert "Geef aan waarom er geen actie komt" in refused.get_data(as_text=True)
    assert db.session.get(Finding, finding.id).triage is Triage.untriaged
    client.post(
        f"/findings/{finding.id}/triage",
        {prefix + "triage": "act", prefix + "sphere": "own", prefix + "no_action_reason": ""},
    )
    stored = db.session.get(Finding, finding.id)
    assert stored.triage is Triage.act and stored.triaged_by_id == director.id
    intruder = make_client()
    intruder.login(other.email)
    forged = intruder.post(
        f"/findings/{finding.id}/triage",
        {prefix + "triage": "no_action", prefix + "no_action_reason": "Geen budget"},
    )
    assert forged.status_code == 403
    assert db.session.get(Finding, finding.id).triage is Triage.act


@pytest.mark.parametrize("lang, header", [("nl", "afdeling;thema"), ("en", "department,theme")])
def test_findings_template_downloads(ctx, client, lang, header):
    admin = make_user(Role.admin, email="admin@example.org")
    client.login(admin.email)
    response = client.get(f"/surveys/template.csv?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.decode("utf-8-sig").startswith(header)


def test_round_label_map_is_used_by_the_next_import(app, tmp_path, client, departments):
    admin = make_user(Role.admin, email="admin@example.org")
    # The round exists; ICT's file will use the questionnaire's own answer words.
    db.session.add(SurveyRound(name="KTO 2026", held_on=date(2026, 3, 1), label_map={}))
    db.session.commit()
    round_ = db.session.scalar(select(SurveyRound))
    client.login(admin.email)
    refused = client.post(f"/surveys/{round_.id}/labels", {"labels": "Heel goed 5"})
    assert "Regel 1 is niet" in refused.get_data(as_text=True)
    client.post(f"/surveys/{round_.id}/labels", {"labels": "Heel goed = 5\nMatig = 2\nGeen idee ="})
    assert db.session.get(SurveyRound, round_.id).label_map == {
        "Heel goed": 5.0,
        "Matig": 2.0,
        "Geen idee": None,
    }
    assert "Heel goed = 5" in client.get(f"/surveys/{round_.id}/labels").get_data(as_text=True)

    rows = ["Afdeling,Hoe tevreden bent u over ICT?"] + [
        f"ICT,{answer}" for answer in ["Heel goed"] * 4 + ["Matig"] * 2 + ["Geen idee"]
    ]
    result = _cli(
        app,
        tmp_path,
        "ict.csv",
        "\n".join(rows).encode(),
        "--round",
        "KTO 2026",
        "--department-column",
        "Afdeling",
        "--json",
    )
    assert result.exit_code == 0, result.output
    score = json.loads(result.output)["departments"]["ICT"]["questions"][
        "Hoe tevreden bent u over ICT?"
    ]
    assert score == {"score": pytest.approx((4 * 5 + 2 * 2) / 6), "n": 6}


def test_wizard_maps_column_blocks_to_departments(client, departments):
    from pathlib import Path

    data = (Path(__file__).parents[1] / "unit/importers/data/googleforms_blocks.csv").read_bytes()
    admin = make_user(Role.admin, email="admin@example.org")
    client.login(admin.email)
    preview_url = _upload(client, data, name="blokken.csv").headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert "Kolomblokken per afdeling" in preview
    token_url = preview_url.split("?")[0]
    labels = ["ICT", "HR", "Facilitaire Zaken"]
    form = {"round": "KTO 2026", "format": "auto", "confirm": "y", "create_departments": "y"}
    for number, label in enumerate(labels, start=1):
        form[f"block_label-{number}"] = label
    form["block-1"] = str(departments["ICT"].id)
    form["block-2"] = str(departments["FIN"].id)  # HR's block counts for Finance here
    form["block-3"] = ""  # not a department: ignored
    response = client.post(token_url, form)
    assert response.status_code == 302, response.get_data(as_text=True)
    counted = dict(
        db.session.execute(
            select(Department.short_name, func.count(Finding.id))
            .join(Finding, Finding.department_id == Department.id)
            .group_by(Department.short_name)
        ).all()
    )
    assert counted == {"ICT": 2, "FIN": 2}


def test_entering_benchmarks_proposes_findings_again(app, tmp_path, departments, client):
    report = REPORT_2026.replace(b";6,9;", b";;").replace(b";3,7;", b";;")  # no benchmarks
    assert _cli(app, tmp_path, "r.csv", report, "--round", "KTO 2026").exit_code == 0
    round_ = db.session.scalar(select(SurveyRound))
    callback = db.session.scalar(select(Question).where(Question.text.like("Ik word terug%")))
    reach = db.session.scalar(select(Question).where(Question.text.like("De servicedesk%")))
    admin = make_user(Role.admin, email="admin@example.org")
    client.login(admin.email)
    wrong = client.post(
        f"/surveys/{round_.id}/benchmarks",
        {f"benchmark-{callback.id}": "zeven", f"benchmark-{reach.id}": "9"},
    )
    assert "Vul een getal in" in wrong.get_data(as_text=True)
    out_of_scale = client.post(
        f"/surveys/{round_.id}/benchmarks",
        {f"benchmark-{callback.id}": "7", f"benchmark-{reach.id}": "9"},
    )
    assert "moet liggen tussen 1 en 5" in out_of_scale.get_data(as_text=True)
    assert (
        db.session.scalar(select(func.count(Finding.id)).where(Finding.benchmark.is_not(None))) == 0
    )
    saved = client.post(
        f"/surveys/{round_.id}/benchmarks",
        {f"benchmark-{callback.id}": "7,2", f"benchmark-{reach.id}": ""},
    )
    assert saved.status_code == 302
    ict_callback = db.session.scalar(
        select(Finding).where(
            Finding.question_id == callback.id, Finding.department_id == departments["ICT"].id
        )
    )
    assert ict_callback.benchmark == 7.2
    assert ict_callback.proposed and ict_callback.kind is FindingKind.below_benchmark


def test_results_page_shows_each_findings_actions_and_offers_to_create_one(
    app, tmp_path, departments, client
):
    from tests.factories import make_action

    _cli(app, tmp_path, "r.csv", REPORT_2026, "--round", "KTO 2026")
    director = make_user(Role.director, email="dir@example.org", directs=[departments["ICT"]])
    owner = make_user(Role.owner, email="own@example.org", staff_of=[departments["ICT"]])
    finding = db.session.scalar(
        select(Finding).where(
            Finding.department_id == departments["ICT"].id, Finding.proposed.is_(True)
        )
    )
    finding.triage = Triage.act
    db.session.commit()
    client.login(director.email)
    url = f"/surveys/{finding.round_id}/departments/{departments['ICT'].id}"
    html = client.get(url).get_data(as_text=True)
    assert f"/departments/{departments['ICT'].id}/actions/new?finding={finding.id}" in html
    make_action(
        departments["ICT"], owner, by=director, title="Terugbelbelofte nakomen", findings=[finding]
    )
    assert "Terugbelbelofte nakomen" in client.get(url).get_data(as_text=True)


def test_a_refused_upload_is_not_kept(client, departments, app):
    """An unreadable file gets its message on the upload form and is not stored; a good one
    is stored until the import is confirmed."""
    from pathlib import Path

    director = make_user(Role.director, email="dir@example.org", directs=[departments["ICT"]])
    client.login(director.email)
    folder = Path(app.instance_path) / "uploads"
    before = set(folder.glob("*")) if folder.exists() else set()
    for data, name in ((b"\x00\x01\x02binary", "foto.csv"), (b"PK\x03\x04kapot", "kapot.xlsx")):
        response = _upload(client, data, name=name)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert name in page and 'aria-invalid="true"' in page
        assert (set(folder.glob("*")) if folder.exists() else set()) == before
    kept = _upload(client, REPORT_2026, held_on="2026-03-01")
    assert kept.status_code == 302
    assert len(set(folder.glob("*")) - before) == 2  # the file and what it is
