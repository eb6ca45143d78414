"""The demo municipality: departments and people of every role, for `make run`."""
from __future__ import annotations

from flask import current_app

from tracker.auth.models import Role
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
    ("Personeel & Organisatie", "P&O"),
    ("Financiën & Control", "FIN"),
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
    person("directeur.po@demo.example", "Petra Bakker", Role.director, directs=["P&O", "COM"])
    person("directeur.fin@demo.example", "Frank de Wit", Role.director, directs=["FIN", "JZ"])
    person("jurist@demo.example", "Jeroen Smit", Role.owner, staff_of=["JZ"])
    person("controller@demo.example", "Charlotte Mulder", Role.owner, staff_of=["FIN"])
    person("hr.adviseur@demo.example", "Hanna de Vries", Role.owner, staff_of=["P&O"])
    person("facilitair@demo.example", "Fatima El Amrani", Role.owner, staff_of=["FZ"])
    person("communicatie@demo.example", "Kees van Dijk", Role.owner, staff_of=["COM"])
    person("ict.specialist@demo.example", "Sanne Peters", Role.owner, staff_of=["ICT"])
    person("medewerker.wijk@demo.example", "Lotte Hendriks", Role.employee)
    person("medewerker.burgerzaken@demo.example", "Mohamed Bouzid", Role.employee)
