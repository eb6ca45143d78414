"""Data for benchmarks and query-count tests, inserted in bulk (executemany, no ORM objects).

    python bench/generate.py /tmp/tracker-bench.db 50000 200000

builds a complete SQLite database (schema from the migrations): departments, people, two
survey rounds with findings, and improvement actions in every state with co-owners, linked
findings, progress updates and history. The functions are also used by the tests, on the
test database, to add many actions to a small world.
"""
from __future__ import annotations

import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tracker.actions.models import (  # noqa: E402
    ActionChange,
    ActionStatus,
    ImprovementAction,
    ProgressUpdate,
    action_co_owner,
    action_finding,
)
from tracker.extensions import db  # noqa: E402

CHUNK = 5000
STATUS_CYCLE = [
    ActionStatus.proposed, ActionStatus.planned, ActionStatus.in_progress,
    ActionStatus.in_progress, ActionStatus.done, ActionStatus.declined, ActionStatus.cancelled,
]
#: A cheap password hash for generated people (the password is "bench-password").
BENCH_PASSWORD = "bench-password"


def _chunks(rows: list, size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def bulk_actions(
    *,
    department_ids: list[int],
    owner_ids: list[int] | dict[int, list[int]],
    count: int,
    today: date,
    findings_by_department: dict[int, list[int]] | None = None,
    co_owner_ids: list[int] = (),
    statuses: list[ActionStatus] | None = None,
    seed: int = 1,
) -> list[int]:
    """Insert `count` actions spread over the departments; each gets a 'created' history
    entry, a co-owner when some are given, and a linked finding of its department when
    there are any. `owner_ids`: one list for all, or a list per department id.
    Returns the new ids."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    statuses = statuses or STATUS_CYCLE
    rows = []
    for i in range(count):
        department_id = department_ids[i % len(department_ids)]
        owners = owner_ids[department_id] if isinstance(owner_ids, dict) else owner_ids
        status = statuses[i % len(statuses)]
        deadline = today + timedelta(days=rng.randint(-45, 200))
        closed = status in (ActionStatus.done, ActionStatus.declined, ActionStatus.cancelled)
        rows.append({
            "department_id": department_id,
            "title": f"Verbeteractie {i + 1}: terugbellen binnen {rng.randint(2, 8)} werkuren",
            "description": "Wat er concreet verandert, voor wie, en hoe we weten dat het werkt.",
            "owner_id": owners[rng.randrange(len(owners))],
            "deadline": deadline,
            "status": status,
            "progress": 100 if status is ActionStatus.done else rng.choice((0, 10, 30, 50, 80)),
            "quick_win": i % 5 == 0,
            "result": "Wij bellen nu elke melding terug." if status is ActionStatus.done else None,
            "decline_explanation": "Past niet in de begroting." if status is ActionStatus.declined
            else None,
            "cancel_reason": "Dubbel." if status is ActionStatus.cancelled else None,
            "closed_on": min(today, deadline + timedelta(days=rng.randint(-20, 10))) if closed
            else None,
            "last_update_at": now - timedelta(days=rng.randint(0, 90)),
            "created_at": now - timedelta(days=120),
            "updated_at": now,
            "version": 1,
        })
    ids: list[int] = []
    for chunk in _chunks(rows):
        ids.extend(db.session.scalars(
            insert(ImprovementAction).returning(ImprovementAction.id, sort_by_parameter_order=True),
            chunk,
        ).all())
    history = [
        {"action_id": action_id, "changed_at": now - timedelta(days=120), "field": "created",
         "new_value": row["title"], "version": 1}
        for action_id, row in zip(ids, rows)
    ]
    for chunk in _chunks(history):
        db.session.execute(insert(ActionChange.__table__), chunk)
    if co_owner_ids:
        links = []
        for action_id, row in zip(ids, rows):
            co_owner = co_owner_ids[action_id % len(co_owner_ids)]
            if co_owner != row["owner_id"]:
                links.append({"action_id": action_id, "user_id": co_owner})
        for chunk in _chunks(links):
            db.session.execute(insert(action_co_owner), chunk)
    if findings_by_department:
        links = []
        for action_id, row in zip(ids, rows):
            candidates = findings_by_department.get(row["department_id"])
            if candidates:
                links.append({"action_id": action_id,
                              "finding_id": candidates[action_id % len(candidates)]})
        for chunk in _chunks(links):
            db.session.execute(insert(action_finding), chunk)
    return ids


def bulk_updates(action_ids: list[int], author_ids: list[int], count: int, seed: int = 2) -> None:
    """Insert `count` progress updates spread over the actions, each with its history row."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    updates = []
    for i in range(count):
        updates.append({
            "action_id": action_ids[i % len(action_ids)],
            "author_id": author_ids[rng.randrange(len(author_ids))],
            "created_at": now - timedelta(days=rng.randint(0, 90), minutes=i % 1440),
            "text": "Gesprek gevoerd met de servicedesk; belscript aangepast.",
            "percent": rng.choice((10, 20, 40, 60, 80)),
        })
    for chunk in _chunks(updates):
        ids = db.session.scalars(
            insert(ProgressUpdate).returning(ProgressUpdate.id, sort_by_parameter_order=True),
            chunk,
        ).all()
        db.session.execute(insert(ActionChange.__table__), [
            {"action_id": row["action_id"], "changed_by_id": row["author_id"],
             "changed_at": row["created_at"], "field": "progress", "old_value": "0",
             "new_value": str(row["percent"]), "update_id": update_id, "version": 1}
            for update_id, row in zip(ids, chunk)
        ])


def build_world(departments: int = 12, owners_per_department: int = 12, employees: int = 200,
                findings_per_department: int = 30) -> dict:
    """Departments with a director and staff, employees, two rounds of findings."""
    from werkzeug.security import generate_password_hash

    from tracker.auth.models import Role, User
    from tracker.organisation.models import (
        Department,
        DepartmentMembership,
        MembershipRole,
        Organisation,
    )
    from tracker.surveys.models import (
        Finding,
        Question,
        QuestionScale,
        SurveyRound,
        Theme,
        Triage,
    )

    password_hash = generate_password_hash(BENCH_PASSWORD, method="scrypt:1024:8:1")
    db.session.add(Organisation(name="Gemeente Benchdam"))
    department_ids = db.session.scalars(
        insert(Department).returning(Department.id, sort_by_parameter_order=True),
        [{"name": f"Afdeling {i + 1}", "short_name": f"A{i + 1}"} for i in range(departments)],
    ).all()
    people = []
    for index, department_id in enumerate(department_ids):
        people.append({"email": f"directeur{index + 1}@bench.example", "name": f"Directeur {index + 1}",
                       "role": Role.director, "department": department_id, "kind": "director"})
        for number in range(owners_per_department):
            people.append({"email": f"medewerker{index + 1}-{number + 1}@bench.example",
                           "name": f"Medewerker {index + 1}-{number + 1}", "role": Role.owner,
                           "department": department_id, "kind": "staff"})
    for number in range(employees):
        people.append({"email": f"klant{number + 1}@bench.example", "name": f"Klant {number + 1}",
                       "role": Role.employee, "department": None, "kind": None})
    user_ids = db.session.scalars(
        insert(User).returning(User.id, sort_by_parameter_order=True),
        [{"email": p["email"], "name": p["name"], "role": p["role"], "password_hash": password_hash,
          "active": True, "session_token": f"bench-{i}"} for i, p in enumerate(people)],
    ).all()
    memberships = [
        {"department_id": p["department"], "user_id": user_id,
         "role": MembershipRole.director if p["kind"] == "director" else MembershipRole.staff}
        for user_id, p in zip(user_ids, people) if p["department"]
    ]
    db.session.execute(insert(DepartmentMembership), memberships)
    themes = [Theme(name=name) for name in (
        "Producten en diensten", "Dienstverlening", "Klantgerichtheid", "Bereikbaarheid",
        "Communicatie", "Verwachtingen",
    )]
    db.session.add_all(themes)
    rounds = [SurveyRound(name="Intern klantonderzoek 2024", held_on=date(2024, 10, 1), label_map={}),
              SurveyRound(name="Intern klantonderzoek 2026", held_on=date(2026, 10, 1), label_map={})]
    db.session.add_all(rounds)
    db.session.flush()
    findings_by_department: dict[int, list[int]] = {d: [] for d in department_ids}
    for survey_round in rounds:
        questions = [
            Question(round=survey_round, key=f"Q{n + 1}", text=f"Stelling {n + 1} over de dienstverlening",
                     theme=themes[n % len(themes)], scale=QuestionScale.grade10, position=n)
            for n in range(findings_per_department)
        ]
        db.session.add_all(questions)
        db.session.flush()
        rows = [
            {"round_id": survey_round.id, "department_id": department_id, "question_id": q.id,
             "score": 5.0 + (q.position % 40) / 10, "n": 40, "proposed": q.position % 3 == 0,
             "triage": Triage.act if q.position % 3 == 0 else Triage.untriaged}
            for department_id in department_ids for q in questions
        ]
        ids = db.session.scalars(
            insert(Finding).returning(Finding.id, sort_by_parameter_order=True), rows
        ).all()
        for finding_id, row in zip(ids, rows):
            if row["triage"] is Triage.act:
                findings_by_department[row["department_id"]].append(finding_id)
    directors = [u for u, p in zip(user_ids, people) if p["kind"] == "director"]
    staff = [u for u, p in zip(user_ids, people) if p["kind"] == "staff"]
    staff_by_department: dict[int, list[int]] = {d: [] for d in department_ids}
    for user_id, p in zip(user_ids, people):
        if p["kind"] == "staff":
            staff_by_department[p["department"]].append(user_id)
    return {
        "department_ids": list(department_ids),
        "director_emails": [p["email"] for p in people if p["kind"] == "director"],
        "director_ids": directors,
        "staff_ids": staff,
        "staff_by_department": staff_by_department,
        "owner_email": next(p["email"] for p in people if p["kind"] == "staff"),
        "findings_by_department": findings_by_department,
    }


def populate(actions: int, updates: int) -> dict:
    """A whole organisation with `actions` actions and `updates` updates (in an app context)."""
    from tracker.actions.queries import local_today

    world = build_world()
    staff = world["staff_ids"]
    action_ids = bulk_actions(
        department_ids=world["department_ids"], owner_ids=world["staff_by_department"],
        count=actions,
        today=local_today(), findings_by_department=world["findings_by_department"],
        co_owner_ids=staff[::3],
    )
    bulk_updates(action_ids, staff, updates)
    db.session.commit()
    world["action_ids"] = action_ids
    return world


def create_database(path: str):
    """An app on a fresh SQLite database at `path`, schema from the migrations."""
    from flask_migrate import upgrade

    from tracker import create_app

    app = create_app({
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "SERVER_NAME": None,
        # The benchmark logs in with a plain POST.
        "WTF_CSRF_ENABLED": False,
    })
    with app.app_context():
        upgrade()
    return app


def main(argv: list[str]) -> None:
    path = argv[1] if len(argv) > 1 else "/tmp/tracker-bench.db"
    actions = int(argv[2]) if len(argv) > 2 else 50_000
    updates = int(argv[3]) if len(argv) > 3 else 200_000
    Path(path).unlink(missing_ok=True)
    app = create_database(path)
    started = time.perf_counter()
    with app.app_context():
        populate(actions, updates)
        count = db.session.scalar(select(db.func.count(ImprovementAction.id)))
    print(f"{count} actions and {updates} updates in {path} "
          f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main(sys.argv)
