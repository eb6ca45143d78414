"""The demo municipality: departments and people of every role, for `make run`."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import current_app

from tracker.auth.models import Role
from tracker.extensions import db
from tracker.auth.services import create_user
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


def load() -> None:
    hash_method = current_app.config["PASSWORD_HASH_METHOD"]
    save_settings(
        None, name="Gemeente Zuiderveen", default_locale="nl", anonymity_threshold=5,
        timezone="Europe/Amsterdam",
    )
    directorate = create_directorate(None, "Dienstendirectie")
    departments = {
        short: create_department(None, name=name, short_name=short, directorate=directorate)
        for name, short in DEPARTMENTS
    }

    def person(email, name, role, directs=(), staff_of=()):
        return create_user(
            None, email=email, name=name, role=role, password=PASSWORD,
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


DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
#: Two rounds of the internal-customer survey, as Qualtrics exports (made by
#: tracker.surveys.importers.synthetic), imported through the real importer.
SURVEY_FILES = [
    ("Intern klantonderzoek 2025", date(2025, 3, 14), "klantonderzoek-2025-qualtrics.csv"),
    ("Intern klantonderzoek 2026", date(2026, 3, 13), "klantonderzoek-2026-qualtrics.csv"),
]


def _demo_surveys() -> None:
    from sqlalchemy import select

    from tracker.auth.models import User
    from tracker.surveys.models import Finding, FindingKind, Sphere, Triage
    from tracker.surveys.services import ImportRequest, import_survey, triage_finding

    summary = None
    for name, held_on, file_name in SURVEY_FILES:
        summary = import_survey(
            None, (DEMO_DATA / file_name).read_bytes(), file_name,
            ImportRequest(round_name=name, held_on=held_on),
        )
    director = db.session.scalar(select(User).where(User.email == "director@demo.example"))
    latest = summary.round
    for short_name in ("ICT", "FZ"):
        department = summary.departments[
            next(n for n, d in summary.departments.items() if d.short_name == short_name)]
        proposed = db.session.scalars(
            select(Finding).where(
                Finding.round_id == latest.id, Finding.department_id == department.id,
                Finding.proposed.is_(True), Finding.kind != FindingKind.strength,
            ).order_by(Finding.score)
        ).all()
        decisions = [
            (Triage.act, Sphere.own, None),
            (Triage.act, Sphere.own, None),
            (Triage.no_action, Sphere.outside,
             "De openingstijden volgen de cao-afspraken over werktijden; die kunnen wij als "
             "afdeling niet veranderen. Wel is de servicedesk nu ook via de chat bereikbaar."),
        ]
        for finding, (triage, sphere, reason) in zip(proposed, decisions):
            triage_finding(director, finding, triage, sphere, reason)
