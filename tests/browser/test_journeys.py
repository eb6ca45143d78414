"""The three end-to-end journeys of the tracker in real headless Chromium (issue 8).

1. A director imports a survey export through the wizard, decides on a finding, creates two
   actions, plans a staff meeting, builds its agenda and records a decision in meeting mode.
2. An owner follows the link in a reminder received by the local SMTP server, logs in, posts
   a progress update and closes the action as done with its result.
3. An employee reads "you said, we did" for a department, sees what was done, and reacts to a
   planned action.

Each journey asserts on what the user sees and on what is stored afterwards. The live server
shares the test database, so the test's own session is expired before it reads what the
browser changed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bench import synthetic
from tests.factories import PASSWORD, make_action, make_department, make_finding, make_user
from tests.mailserver import mail_server  # noqa: F401  (fixture)
from tracker import clock
from tracker.actions import services as actions
from tracker.actions.models import ActionStatus, ImprovementAction, ProgressUpdate
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.surveys.models import Finding, RoundParticipation, SurveyRound, Triage

ROUND = "KTO voorjaar 2026"


def _log_in(page, email: str) -> None:
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()


def _nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role(
        "link", name=name, exact=True
    ).click()


def _flash(page, text: str) -> None:
    expect(page.get_by_text(text).first).to_be_visible()


def _heading(page, text: str) -> None:
    """Wait for the page whose main heading is `text` (clicks do not wait for the next page)."""
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def _move(action, director, *statuses, **extra):
    """Take an action along the workflow, as the director does on the action page."""
    for status in statuses:
        db.session.refresh(action)
        kwargs = extra if status is ActionStatus.done else {}
        actions.change_status(director, action, status, expected_version=action.version, **kwargs)
        db.session.commit()
    return action


def _stored():
    """Forget what the test's session holds: the live server changed the database."""
    db.session.expire_all()


# --- 1. Director ----------------------------------------------------------------------------


@pytest.fixture
def director_world(ctx, tmp_path):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    make_department("Personeel en Organisatie", "HR")
    make_department("Financiën", "FIN")
    director = make_user(
        Role.director, email="dir@example.org", name="Diederik Jansen", directs=[ict]
    )
    olga = make_user(Role.owner, email="own@example.org", name="Olga Visser", staff_of=[ict])
    bram = make_user(Role.owner, email="bram@example.org", name="Bram de Vries", staff_of=[ict])
    survey = synthetic.generate(respondents=120, questions=8, departments=3, seed=8)
    assert survey.departments == ["ICT", "HR", "Financiën"]
    export = tmp_path / "kto-voorjaar-2026-qualtrics.csv"
    export.write_bytes(survey.data)
    return {"ict": ict, "director": director, "olga": olga, "bram": bram, "export": export}


def _new_action(page, title: str, owner: str, deadline: date, finding_text: str) -> None:
    page.get_by_role("link", name="Nieuwe actie").click()
    _heading(page, "Nieuwe verbeteractie voor Informatievoorziening & ICT")
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Omschrijving").fill(
        "Wat er concreet verandert, voor wie, en hoe we het merken."
    )
    page.get_by_label("Actiehouder", exact=True).select_option(label=owner)
    page.get_by_label("Deadline").fill(deadline.isoformat())
    page.get_by_role("group", name="Bevindingen die deze actie opvolgt").get_by_label(
        re.compile(re.escape(finding_text))
    ).check()
    page.get_by_role("button", name="Opslaan").click()
    _flash(page, "De verbeteractie is aangemaakt.")
    _heading(page, title)


