"""The demo municipality: departments and people of every role, for `make run`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask import current_app

from tracker import clock
from tracker.auth.models import Role
from tracker.auth.services import create_user
from tracker.extensions import db
from tracker.organisation.services import create_department, create_directorate, save_settings

PASSWORD = "tracker-demo"

#: The documented demo log-ins (README).
LOGINS = [
    ("admin@demo.example", "admin"),
    ("director@demo.example", "director"),
    ("owner@demo.example", "owner"),
    ("employee@demo.example", "employee"),
]

DEPARTMENTS = [
    ("Informatievoorziening & ICT", "ICT"),
    ("Personeel & Organisatie", "HR"),
    ("Financiën", "FIN"),
    ("Facilitaire Zaken", "FZ"),
    ("Juridische Zaken", "JZ"),
    ("Communicatie", "COM"),
]


def load(now: datetime | None = None) -> None:
    """The demo organisation. `now`: the moment its staff meetings are planned around (the
    rest is dated from the real today); tests choose e.g. the week before Christmas."""
    hash_method = current_app.config["PASSWORD_HASH_METHOD"]
    save_settings(
        None,
        name="Gemeente Zuiderveen",
        default_locale="nl",
        anonymity_threshold=5,
        timezone="Europe/Amsterdam",
        holiday_country="NL",
        # Like many municipalities: closed between Christmas and New Year.
        closed_days="27-12 – 31-12: kerstsluiting",
        # Stricter than the defaults: a department gets the handful of points that stand out
        # (2 to 8 to act on), not every question of the survey.
        rules={
            "finding_below_benchmark": 1.2,
            "finding_dropped": 1.8,
            "finding_strength_above": 1.4,
            "finding_lowest_count": 2,
        },
    )
    directorate = create_directorate(None, "Dienstendirectie")
    departments = {
        short: create_department(None, name=name, short_name=short, directorate=directorate)
        for name, short in DEPARTMENTS
    }

    def person(email, name, role, directs=(), staff_of=()):
        return create_user(
            None,
            email=email,
            name=name,
            role=role,
            password=PASSWORD,
            hash_method=hash_method,
            directs=[departments[s] for s in directs],
            staff_of=[departments[s] for s in staff_of],
        )

    person("admin@demo.example", "Anna de Beheerder", Role.admin)
    person("director@demo.example", "Diederik Jansen", Role.director, directs=["ICT", "FZ"])
    person("owner@demo.example", "Olga Visser", Role.owner, staff_of=["ICT"])
    person("employee@demo.example", "Emre Yilmaz", Role.employee)
    person("directeur.po@demo.example", "Petra Bakker", Role.director, directs=["HR", "COM"])
    person("directeur.fin@demo.example", "Frank de Wit", Role.director, directs=["FIN", "JZ"])
    person("jurist@demo.example", "Jeroen Smit", Role.owner, staff_of=["JZ"])
    person("controller@demo.example", "Charlotte Mulder", Role.owner, staff_of=["FIN"])
    person("hr.adviseur@demo.example", "Hanna de Vries", Role.owner, staff_of=["HR"])
    person("facilitair@demo.example", "Fatima El Amrani", Role.owner, staff_of=["FZ"])
    person("communicatie@demo.example", "Kees van Dijk", Role.owner, staff_of=["COM"])
    person("ict.specialist@demo.example", "Sanne Peters", Role.owner, staff_of=["ICT"])
    person("medewerker.wijk@demo.example", "Lotte Hendriks", Role.employee)
    person("medewerker.burgerzaken@demo.example", "Mohamed Bouzid", Role.employee)
    _demo_surveys()
    _demo_measured_actions()
    _demo_rising_department()
    _demo_actions()
    _demo_earlier_rounds_dealt_with()
    _demo_cocreation()
    _demo_meetings(now)


def _demo_earlier_rounds_dealt_with() -> None:
    """The earlier round was dealt with a year ago: the points its actions answered were
    acted on, and the rest no longer wait for a decision (a newcomer sees the handful of
    points of each round, not every question of the survey)."""
    from sqlalchemy import select

    from tracker.actions.models import action_finding
    from tracker.surveys.models import Finding, SurveyRound, Triage

    latest = db.session.scalar(select(SurveyRound).order_by(SurveyRound.held_on.desc()))
    answered = set(db.session.scalars(select(action_finding.c.finding_id)))
    for finding in db.session.scalars(select(Finding).where(Finding.round_id != latest.id)):
        if finding.id in answered:
            finding.triage = Triage.act
            finding.proposed = True
        elif finding.triage is Triage.untriaged:
            finding.proposed = False
    db.session.commit()


DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
#: Two rounds of the internal-customer survey, as Qualtrics exports (made by
#: bench.synthetic), imported through the real importer.
SURVEY_FILES = [
    (
        "Intern klantonderzoek 2025",
        date(2025, 2, 10),
        date(2025, 3, 14),
        "klantonderzoek-2025-qualtrics.csv",
    ),
    (
        "Intern klantonderzoek 2026",
        date(2026, 2, 9),
        date(2026, 3, 13),
        "klantonderzoek-2026-qualtrics.csv",
    ),
]


#: The demo files have no theme column: their questions get a theme by this mapping.
DEMO_THEMES = {
    "De producten van de afdeling sluiten aan op mijn werk": "Producten en diensten",
    "De geleverde diensten zijn van goede kwaliteit": "Producten en diensten",
    "Het aanbod van de afdeling is duidelijk": "Producten en diensten",
    "Mijn vraag wordt snel opgepakt": "Dienstverlening",
    "Ik word teruggebeld wanneer dat is toegezegd": "Dienstverlening",
    "De afdeling levert wat is afgesproken": "Dienstverlening",
    "Medewerkers denken met mij mee": "Klantgerichtheid",
    "Medewerkers zijn vriendelijk en behulpzaam": "Klantgerichtheid",
    "Medewerkers begrijpen wat mijn werk inhoudt": "Klantgerichtheid",
    "De afdeling vraagt actief om feedback": "Klantgerichtheid",
    "De afdeling is goed telefonisch bereikbaar": "Bereikbaarheid",
    "Ik weet bij wie ik terecht kan": "Bereikbaarheid",
    "Een e-mail wordt binnen twee werkdagen beantwoord": "Bereikbaarheid",
    "De openingstijden passen bij mijn werktijden": "Bereikbaarheid",
    "De afdeling communiceert helder": "Communicatie",
    "Ik word tijdig geïnformeerd over veranderingen": "Communicatie",
    "Informatie op intranet is actueel": "Communicatie",
    "Ik word op de hoogte gehouden van de voortgang": "Communicatie",
    "De afdeling houdt zich aan afspraken": "Verwachtingen",
    "De afdeling legt uit waarom iets niet kan": "Verwachtingen",
}


#: What each director decided on the latest round's findings (question, triage, reason): the
#: findings the rules proposed, some still waiting (FZ's director finds them on the start page).
#: Each "act" has an action below in the same words; a "no action" says why, on that point.
DEMO_TRIAGE = {
    "ICT": [
        ("De afdeling is goed telefonisch bereikbaar", "act", None),
        ("De afdeling communiceert helder", "act", None),
        ("Medewerkers denken met mij mee", "act", None),
    ],
    "FZ": [
        ("De producten van de afdeling sluiten aan op mijn werk", "act", None),
    ],
    "HR": [
        ("De afdeling is goed telefonisch bereikbaar", "act", None),
        ("Medewerkers denken met mij mee", "act", None),
        (
            "De producten van de afdeling sluiten aan op mijn werk",
            "no_action",
            "Onze regelingen (verlof, werktijden, vergoedingen) volgen de cao; die kunnen wij "
            "niet per team aanpassen. Wel leggen we op intranet uit welke ruimte de cao biedt.",
        ),
    ],
    "FIN": [
        ("De afdeling communiceert helder", "act", None),
        (
            "De afdeling is goed telefonisch bereikbaar",
            "no_action",
            "Het financieel servicepunt is telefonisch bereikbaar op werkdagen van 9 tot 12 uur; "
            "langer bereikbaar zijn kost formatie die er niet is. Een e-mail beantwoorden we "
            "binnen twee werkdagen.",
        ),
    ],
    "JZ": [
        ("De afdeling legt uit waarom iets niet kan", "act", None),
        (
            "De geleverde diensten zijn van goede kwaliteit",
            "no_action",
            "Een advies dat iets niet toestaat, is daarom nog geen advies van mindere kwaliteit: "
            "wij toetsen aan wet en rechtspraak. Wel leggen we voortaan uit waarom iets niet kan.",
        ),
        ("De afdeling houdt zich aan afspraken", "strength", None),
    ],
    "COM": [
        ("De afdeling communiceert helder", "act", None),
        (
            "De afdeling is goed telefonisch bereikbaar",
            "no_action",
            "Ons telefoonnummer is de woordvoerderslijn voor de pers. Collega's bereiken ons via "
            "de chat of het formulier op intranet; daar reageren we binnen een werkdag.",
        ),
    ],
}


def _demo_surveys() -> None:
    from sqlalchemy import select

    from tracker.surveys.models import Finding, Sphere, Triage
    from tracker.surveys.services import ImportRequest, import_survey, triage_finding

    summary = None
    for name, fieldwork, held_on, file_name in SURVEY_FILES:
        summary = import_survey(
            None,
            (DEMO_DATA / file_name).read_bytes(),
            file_name,
            ImportRequest(
                round_name=name,
                held_on=held_on,
                fieldwork_started_on=fieldwork,
                question_themes=DEMO_THEMES,
            ),
        )
    latest = summary.round
    for department in summary.departments.values():
        director = department.directors[0]
        findings = {
            f.question.text: f
            for f in db.session.scalars(
                select(Finding).where(
                    Finding.round_id == latest.id, Finding.department_id == department.id
                )
            )
        }
        for question, decided, reason in DEMO_TRIAGE.get(department.short_name, ()):
            triage = Triage(decided)
            sphere = Sphere.outside if triage is Triage.no_action else Sphere.own
            triage_finding(director, findings[question], triage, sphere, reason)


#: Actions on the 2025 round's findings, done before (or, the last one, after) the 2026 round's
#: fieldwork began, so the 2026 round measures them: (department, question, owner, director,
#: title, result, done on). The 2026 scores decide the verdict: two helped, two did not, and
#: the last one was done too late to measure.
MEASURED_ACTIONS = [
    (
        "ICT",
        "Een e-mail wordt binnen twee werkdagen beantwoord",
        "owner",
        "director",
        "Elke e-mail binnen twee werkdagen beantwoorden",
        "Een gedeelde mailbox met dagelijkse verdeling: 95% van de e-mails is binnen twee "
        "werkdagen beantwoord.",
        date(2025, 9, 12),
    ),
    (
        "ICT",
        "Ik word tijdig geïnformeerd over veranderingen",
        "ict.specialist",
        "director",
        "Tijdig informeren over veranderingen: wijzigingskalender op intranet",
        "Elke wijziging aan systemen staat twee weken vooraf op de wijzigingskalender.",
        date(2025, 11, 3),
    ),
    (
        "FIN",
        "Een e-mail wordt binnen twee werkdagen beantwoord",
        "controller",
        "directeur.fin",
        "Vaste beantwoordingstermijn voor e-mail aan Financiën",
        "De termijn van twee werkdagen staat in de handtekening van elke medewerker.",
        date(2025, 10, 6),
    ),
    (
        "FZ",
        "Mijn vraag wordt snel opgepakt",
        "facilitair",
        "director",
        "Vragen sneller opgepakt: meldingen aan Facilitaire Zaken via één formulier",
        "Alle meldingen komen binnen via één formulier op intranet.",
        date(2025, 7, 14),
    ),
    (
        "JZ",
        "Ik word op de hoogte gehouden van de voortgang",
        "jurist",
        "directeur.fin",
        "Op de hoogte van de voortgang: tussenbericht bij adviezen die langer duren dan een week",
        "Wie langer dan een week op een advies wacht, krijgt een tussenbericht met de "
        "verwachte datum.",
        date(2026, 2, 20),
    ),
]


def _demo_measured_actions(measured_actions=MEASURED_ACTIONS) -> None:
    """Last year's actions on the 2025 findings, whose effect the 2026 round measured."""
    from datetime import datetime, time, timedelta, timezone

    from sqlalchemy import select

    from tracker.actions import services
    from tracker.actions.models import ActionStatus, Visibility
    from tracker.auth.models import User
    from tracker.organisation.models import Department
    from tracker.surveys.models import Finding, Question, Sphere, SurveyRound, Triage
    from tracker.surveys.services import triage_finding

    first_round = db.session.scalar(
        select(SurveyRound).where(SurveyRound.name == SURVEY_FILES[0][0])
    )
    people = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
    departments = {d.short_name: d for d in db.session.scalars(select(Department))}

    def at(day, hour=10):
        return datetime.combine(day, time(hour), tzinfo=timezone.utc)

    for short, question, owner, director, title, result, done_on in measured_actions:
        finding = db.session.scalar(
            select(Finding)
            .join(Question, Finding.question_id == Question.id)
            .where(
                Finding.round_id == first_round.id,
                Finding.department_id == departments[short].id,
                Question.text == question,
            )
        )
        if finding is None:
            continue
        started = done_on - timedelta(days=120)
        triage_finding(people[director], finding, Triage.act, Sphere.own, None)
        action = services.create_action(
            people[director],
            department=departments[short],
            title=title,
            owner=people[owner],
            deadline=done_on + timedelta(days=14),
            visibility=Visibility.public,
            public_summary=result,
            findings=[finding],
            now=at(started),
        )
        for status, day in (
            (ActionStatus.planned, started + timedelta(days=7)),
            (ActionStatus.in_progress, started + timedelta(days=30)),
        ):
            services.change_status(
                people[director], action, status, expected_version=action.version, now=at(day)
            )
        services.post_update(
            people[owner],
            action,
            expected_version=action.version,
            text=result,
            new_status=ActionStatus.done,
            result=result,
            public=True,
            now=at(done_on),
        )
    db.session.flush()