def test_director_imports_triages_plans_and_decides_in_the_staff_meeting(
    page, live_server, director_world
):
    world = director_world
    today = clock.today()
    page.goto(f"{live_server}/login")
    _log_in(page, "dir@example.org")

    # Import the survey export through the wizard.
    _nav(page, "Onderzoeksresultaten")
    _heading(page, "Onderzoeksrondes")
    page.get_by_role("link", name="Onderzoeksresultaten importeren").click()
    page.get_by_label("Export van het onderzoek").set_input_files(str(world["export"]))
    page.get_by_label("Onderzoeksronde").fill(ROUND)
    page.get_by_label("Datum van de resultaten").fill("2026-03-15")
    page.get_by_role("button", name="Uploaden en bekijken").click()

    _heading(page, "Controleer het voorbeeld")
    assert (
        page.locator("[data-detected-format]").get_attribute("data-detected-format") == "qualtrics"
    )
    expect(page.locator("dt:text-is('Respondenten') + dd")).to_have_text("120")
    departments = page.get_by_role("table", name="Afdelingen")
    for in_file, known in (
        ("ICT", "Informatievoorziening & ICT"),
        ("HR", "Personeel en Organisatie"),
        ("Financiën", "Financiën"),
    ):
        row = departments.get_by_role("row").filter(
            has=page.get_by_role("cell", name=in_file, exact=True)
        )
        assert (
            row.get_by_label(f"Afdeling voor {in_file}").locator("option:checked").inner_text()
            == known
        )
    assert page.get_by_text("Sommige afdelingen in het bestand zijn niet bekend").count() == 0
    assert db.session.scalar(select(SurveyRound)) is None  # nothing saved before confirming
    page.get_by_role("button", name="Importeren", exact=True).click()

    _flash(page, "kto-voorjaar-2026-qualtrics.csv is geïmporteerd: 3 afdelingen")
    _heading(page, ROUND)
    _stored()
    round_ = db.session.scalar(select(SurveyRound).where(SurveyRound.name == ROUND))
    assert round_ is not None and round_.held_on == date(2026, 3, 15)
    ict_findings = db.session.scalars(
        select(Finding).where(
            Finding.round_id == round_.id, Finding.department_id == world["ict"].id
        )
    ).all()
    assert len(ict_findings) == 8

    # Decide on a finding of ICT: act on it.
    page.get_by_role("link", name="Informatievoorziening & ICT").click()
    finding_card = page.locator("[data-finding]").first
    finding_id = int(finding_card.get_attribute("data-finding"))
    finding_card.get_by_text("Besluiten", exact=True).click()
    finding_card.get_by_label("Besluit", exact=True).select_option(label="Oppakken")
    finding_card.get_by_label("Invloedssfeer").select_option(label="Onze eigen afdeling")
    finding_card.get_by_role("button", name="Besluit opslaan").click()
    _flash(page, "Het besluit is opgeslagen.")
    expect(page.locator(f"#finding-{finding_id} [data-triage]")).to_have_text("oppakken")
    _stored()
    finding = db.session.get(Finding, finding_id)
    assert finding.triage is Triage.act
    question_text = finding.question.text

    # Two actions with owners and deadlines, both following up the finding.
    first_title = "Elke melding binnen 4 werkuren terugbellen"
    second_title = "Publiceren wat interne klanten van ons mogen verwachten"
    _nav(page, "Acties")
    _heading(page, "Acties van alle afdelingen")
    page.get_by_role("link", name="Informatievoorziening & ICT").first.click()
    _heading(page, "Acties van Informatievoorziening & ICT")
    _new_action(page, first_title, "Olga Visser", today + timedelta(days=21), question_text)
    page.get_by_role("link", name="Acties van Informatievoorziening & ICT").click()
    _heading(page, "Acties van Informatievoorziening & ICT")
    _new_action(page, second_title, "Bram de Vries", today + timedelta(days=45), question_text)
    _stored()
    created = {a.title: a for a in db.session.scalars(select(ImprovementAction))}
    assert set(created) == {first_title, second_title}
    assert created[first_title].owner_id == world["olga"].id
    assert created[first_title].deadline == today + timedelta(days=21)
    assert created[second_title].owner_id == world["bram"].id
    assert created[second_title].deadline == today + timedelta(days=45)
    assert all([f.id for f in a.findings] == [finding_id] for a in created.values())
    assert all(a.status is ActionStatus.proposed for a in created.values())

    # Plan the weekly staff meeting of ICT.
    _nav(page, "Stafoverleg")
    _heading(page, "Stafoverleg")
    page.get_by_role("link", name="Overlegreeks plannen").click()
    page.get_by_label("Naam").fill("Stafoverleg ICT")
    page.get_by_label("Overleg van").select_option(label="Informatievoorziening & ICT")
    page.get_by_label("Herhaling").select_option(value="weekly")
    page.get_by_label("Dag van de week").select_option(
        value=str((today + timedelta(days=2)).weekday())
    )
    page.get_by_label("Vanaf").fill((today + timedelta(days=1)).isoformat())
    page.get_by_label("Tijd", exact=True).fill("10:00")
    page.get_by_label("Plaats").fill("Kamer 2.14")
    page.get_by_role("button", name="Opslaan").click()
    _flash(page, "De overlegreeks is opgeslagen en de overleggen zijn ingepland.")

    # Build the agenda of the first meeting: both new actions await approval.
    _nav(page, "Stafoverleg")
    _heading(page, "Stafoverleg")
    page.locator("[data-coming] a").first.click()
    page.get_by_role("button", name="Agenda nu opstellen").click()
    _flash(page, "De agenda is opgesteld uit de huidige stand van de acties.")
    agenda = page.locator("#agenda").inner_text()
    assert "Nieuwe acties die wachten op goedkeuring" in agenda
    assert first_title in agenda and second_title in agenda
    item = page.locator("[data-item]").filter(has_text=first_title)
    assert "Olga Visser" in item.inner_text()

    # Meeting mode: go to the first action and record the decision.
    page.get_by_role("link", name="Vergadermodus starten").click()
    items = page.get_by_role("navigation", name="Agendapunten")
    expect(items).to_contain_text("Agendapunt 1 van")
    number = 1
    while page.locator("[data-item-title]").inner_text() != first_title and number < 10:
        page.get_by_role("link", name="Volgende").click()
        number += 1
        expect(items).to_contain_text(f"Agendapunt {number} van")
    expect(page.locator("[data-item-title]")).to_have_text(first_title)
    decision = "Akkoord; Olga start maandag met het belscript."
    page.get_by_label("Besluit of aantekening").fill(decision)
    page.get_by_role("button", name="Besluit vastleggen").click()
    _flash(page, "Het besluit is vastgelegd.")

    # Back on the agenda, the decision shows at the item; it leads to the action's history.
    page.get_by_role("link", name="Agenda van Stafoverleg ICT").click()
    item = page.locator("[data-item]").filter(has_text=first_title)
    expect(item.locator("[data-outcome]")).to_contain_text(decision)
    item.get_by_role("link", name=first_title).click()
    _heading(page, first_title)
    history = page.locator("[data-history]").inner_text()
    assert decision in history
    assert "besloten in stafoverleg van" in history

    from tracker.meetings.models import AgendaItem, ItemState

    _stored()
    stored_item = db.session.scalar(
        select(AgendaItem).where(AgendaItem.action_id == created[first_title].id)
    )
    assert stored_item.outcome == decision
    assert stored_item.state is ItemState.decided
    assert page.console_errors == []