#: One department whose scores all rose in 2026 (it moved into the new town hall): an action
#: that did nothing rose with the rest and is shown so, next to one that worked (issue 19).
RISING_DEPARTMENT = ("Inkoop & Aanbesteding", "INK")
#: Latent rise of every answer of the department in 2026, and on top of it per question.
RISING_ALL = 0.6
RISING_EXTRA = {"Ik word teruggebeld wanneer dat is toegezegd": 1.2}
RISING_ACTIONS = [
    (
        "INK",
        "Ik word teruggebeld wanneer dat is toegezegd",
        "controller",
        "directeur.fin",
        "Terugbelafspraak in het inkoopsysteem",
        "Elke terugbelafspraak staat als taak in het inkoopsysteem, met een melding op de dag "
        "zelf.",
        date(2025, 10, 20),
    ),
    (
        "INK",
        "Het aanbod van de afdeling is duidelijk",
        "controller",
        "directeur.fin",
        "Ons aanbod duidelijk: inkoopwijzer op intranet",
        "Alle diensten van Inkoop staan op één pagina op intranet.",
        date(2025, 11, 10),
    ),
]


def _rising_department_answers(year_index: int, seed: int) -> bytes:
    """A Qualtrics export like the demo's with only this department's respondents: answers on
    a latent scale (the question's level, the year's rise, a personal mood, noise) as labels."""
    import csv
    import io
    import random

    labels = ["Helemaal mee oneens", "Mee oneens", "Neutraal", "Mee eens", "Helemaal mee eens"]
    head = (DEMO_DATA / SURVEY_FILES[0][3]).read_text(encoding="utf-8-sig").splitlines()[:3]
    columns = next(csv.reader(head[1:2]))
    questions = {text: index for index, text in enumerate(columns) if text in DEMO_THEMES}
    department_column = next(i for i, text in enumerate(columns) if "afdeling" in text.lower())
    response_id = next(csv.reader(head[:1])).index("ResponseId")
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for number in range(52):
        row = [""] * len(columns)
        row[department_column] = RISING_DEPARTMENT[0]
        mood = rng.gauss(0, 0.8)
        for position, (text, index) in enumerate(sorted(questions.items())):
            level = 2.9 + 0.04 * position
            if year_index:
                level += RISING_ALL + RISING_EXTRA.get(text, 0.0)
            answer = min(5, max(1, round(level + mood + rng.gauss(0, 0.6))))
            row[index] = "Weet niet" if rng.random() < 0.03 else labels[answer - 1]
        row[response_id] = f"R_INK{year_index}{number:04d}"
        writer.writerow(row)
    return ("\n".join(head) + "\n" + out.getvalue()).encode()


def _demo_rising_department() -> None:
    """Inkoop & Aanbesteding in both rounds, imported like any file, and its two actions."""
    from sqlalchemy import select

    from tracker.auth.models import MembershipRole, User
    from tracker.auth.services import set_memberships
    from tracker.organisation.models import Directorate
    from tracker.surveys.services import ImportRequest, import_survey

    name, short = RISING_DEPARTMENT
    department = create_department(
        None,
        name=name,
        short_name=short,
        directorate=db.session.scalar(select(Directorate)),
    )
    people = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
    for login, role in (("directeur.fin", MembershipRole.director), ("controller", None)):
        user = people[login]
        directs = [m.department for m in user.memberships if m.role is MembershipRole.director]
        staff_of = [m.department for m in user.memberships if m.role is MembershipRole.staff]
        if role is MembershipRole.director:
            directs.append(department)
        else:
            staff_of.append(department)
        set_memberships(user, directs, staff_of)
    for year_index, (round_name, _, _, _) in enumerate(SURVEY_FILES):
        import_survey(
            None,
            _rising_department_answers(year_index, seed=19 + year_index),
            f"klantonderzoek-inkoop-{year_index + 2025}.csv",
            ImportRequest(round_name=round_name, question_themes=DEMO_THEMES),
        )
    _demo_measured_actions(RISING_ACTIONS)