# --- 2. Owner -------------------------------------------------------------------------------


@pytest.fixture
def owner_world(ctx, app, live_server):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    director = make_user(
        Role.director, email="dir@example.org", name="Diederik Jansen", directs=[ict]
    )
    owner = make_user(Role.owner, email="own@example.org", name="Olga Visser", staff_of=[ict])
    action = make_action(
        ict,
        owner,
        by=director,
        title="Elke melding binnen 4 werkuren terugbellen",
        deadline=clock.today() + timedelta(days=3),
    )
    _move(action, director, ActionStatus.planned, ActionStatus.in_progress)
    # Links in mail are built on BASE_URL: here, the live server.
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = live_server
    yield {"ict": ict, "owner": owner, "action": action}
    app.config["BASE_URL"] = saved


def test_owner_follows_the_reminder_link_and_closes_the_action(
    page, live_server, owner_world, mail_server
):  # noqa: F811
    from tracker.scheduler.jobs import run_in_context
    from tracker.types import utcnow

    action = owner_world["action"]
    now = utcnow()
    assert run_in_context("reminders", now=now).get("error") is None
    delivered = run_in_context("deliver", now=now)
    assert delivered.get("sent", 0) >= 1, delivered

    mails = mail_server.recorder.to("own@example.org")
    assert len(mails) == 1
    text = mails[0].text()
    assert "Elke melding binnen 4 werkuren terugbellen" in text
    link = re.search(r"Voortgang bijwerken: (\S+)", text).group(1)
    assert link.startswith(live_server)

    # Not logged in: the link asks to log in first, then leads to the action's update form.
    page.goto(link)
    expect(page.get_by_role("button", name="Inloggen")).to_be_visible()
    _log_in(page, "own@example.org")
    page.wait_for_url(re.compile(rf"/actions/{action.id}(#h-update)?$"))
    _heading(page, "Elke melding binnen 4 werkuren terugbellen")

    form = page.locator(f"[data-update-form='{action.id}']")
    form.get_by_label("Wat is er gebeurd?").fill("Belscript getest met de servicedesk.")
    form.get_by_label("Voortgang (%)").fill("60")
    form.get_by_role("button", name="Voortgang opslaan").click()
    _flash(page, "Je voortgangsmelding is opgeslagen.")
    assert "Belscript getest met de servicedesk." in page.locator("[data-history]").inner_text()

    form = page.locator(f"[data-update-form='{action.id}']")
    form.get_by_label("Wat is er gebeurd?").fill("Iedereen werkt nu met het belscript.")
    form.get_by_label("Voortgang (%)").fill("100")
    form.get_by_label("Nieuwe status").select_option(label="Gereed")
    form.get_by_text("Actie gereed melden? Beschrijf het resultaat").click()
    result = "Wij deden: elke melding wordt nu binnen 4 werkuren teruggebeld."
    form.get_by_label('Resultaat ("wij deden …")').fill(result)
    form.get_by_role("button", name="Voortgang opslaan").click()

    expect(page.locator("[data-status]").first).to_have_text("Gereed")
    result_section = page.get_by_role("region", name="Resultaat: wij deden")
    assert result in result_section.inner_text()
    history = page.locator("[data-history]").inner_text()
    assert "Iedereen werkt nu met het belscript." in history

    _stored()
    stored = db.session.get(ImprovementAction, action.id)
    assert stored.status is ActionStatus.done
    assert stored.result == result
    assert stored.progress == 100
    updates = db.session.scalars(
        select(ProgressUpdate)
        .where(ProgressUpdate.action_id == action.id)
        .order_by(ProgressUpdate.id)
    ).all()
    assert [u.text for u in updates][-2:] == [
        "Belscript getest met de servicedesk.",
        "Iedereen werkt nu met het belscript.",
    ]
    assert page.console_errors == []