#: The library of suggested actions: (title, description, theme, typical days, quick win).
SUGGESTED_ACTIONS = [
    (
        "Elke melding binnen 4 werkuren terugbellen",
        "Wie een melding doet, wordt binnen 4 werkuren teruggebeld, ook als er nog geen "
        "oplossing is: we leggen uit wat er gebeurt en wanneer.",
        "Dienstverlening",
        30,
        True,
    ),
    (
        "Publiceren wat interne klanten van ons mogen verwachten en wanneer",
        "Een korte dienstencatalogus op intranet: wat leveren wij, binnen welke termijn, en "
        "bij wie kun je terecht.",
        "Verwachtingen",
        60,
        False,
    ),
    (
        "Collega's die klantcontact lastig vinden koppelen aan collega's die het makkelijk vinden",
        "Koppels die een maand samen de telefoon en de balie doen en daarna ervaringen "
        "uitwisselen in het werkoverleg.",
        "Klantgerichtheid",
        90,
        False,
    ),
    (
        "Klantgerichtheid wordt criterium in de jaargesprekken",
        "Leidinggevenden bespreken in elk jaargesprek concreet klantgericht gedrag, met "
        "voorbeelden uit de afgelopen periode.",
        "Klantgerichtheid",
        180,
        False,
    ),
    (
        "Vaste contactpersoon per directie",
        "Elke directie krijgt één vast aanspreekpunt, met naam en telefoonnummer op intranet.",
        "Bereikbaarheid",
        45,
        True,
    ),
    (
        "Tussenbericht sturen als een vraag langer duurt dan beloofd",
        "Duurt de afhandeling langer dan de afgesproken termijn, dan krijgt de vrager vóór die "
        "termijn een bericht met de nieuwe verwachting.",
        "Dienstverlening",
        21,
        True,
    ),
    (
        "Uitleggen waarom iets niet kan, met het alternatief",
        "Bij een afwijzing noemen we altijd de reden (budget, regels, wet) en wat wél kan.",
        "Klantgerichtheid",
        30,
        True,
    ),
    (
        "Feedback vragen na elke afgehandelde vraag",
        "Eén vraag per e-mail na afhandeling: heeft dit je geholpen? De uitkomsten bespreken we "
        "maandelijks.",
        "Communicatie",
        45,
        False,
    ),
]

#: Reusable explanations for declining: (constraint, title, text).
DECLINE_TEXTS = [
    (
        "budget",
        "Past niet in de begroting",
        "Wij begrijpen de wens, maar dit past niet in de begroting van dit jaar. We nemen het "
        "mee in de begrotingsvoorbereiding voor volgend jaar en laten jullie weten wat daaruit komt.",
    ),
    (
        "law",
        "De wet staat het niet toe",
        "Wij mogen dit niet anders doen: de wet schrijft deze werkwijze voor. Wel leggen we "
        "beter uit waarom het zo gaat en wat je zelf kunt doen.",
    ),
    (
        "policy",
        "Strijdig met vastgesteld beleid",
        "Het gemeentebrede beleid schrijft iets anders voor. Wij hebben jullie wens doorgegeven "
        "aan de eigenaar van dat beleid.",
    ),
    (
        "outside",
        "Buiten onze invloed",
        "Dit ligt buiten wat onze afdeling kan veranderen; het besluit ligt bij een andere partij. "
        "Wij hebben het daar aangekaart en melden het resultaat.",
    ),
]


def _demo_actions() -> None:
    """Improvement actions in every state, with progress updates, deadline requests and
    history, some overdue; linked to the findings triaged "act on it" where there are any."""
    from datetime import timedelta

    from sqlalchemy import select

    from tracker.actions import services
    from tracker.actions.models import (
        ActionStatus,
        DeclineConstraint,
        Priority,
        Visibility,
    )
    from tracker.auth.models import User
    from tracker.organisation.models import Department
    from tracker.surveys.models import Finding, Sphere, SurveyRound, Theme, Triage
    from tracker.types import utcnow

    def theme(name: str) -> Theme:
        found = db.session.scalar(select(Theme).where(Theme.name == name))
        if found is None:
            found = Theme(name=name)
            db.session.add(found)
        return found

    for title, description, theme_name, days, quick_win in SUGGESTED_ACTIONS:
        services.save_action_template(
            None,
            title=title,
            description=description,
            theme=theme(theme_name),
            typical_duration_days=days,
            quick_win=quick_win,
        )
    for constraint, title, text in DECLINE_TEXTS:
        services.save_decline_template(
            None, constraint=DeclineConstraint(constraint), title=title, text=text
        )

    people = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
    departments = {d.short_name: d for d in db.session.scalars(select(Department))}
    latest = db.session.scalar(select(SurveyRound).order_by(SurveyRound.held_on.desc()))
    # The latest round's findings by department and question: each action answers one.
    findings_by_question = {
        (f.department_id, f.question.text): f
        for f in db.session.scalars(
            select(Finding).where(Finding.round_id == latest.id, Finding.triage == Triage.act)
        )
    }
    now = utcnow()
    today = clock.today(now)

    def ago(days: int):
        return now - timedelta(days=days, hours=days % 5)

    def create(
        short,
        owner,
        title,
        *,
        days_ago,
        deadline_in,
        director,
        description="",
        co_owners=(),
        quick_win=False,
        priority=Priority.normal,
        finding=None,
        summary=None,
        visibility=Visibility.public,
        sphere=Sphere.own,
    ):
        findings = [findings_by_question[departments[short].id, finding]] if finding else []
        return services.create_action(
            people[director],
            department=departments[short],
            title=title,
            description=description,
            owner=people[owner],
            co_owners=[people[c] for c in co_owners],
            deadline=today + timedelta(days=deadline_in),
            priority=priority,
            quick_win=quick_win,
            sphere=sphere,
            visibility=visibility,
            public_summary=summary,
            findings=findings,
            now=ago(days_ago),
        )

    def update(
        action,
        by,
        days_ago,
        text,
        percent=None,
        status=None,
        result=None,
        more_time=None,
        public=False,
        stuck=False,
    ):
        services.post_update(
            people[by],
            action,
            expected_version=action.version,
            text=text,
            percent=percent,
            new_status=ActionStatus(status) if status else None,
            result=result,
            requested_deadline=today + timedelta(days=more_time) if more_time else None,
            public=public,
            stuck=stuck,
            now=ago(days_ago),
        )

    # --- ICT (director Diederik Jansen; owners Olga Visser and Sanne Peters) ---
    callback = create(
        "ICT",
        "owner",
        "Telefonisch bereikbaar: elke melding binnen 4 werkuren terugbellen",
        days_ago=120,
        deadline_in=-30,
        director="director",
        quick_win=True,
        priority=Priority.high,
        finding="De afdeling is goed telefonisch bereikbaar",
        description="Wie een melding doet, wordt binnen 4 werkuren teruggebeld, ook als er nog "
        "geen oplossing is.",
        summary="Jullie zeiden: ICT is telefonisch slecht bereikbaar. Wij bellen nu elke melding "
        "binnen 4 werkuren terug.",
    )
    update(callback, "owner", 110, "Belscript gemaakt en afgestemd met het team.", 20, "planned")
    update(
        callback,
        "owner",
        95,
        "Gestart: iedereen van de servicedesk belt terug.",
        50,
        "in_progress",
        public=True,
    )
    update(
        callback,
        "owner",
        40,
        "Gemeten over vier weken: 93% binnen 4 werkuren teruggebeld.",
        status="done",
        result="Wij bellen elke melding binnen 4 werkuren terug; in de laatste meting lukte "
        "dat in 93% van de gevallen.",
        public=True,
    )

    expectations = create(
        "ICT",
        "ict.specialist",
        "Helder communiceren wat je van ICT mag verwachten en wanneer",
        days_ago=80,
        deadline_in=20,
        director="director",
        co_owners=["owner"],
        finding="De afdeling communiceert helder",
        summary="Jullie zeiden: ICT communiceert niet helder. Wij zetten op intranet wat ICT "
        "levert, en binnen welke termijn.",
        description="Dienstencatalogus op intranet met termijnen per soort verzoek.",
    )
    update(expectations, "ict.specialist", 70, "Lijst met diensten opgesteld.", 25, "planned")
    update(
        expectations,
        "ict.specialist",
        45,
        "Termijnen afgestemd met de teamleiders.",
        45,
        "in_progress",
    )
    update(
        expectations,
        "owner",
        9,
        "Eerste versie staat klaar voor review door twee directies.",
        70,
        public=True,
    )
    # Waiting for the director's decision: on Olga's My actions and Diederik's start page.
    update(
        expectations,
        "owner",
        2,
        "De review door de twee directies duurt drie weken langer dan gepland.",
        75,
        more_time=45,
    )

    portal = create(
        "ICT",
        "owner",
        "Status van meldingen zichtbaar maken in het selfserviceportaal",
        days_ago=90,
        deadline_in=-10,
        director="director",
        priority=Priority.high,
        description="Iedere melder ziet in het portaal wie de melding oppakt en wat de status is.",
    )
    update(portal, "owner", 85, "Leverancier gevraagd om een offerte.", 10, "planned")
    update(
        portal,
        "owner",
        12,
        "De leverancier levert de koppeling pas over zes weken.",
        30,
        more_time=45,
    )

    buddies = create(
        "ICT",
        "ict.specialist",
        "Meedenken leren: collega's die klantcontact lastig vinden koppelen aan collega's die "
        "het makkelijk vinden",
        days_ago=100,
        deadline_in=-5,
        director="director",
        finding="Medewerkers denken met mij mee",
        description="Koppels die een maand samen de telefoon doen.",
        visibility=Visibility.internal,
    )
    update(buddies, "ict.specialist", 92, "Vijf koppels gemaakt.", 20, "planned")
    update(
        buddies,
        "ict.specialist",
        60,
        "Drie koppels zijn gestart, twee wachten op roosters.",
        40,
        "in_progress",
    )
    update(
        buddies,
        "ict.specialist",
        20,
        "De roosters van de twee laatste koppels passen niet; "
        "ik heb hulp van de teamleiders nodig.",
        40,
        stuck=True,
    )

    second_desk = create(
        "ICT",
        "owner",
        "Tweede servicedesk in het stadskantoor",
        days_ago=75,
        deadline_in=60,
        director="director",
        sphere=Sphere.management,
    )
    services.decline_action(
        people["director"],
        second_desk,
        expected_version=second_desk.version,
        constraint=DeclineConstraint.budget,
        explanation="Een tweede servicedesk kost twee extra formatieplaatsen; dat past niet in "
        "de begroting. Wel is de servicedesk sinds maart ook via de chat bereikbaar.",
        now=ago(60),
    )
    newsletter = create(
        "ICT",
        "ict.specialist",
        "Maandelijkse nieuwsbrief over storingen",
        days_ago=70,
        deadline_in=30,
        director="director",
        visibility=Visibility.internal,
    )
    services.cancel_action(
        people["director"],
        newsletter,
        expected_version=newsletter.version,
        reason="Vervangen door de statuspagina in het portaal.",
        now=ago(50),
    )
    create(
        "ICT",
        "owner",
        "Spreekuur op locatie voor de wijkteams",
        days_ago=3,
        deadline_in=45,
        director="director",
        quick_win=True,
    )
    reset = create(
        "ICT",
        "ict.specialist",
        "Wachtwoord zelf herstellen via sms",
        days_ago=150,
        deadline_in=14,
        director="director",
    )
    update(reset, "ict.specialist", 140, "Ingepland voor het tweede kwartaal.", 10, "planned")
    update(reset, "ict.specialist", 120, "Gebouwd en getest.", 60, "in_progress")
    update(
        reset,
        "ict.specialist",
        100,
        "Live.",
        status="done",
        result="Je kunt je wachtwoord nu zelf herstellen via een sms-code.",
    )
    services.reopen_action(
        people["director"],
        reset,
        expected_version=reset.version,
        status=ActionStatus.in_progress,
        reason="Medewerkers zonder zakelijke telefoon kunnen de sms-code niet ontvangen.",
        now=ago(30),
    )
    update(reset, "ict.specialist", 8, "Alternatief via de authenticator-app in test.", 75)

    # --- Facilitaire Zaken (Diederik Jansen; Fatima El Amrani) ---
    rooms = create(
        "FZ",
        "facilitair",
        "Vergaderzalen die aansluiten op je werk, te reserveren via één systeem",
        days_ago=60,
        deadline_in=30,
        director="director",
        finding="De producten van de afdeling sluiten aan op mijn werk",
        summary="Jullie zeiden: de zalen en werkplekken sluiten niet aan op ons werk. Wij zetten "
        "alle zalen, met hun apparatuur, in één reserveringssysteem.",
    )
    update(rooms, "facilitair", 50, "Twee reserveringssystemen vergeleken.", 20, "planned")
    update(
        rooms,
        "facilitair",
        20,
        "Keuze gemaakt; overzetten van de zalen loopt.",
        55,
        "in_progress",
        public=True,
    )
    update(
        rooms,
        "facilitair",
        3,
        "De leverancier zet de zalen van het stadskantoor pas na de zomer over.",
        60,
        more_time=90,
    )
    repairs = create(
        "FZ",
        "facilitair",
        "Storingsmeldingen in het gebouw binnen één werkdag oppakken",
        days_ago=110,
        deadline_in=-40,
        director="director",
        quick_win=True,
    )
    update(repairs, "facilitair", 100, "Afspraken gemaakt met de huismeesters.", 30, "planned")
    update(repairs, "facilitair", 80, "Werkt vanaf deze week.", 70, "in_progress")
    update(
        repairs,
        "facilitair",
        45,
        "Evaluatie gedaan.",
        status="done",
        result="Storingen in het gebouw worden binnen één werkdag opgepakt.",
    )
    climate = create(
        "FZ",
        "facilitair",
        "Klimaatbeheersing kantoor Oost vervangen",
        days_ago=40,
        deadline_in=200,
        director="director",
        sphere=Sphere.outside,
    )
    services.decline_action(
        people["director"],
        climate,
        expected_version=climate.version,
        constraint=DeclineConstraint.outside,
        explanation="Het gebouw is gehuurd; de installatie is van de verhuurder. Wij hebben de "
        "klachten gemeld en de verhuurder plant vervanging in 2027.",
        now=ago(35),
    )

    # --- HR, Finance, Legal, Communication ---
    reviews = create(
        "HR",
        "hr.adviseur",
        "Meedenken met de klant wordt criterium in de jaargesprekken",
        days_ago=30,
        deadline_in=120,
        director="directeur.po",
        finding="Medewerkers denken met mij mee",
    )
    update(
        reviews,
        "hr.adviseur",
        25,
        "Gespreksformat aangepast, ter bespreking in het MT.",
        15,
        "planned",
    )
    contact = create(
        "HR",
        "hr.adviseur",
        "Telefonisch bereikbaar via een vaste contactpersoon per directie",
        days_ago=75,
        deadline_in=-12,
        director="directeur.po",
        quick_win=True,
        finding="De afdeling is goed telefonisch bereikbaar",
        summary="Jullie zeiden: P&O is telefonisch slecht bereikbaar. Elke directie krijgt een "
        "vaste contactpersoon met een eigen nummer.",
    )
    update(contact, "hr.adviseur", 70, "Indeling per directie gemaakt.", 30, "planned")
    update(
        contact,
        "hr.adviseur",
        50,
        "Contactpersonen gevraagd; nog twee directies open.",
        60,
        "in_progress",
    )
    expenses = create(
        "FIN",
        "controller",
        "Declaraties binnen 10 werkdagen uitbetalen",
        days_ago=100,
        deadline_in=-20,
        director="directeur.fin",
    )
    update(expenses, "controller", 90, "Knelpunten in de goedkeuringsstap gevonden.", 20, "planned")
    update(expenses, "controller", 70, "Goedkeuren kan nu ook op de telefoon.", 60, "in_progress")
    update(
        expenses,
        "controller",
        15,
        "Gemiddeld 7 werkdagen.",
        status="done",
        result="Declaraties worden nu gemiddeld binnen 7 werkdagen uitbetaald.",
        public=True,
    )
    create(
        "FIN",
        "controller",
        "Helder communiceren: budgetrapportages in gewone taal",
        days_ago=5,
        deadline_in=75,
        director="directeur.fin",
        finding="De afdeling communiceert helder",
    )
    advice = create(
        "JZ",
        "jurist",
        "Bij elk advies uitleggen waarom iets niet kan, en wat wel",
        days_ago=50,
        deadline_in=25,
        director="directeur.fin",
        finding="De afdeling legt uit waarom iets niet kan",
        summary="Jullie zeiden: Juridische Zaken legt niet uit waarom iets niet kan. Bij elk "
        "advies staat nu de reden, met wat wel kan.",
    )
    update(
        advice, "jurist", 45, "Vaste opbouw van een advies afgesproken in het team.", 20, "planned"
    )
    update(
        advice,
        "jurist",
        18,
        "Eerste maand: 8 van de 10 adviezen noemen de reden en een alternatief.",
        50,
        "in_progress",
        public=True,
    )
    templates = create(
        "JZ",
        "jurist",
        "Voorbeeldcontracten vrij beschikbaar op intranet",
        days_ago=45,
        deadline_in=60,
        director="directeur.fin",
    )
    services.decline_action(
        people["directeur.fin"],
        templates,
        expected_version=templates.version,
        constraint=DeclineConstraint.policy,
        explanation="Volgens het inkoopbeleid loopt elk contract via Juridische Zaken, zodat de "
        "gemeente geen onnodige risico's loopt. Wel reageren wij binnen 5 werkdagen.",
        now=ago(40),
    )
    column = create(
        "COM",
        "communicatie",
        "Helder communiceren: vaste rubriek 'Jullie zeiden, wij deden' op intranet",
        days_ago=35,
        deadline_in=15,
        director="directeur.po",
        quick_win=True,
        finding="De afdeling communiceert helder",
    )
    update(column, "communicatie", 28, "Opzet van de rubriek gemaakt.", 30, "planned")
    update(
        column,
        "communicatie",
        10,
        "Eerste drie berichten geplaatst.",
        65,
        "in_progress",
        public=True,
    )
    db.session.flush()