# --- 3. Employee ----------------------------------------------------------------------------


@pytest.fixture
def employee_world(ctx):
    ict = make_department("Informatievoorziening & ICT", "ICT")
    director = make_user(
        Role.director, email="dir@example.org", name="Diederik Jansen", directs=[ict]
    )
    owner = make_user(Role.owner, email="own@example.org", name="Olga Visser", staff_of=[ict])
    make_user(Role.employee, email="emp@example.org", name="Emre Yilmaz")
    finding = make_finding(ict, triage=Triage.act)
    db.session.add(
        RoundParticipation(round_id=finding.round_id, department_id=ict.id, respondents=40)
    )
    db.session.commit()
    done = make_action(
        ict, owner, by=director, title="Terugbellen binnen 4 uur", findings=[finding]
    )
    _move(
        done,
        director,
        ActionStatus.planned,
        ActionStatus.in_progress,
        ActionStatus.done,
        result="Elke melding wordt nu binnen 4 werkuren teruggebeld.",
    )
    planned = make_action(
        ict, owner, by=director, title="Verwachtingen publiceren", findings=[finding]
    )
    _move(planned, director, ActionStatus.planned)
    return {"ict": ict, "done": done, "planned": planned}


def test_employee_reads_what_was_done_and_reacts_to_a_planned_action(
    page, live_server, employee_world
):
    from tracker.cocreation.models import CommentStatus, Reaction

    planned = employee_world["planned"]
    page.goto(f"{live_server}/login")
    _log_in(page, "emp@example.org")

    _nav(page, "Jullie zeiden, wij deden")
    _heading(page, "Jullie zeiden, wij deden")
    page.get_by_role("link", name="Informatievoorziening & ICT").first.click()
    _heading(page, "Informatievoorziening & ICT: jullie zeiden, wij deden")

    done = page.locator(f"#action-{employee_world['done'].id}")
    assert done.get_attribute("data-status") == "done"
    assert "Terugbellen binnen 4 uur" in done.inner_text()
    assert "Wij deden: Elke melding wordt nu binnen 4 werkuren teruggebeld." in done.inner_text()

    card = page.locator(f"#action-{planned.id}")
    assert card.get_attribute("data-status") == "planned"
    card.get_by_text("Jouw reactie").click()
    card.get_by_label("Dit helpt", exact=True).check()
    card.get_by_label("Opmerking (niet verplicht)").fill("Fijn, dan weet ik wat ik mag verwachten.")
    card.get_by_role("button", name="Reactie versturen").click()
    _flash(page, "Bedankt. Je opmerking verschijnt zodra een directeur haar heeft gelezen.")
    card = page.locator(f"#action-{planned.id}")
    assert "1 collega zegt dat dit helpt" in card.inner_text()
    assert "(dit helpt)" in card.locator("summary").inner_text()

    _stored()
    reaction = db.session.scalar(select(Reaction).where(Reaction.action_id == planned.id))
    assert reaction.verdict.value == "helps"
    assert reaction.comment == "Fijn, dan weet ik wat ik mag verwachten."
    assert reaction.comment_status is CommentStatus.pending
    assert page.console_errors == []