def _demo_cocreation() -> None:
    """Quotes the directors approved, reactions of employees (one waiting for approval), and
    an employee who follows ICT."""
    from sqlalchemy import select

    from tracker.actions.models import ActionStatus, ImprovementAction, Visibility
    from tracker.auth.models import User
    from tracker.cocreation import services
    from tracker.cocreation.models import Verdict
    from tracker.organisation.models import Department
    from tracker.surveys.models import RoundParticipation, SurveyComment, SurveyRound

    latest = db.session.scalar(select(SurveyRound).order_by(SurveyRound.held_on.desc()))
    people = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
    for department in db.session.scalars(select(Department)):
        respondents = db.session.scalar(
            select(RoundParticipation.respondents).where(
                RoundParticipation.round_id == latest.id,
                RoundParticipation.department_id == department.id,
            )
        )
        if not respondents or not department.directors:
            continue
        comments = db.session.scalars(
            select(SurveyComment)
            .where(
                SurveyComment.round_id == latest.id, SurveyComment.department_id == department.id
            )
            .order_by(SurveyComment.id)
            .limit(20)
        ).all()
        distinct = {}
        for comment in comments:
            distinct.setdefault(comment.text, comment)
        for comment in list(distinct.values())[:2]:
            services.approve_quote(department.directors[0], comment, True)
    ict = db.session.scalar(select(Department).where(Department.short_name == "ICT"))
    ict.publish_owner_names = True
    # Each reaction is about the action it is given on: the call-back that works, the
    # overview of what to expect that colleagues do not notice yet.
    actions = {
        a.title.split(":")[0]: a
        for a in db.session.scalars(
            select(ImprovementAction).where(
                ImprovementAction.department_id == ict.id,
                ImprovementAction.visibility == Visibility.public,
                ImprovementAction.status.in_((ActionStatus.done, ActionStatus.in_progress)),
            )
        )
    }
    callback = actions["Telefonisch bereikbaar"]
    expectations = actions["Helder communiceren wat je van ICT mag verwachten en wanneer"]
    first = services.react(
        people["employee"], callback, Verdict.helps, "Ik word nu echt teruggebeld, fijn!"
    )
    services.moderate(people["director"], first, approve=True)
    services.react(people["medewerker.wijk"], callback, Verdict.helps, None)
    services.react(
        people["medewerker.burgerzaken"],
        expectations,
        Verdict.not_yet,
        "Ik kan het overzicht van wat ICT levert nog niet vinden op intranet.",
    )
    services.follow(people["employee"], action=expectations)
    services.follow(people["employee"], department=ict)


def _demo_meetings(now: datetime | None = None) -> None:
    """The weekly staff meeting of the services directorate, on the weekday of the next
    working day: the last meeting with its decisions (recorded on the actions, so their
    history says so) and published minutes, and the coming one with a generated agenda.
    Public holidays and the closed days around Christmas are skipped or moved past."""
    from datetime import time, timedelta

    from sqlalchemy import select

    from tracker.actions.models import ImprovementAction
    from tracker.auth.models import User
    from tracker.meetings import agenda, decisions, services
    from tracker.meetings.models import AgendaItem, Meeting, Recurrence
    from tracker.organisation.closed_days import closed_days
    from tracker.organisation.models import Department, Directorate
    from tracker.types import utcnow

    now = now or utcnow()
    people = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
    directorate = db.session.scalar(select(Directorate).order_by(Directorate.id))
    calendar = closed_days()
    today = clock.today(now)
    # The coming meeting on the next working day; the last one a week (or more) before it.
    coming_day = calendar.next_working_day(today)
    first = coming_day - timedelta(days=7)
    while not calendar.is_working_day(first):
        first -= timedelta(days=7)
    created = clock.local_moment(first - timedelta(days=1), time(12))
    series = services.save_series(
        people["director"],
        title="Stafoverleg dienstendirectie",
        directorate=directorate,
        recurrence=Recurrence.weekly,
        weekday=coming_day.weekday(),
        starts_on=first,
        start_time=time(10),
        duration_minutes=90,
        location="Kamer 4.02 (stadskantoor)",
        online_url="https://teams.example/stafoverleg",
        attendees=[
            people["director"],
            people["directeur.po"],
            people["directeur.fin"],
            people["admin"],
        ],
        agenda_days_before=3,
        now=created,
    )
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    ).all()
    past = [m for m in meetings if m.starts_at < now][-1]
    coming = next(m for m in meetings if m.starts_at > now)
    agenda.build_agenda(None, past, now=past.starts_at - timedelta(days=3))
    agenda.add_free_item(
        None,
        past,
        title="Planning van het klantonderzoek 2027",
        description="Veldwerk in maart; wie levert de vragen aan?",
    )
    db.session.flush()
    ict = db.session.scalar(select(Department).where(Department.short_name == "ICT"))
    during = past.starts_at + timedelta(minutes=20)
    decided = 0
    for item in db.session.scalars(
        select(AgendaItem)
        .join(ImprovementAction, ImprovementAction.id == AgendaItem.action_id)
        .where(AgendaItem.meeting_id == past.id, ImprovementAction.department_id == ict.id)
        .order_by(AgendaItem.position)
    ):
        action = item.action
        if not action.status.is_open or decided >= 2:
            continue
        if item.snapshot.get("request"):
            decisions.record_outcome(
                people["director"],
                item,
                expected_version=action.version,
                decision="Akkoord met het uitstel; daarna geen verlenging meer.",
                deadline_request="approve",
                now=during,
            )
        else:
            decisions.record_outcome(
                people["director"],
                item,
                expected_version=action.version,
                # The owner of this action, by first name, as minutes say it.
                decision=f"{action.owner.name.split()[0]} meldt volgende week de stand van zaken.",
                now=during,
            )
        decided += 1
    decisions.close_meeting(None, past, now=past.ends_at)
    decisions.publish_minutes(None, past, now=past.ends_at + timedelta(hours=2))
    agenda.build_agenda(None, coming, now=now)
    db.session.commit()
