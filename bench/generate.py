"""The one data generator of the benchmarks and of the query-count tests: bulk inserts
(executemany on Core tables, ids drawn up front, no ORM objects for the many rows).

At full scale (`FULL`) it builds an organisation of 50 departments with a director and staff,
employees, 10 survey rounds of 40 questions (20,000 findings, triaged as a director would),
50,000 improvement actions in every state with co-owners, linked findings, pending deadline
requests, 200,000 progress updates with their history, reactions and follows, a weekly staff
meeting per department with a built agenda; and the survey export of the next round
(100,000 respondents, Qualtrics CSV, for the same departments and questions).

    python bench/generate.py --out DIR [--scale full|small|both]
        writes DIR/full.db, DIR/full.json (ids and e-mail addresses the benchmarks use),
        DIR/small.db, DIR/small.json and DIR/survey-export.csv
    python bench/generate.py --database-url postgresql+psycopg://... [--scale full]
        fills a migrated database (the load test's PostgreSQL) with the same data

`make bench` generates once (bench/run.py, into a temporary folder named by BENCH_DATA) and
every benchmark copies or opens what it needs (`data_dir()`); a benchmark run on its own
generates for itself. The functions `bulk_actions` and `bulk_updates` are also used by the
tests, on the test database, to add many actions to a small world.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path

from sqlalchemy import func, insert, select, text

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
    ActionStatus.proposed,
    ActionStatus.planned,
    ActionStatus.in_progress,
    ActionStatus.in_progress,
    ActionStatus.done,
    ActionStatus.declined,
    ActionStatus.cancelled,
]
#: The password of every generated person; stored with a cheap scrypt hash.
BENCH_PASSWORD = "bench-password"
BENCH_HASH_METHOD = "scrypt:1024:8:1"
SEED = 2026


@dataclass(frozen=True)
class Scale:
    """How much to generate. Findings: departments x rounds x questions."""

    departments: int = 50
    rounds: int = 10
    questions: int = 40
    actions: int = 50_000
    updates: int = 200_000
    owners_per_department: int = 12
    employees: int = 200
    #: Respondents in the survey export of the next round.
    respondents: int = 100_000
    #: Departments whose first coming staff meeting gets its agenda built.
    agendas: int = 50

    @property
    def findings(self) -> int:
        return self.departments * self.rounds * self.questions


FULL = Scale()
#: The same shape with a handful of rows: every action status occurs in each department.
SMALL = Scale(
    departments=2,
    rounds=2,
    questions=5,
    actions=14,
    updates=28,
    owners_per_department=2,
    employees=4,
    respondents=300,
    agendas=2,
)
SCALES = {"full": FULL, "small": SMALL}


def _chunks(rows: list, size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _new_ids(table, count: int) -> list[int]:
    """`count` fresh primary keys for `table`: from its sequence on PostgreSQL (so the
    application's own inserts afterwards do not collide), after the highest id on SQLite."""
    if count <= 0:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return list(
            db.session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": f'"{table.name}"', "count": count},
            )
        )
    start = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


def _insert(table, rows: list[dict]) -> None:
    """executemany in chunks (no RETURNING: ids are drawn up front with `_new_ids`)."""
    for chunk in _chunks(rows):
        db.session.execute(insert(table), chunk)


def _insert_with_ids(table, rows: list[dict]) -> list[int]:
    ids = _new_ids(table, len(rows))
    for row, new_id in zip(rows, ids):
        row["id"] = new_id
    _insert(table, rows)
    return ids


# --- Actions and updates (also used by the tests) ----------------------------------------


def bulk_actions(
    *,
    department_ids: list[int],
    owner_ids: list[int] | dict[int, list[int]],
    count: int,
    today: date,
    findings_by_department: dict[int, list[int]] | None = None,
    co_owner_ids: list[int] | dict[int, list[int]] = (),
    statuses: list[ActionStatus] | None = None,
    seed: int = 1,
) -> list[int]:
    """Insert `count` actions spread over the departments; each gets a 'created' history
    entry, a co-owner when some are given, and a linked finding of its department when
    there are any. `owner_ids` and `co_owner_ids`: one list for all, or a list per
    department id. Returns the new ids."""
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
        rows.append(
            {
                "department_id": department_id,
                "title": f"Verbeteractie {i + 1}: terugbellen binnen {rng.randint(2, 8)} werkuren",
                "description": "Wat er concreet verandert, voor wie, en hoe we weten dat het werkt.",
                "owner_id": owners[rng.randrange(len(owners))],
                "deadline": deadline,
                "status": status,
                "progress": 100 if status is ActionStatus.done else rng.choice((0, 10, 30, 50, 80)),
                "quick_win": i % 5 == 0,
                "public_summary": "We bellen u terug op het afgesproken moment."
                if i % 3 == 0
                else None,
                "result": "Wij bellen nu elke melding terug."
                if status is ActionStatus.done
                else None,
                "decline_explanation": "Past niet in de begroting."
                if status is ActionStatus.declined
                else None,
                "cancel_reason": "Dubbel." if status is ActionStatus.cancelled else None,
                "closed_on": min(today, deadline + timedelta(days=rng.randint(-20, 10)))
                if closed
                else None,
                "last_update_at": now - timedelta(days=rng.randint(0, 90)),
                "created_at": now - timedelta(days=120),
                "updated_at": now,
                "version": 1,
            }
        )
    ids = _insert_with_ids(ImprovementAction.__table__, rows)
    history = [
        {
            "action_id": action_id,
            "changed_at": now - timedelta(days=120),
            "field": "created",
            "new_value": row["title"],
            "version": 1,
        }
        for action_id, row in zip(ids, rows)
    ]
    _insert(ActionChange.__table__, history)
    # The n-th action of a department takes the n-th candidate of that department in turn.
    nth = [i // len(department_ids) for i in range(count)]
    if co_owner_ids:
        links = []
        for action_id, row, n in zip(ids, rows, nth):
            candidates = (
                co_owner_ids.get(row["department_id"], ())
                if isinstance(co_owner_ids, dict)
                else co_owner_ids
            )
            if not candidates:
                continue
            co_owner = candidates[n % len(candidates)]
            if co_owner != row["owner_id"]:
                links.append({"action_id": action_id, "user_id": co_owner})
        _insert(action_co_owner, links)
    if findings_by_department:
        links = []
        for action_id, row, n in zip(ids, rows, nth):
            candidates = findings_by_department.get(row["department_id"])
            if candidates:
                links.append(
                    {"action_id": action_id, "finding_id": candidates[n % len(candidates)]}
                )
        _insert(action_finding, links)
    return ids


def bulk_updates(
    action_ids: list[int],
    author_ids: list[int],
    count: int,
    seed: int = 2,
    *,
    owner_by_action: dict[int, int] | None = None,
    public_every: int = 0,
) -> None:
    """Insert `count` progress updates spread over the actions, each with its history row.
    `owner_by_action`: the author is the action's owner (else one of `author_ids`);
    `public_every`: every n-th update is shown on "you said, we did"."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    updates = []
    for i in range(count):
        action_id = action_ids[i % len(action_ids)]
        author = (
            owner_by_action[action_id]
            if owner_by_action
            else author_ids[rng.randrange(len(author_ids))]
        )
        updates.append(
            {
                "action_id": action_id,
                "author_id": author,
                "created_at": now - timedelta(days=rng.randint(0, 90), minutes=i % 1440),
                "text": "Gesprek gevoerd met de servicedesk; belscript aangepast.",
                "percent": rng.choice((10, 20, 40, 60, 80)),
                "public": bool(public_every) and i % public_every == 0,
            }
        )
    ids = _insert_with_ids(ProgressUpdate.__table__, updates)
    _insert(
        ActionChange.__table__,
        [
            {
                "action_id": row["action_id"],
                "changed_by_id": row["author_id"],
                "changed_at": row["created_at"],
                "field": "progress",
                "old_value": "0",
                "new_value": str(row["percent"]),
                "update_id": update_id,
                "version": 1,
            }
            for update_id, row in zip(ids, updates)
        ],
    )


# --- The organisation ---------------------------------------------------------------------


def department_names(count: int) -> list[str]:
    """The departments of the survey export (the synthetic generator's names)."""
    from bench.synthetic import DEPARTMENTS

    names = list(DEPARTMENTS[:count])
    return names + [f"Afdeling {i}" for i in range(len(names) + 1, count + 1)]


def _short_name(name: str) -> str:
    words = name.split()
    return name if len(name) <= 12 else "".join(w[0] for w in words if w[0].isupper())[:12]


def _people(scale: Scale, department_ids: list[int]) -> tuple[list[int], list[dict]]:
    from werkzeug.security import generate_password_hash

    from tracker.auth.models import DepartmentMembership, MembershipRole, Role, User

    password_hash = generate_password_hash(BENCH_PASSWORD, method=BENCH_HASH_METHOD)
    people = [
        {
            "email": "beheer@bench.example",
            "name": "Beheerder Bench",
            "role": Role.admin,
            "department": None,
            "kind": "admin",
        }
    ]
    for index, department_id in enumerate(department_ids):
        people.append(
            {
                "email": f"directeur{index + 1}@bench.example",
                "name": f"Directeur {index + 1}",
                "role": Role.director,
                "department": department_id,
                "kind": "director",
            }
        )
        for number in range(scale.owners_per_department):
            people.append(
                {
                    "email": f"medewerker{index + 1}-{number + 1}@bench.example",
                    "name": f"Medewerker {index + 1}-{number + 1}",
                    "role": Role.owner,
                    "department": department_id,
                    "kind": "staff",
                }
            )
    for number in range(scale.employees):
        people.append(
            {
                "email": f"klant{number + 1}@bench.example",
                "name": f"Klant {number + 1}",
                "role": Role.employee,
                "department": None,
                "kind": "employee",
            }
        )
    user_ids = _insert_with_ids(
        User.__table__,
        [
            {
                "email": p["email"],
                "name": p["name"],
                "role": p["role"],
                "password_hash": password_hash,
                "active": True,
                "session_token": f"bench-{i}",
            }
            for i, p in enumerate(people)
        ],
    )
    for user_id, person in zip(user_ids, people):
        person["id"] = user_id
    _insert_with_ids(
        DepartmentMembership.__table__,
        [
            {
                "department_id": p["department"],
                "user_id": p["id"],
                "role": MembershipRole.director
                if p["kind"] == "director"
                else MembershipRole.staff,
            }
            for p in people
            if p["department"]
        ],
    )
    return user_ids, people


def _round_dates(scale: Scale, today: date) -> list[date]:
    """Publication days, twice a year, the latest two months ago."""
    latest = today - timedelta(days=60)
    return [latest - timedelta(days=182 * (scale.rounds - 1 - r)) for r in range(scale.rounds)]


def _surveys(
    scale: Scale,
    department_ids: list[int],
    directors: dict[int, int],
    today: date,
    rng: random.Random,
) -> dict:
    """Rounds, questions, participation, findings (triaged in the past rounds, partly in the
    latest) and comments. Returns the round ids and the findings to act on per department."""
    from bench.synthetic import COMMENTS, question_bank
    from tracker.surveys.models import (
        Finding,
        FindingKind,
        Question,
        QuestionScale,
        RoundParticipation,
        Sphere,
        SurveyComment,
        SurveyRound,
        Theme,
        Triage,
    )

    bank = question_bank(scale.questions)
    theme_names = list(dict.fromkeys(q.theme for q in bank))
    theme_ids = dict(
        zip(
            theme_names, _insert_with_ids(Theme.__table__, [{"name": name} for name in theme_names])
        )
    )
    held = _round_dates(scale, today)
    now = datetime.now(timezone.utc)
    round_ids = _insert_with_ids(
        SurveyRound.__table__,
        [
            {
                "name": f"Intern klantonderzoek {r + 1} ({day:%Y-%m})",
                "held_on": day,
                "fieldwork_started_on": day - timedelta(days=45),
                "source_tool": "qualtrics",
                "label_map": {},
                "created_at": now,
            }
            for r, day in enumerate(held)
        ],
    )
    question_rows = [
        {
            "round_id": round_id,
            "key": q.key,
            "text": q.text,
            "theme_id": theme_ids[q.theme],
            "scale": QuestionScale.grade10 if q.kind == "grade10" else QuestionScale.likert5,
            "position": position,
        }
        for round_id in round_ids
        for position, q in enumerate(bank)
    ]
    question_ids = _insert_with_ids(Question.__table__, question_rows)
    questions_by_round = {}
    for row, question_id in zip(question_rows, question_ids):
        questions_by_round.setdefault(row["round_id"], []).append((question_id, row["scale"]))

    _insert_with_ids(
        RoundParticipation.__table__,
        [
            {"round_id": round_id, "department_id": d, "respondents": rng.randint(40, 160)}
            for round_id in round_ids
            for d in department_ids
        ],
    )

    level = {d: rng.gauss(0, 0.5) for d in department_ids}
    hardness = [rng.gauss(0, 0.4) for _ in bank]
    benchmark = [7.0 + h for h in hardness]  # on the 1-10 scale
    previous: dict[tuple[int, int], float] = {}
    findings: list[dict] = []
    for r, round_id in enumerate(round_ids):
        latest = r == len(round_ids) - 1
        for d in department_ids:
            rows = []
            for position, (question_id, question_scale) in enumerate(questions_by_round[round_id]):
                grade = max(
                    1.0,
                    min(10.0, 7.0 + level[d] - hardness[position] + 0.05 * r + rng.gauss(0, 0.45)),
                )
                likert = question_scale is QuestionScale.likert5
                to_scale = (lambda g: 1 + (g - 1) * 4 / 9) if likert else (lambda g: g)
                n = rng.randint(12, 90)
                suppressed = rng.random() < 0.01
                score = None if suppressed else round(to_scale(grade), 2)
                rows.append(
                    {
                        "round_id": round_id,
                        "department_id": d,
                        "question_id": question_id,
                        "score": score,
                        "n": 3 if suppressed else n,
                        "sd": round(rng.uniform(0.7, 1.2) if likert else rng.uniform(1.0, 1.8), 2),
                        "benchmark": round(to_scale(benchmark[position]), 2),
                        "previous_score": previous.get((d, position)),
                        "suppressed": suppressed,
                        "kind": FindingKind.result,
                        "proposed": False,
                        "triage": Triage.untriaged,
                        "sphere": None,
                        "no_action_reason": None,
                        "triaged_by_id": None,
                        "triaged_at": None,
                        "_grade": None if suppressed else grade,
                    }
                )
                if score is not None:
                    previous[(d, position)] = score
            ranked = sorted(
                (row for row in rows if row["_grade"] is not None), key=lambda row: row["_grade"]
            )
            for place, row in enumerate(ranked[:3]):
                row.update(kind=FindingKind.lowest, proposed=True)
                if not latest or place < 2:
                    act = latest or place < 2
                    row.update(
                        triage=Triage.act if act else Triage.no_action,
                        sphere=Sphere.own if act else Sphere.management,
                        no_action_reason=None
                        if act
                        else "Ligt bij het concern; wij hebben het daar aangekaart.",
                        triaged_by_id=directors[d],
                        triaged_at=now - timedelta(days=30),
                    )
            if ranked:
                ranked[-1].update(
                    kind=FindingKind.strength,
                    proposed=True,
                    triage=Triage.untriaged if latest else Triage.strength,
                )
            findings.extend(rows)
    for row in findings:
        del row["_grade"]
    finding_ids = _insert_with_ids(Finding.__table__, findings)
    act_by_department: dict[int, list[int]] = {d: [] for d in department_ids}
    for finding_id, row in zip(finding_ids, findings):
        if row["triage"] is Triage.act:
            act_by_department[row["department_id"]].append(finding_id)

    comments = []
    for round_id in round_ids:
        for d in department_ids:
            for number in range(4):
                question_id = questions_by_round[round_id][number % len(bank)][0]
                comments.append(
                    {
                        "round_id": round_id,
                        "department_id": d,
                        "question_id": question_id,
                        "text": COMMENTS[(d + number) % len(COMMENTS)],
                        "approved": number < 2,
                    }
                )
    _insert_with_ids(SurveyComment.__table__, comments)
    return {"round_ids": round_ids, "findings_by_department": act_by_department}


def _cocreation(
    action_rows: list[tuple[int, int, ActionStatus]],
    employee_ids: list[int],
    department_ids: list[int],
    rng: random.Random,
) -> None:
    """Reactions of employees to some public actions, and follows."""
    from tracker.cocreation.models import CommentStatus, Follow, Reaction, Verdict

    now = datetime.now(timezone.utc)
    shown = (ActionStatus.planned, ActionStatus.in_progress, ActionStatus.done)
    reactions = []
    for action_id, _department_id, status in action_rows:
        if status not in shown or action_id % 10:
            continue
        for user_id in rng.sample(employee_ids, min(len(employee_ids), rng.randint(1, 3))):
            commented = rng.random() < 0.3
            reactions.append(
                {
                    "action_id": action_id,
                    "user_id": user_id,
                    "verdict": Verdict.helps if rng.random() < 0.7 else Verdict.not_yet,
                    "comment": "Merk ik inderdaad, fijn!" if commented else None,
                    "comment_status": (
                        CommentStatus.approved if rng.random() < 0.7 else CommentStatus.pending
                    )
                    if commented
                    else CommentStatus.none,
                    "created_at": now - timedelta(days=rng.randint(0, 60)),
                    "updated_at": now - timedelta(days=rng.randint(0, 60)),
                }
            )
    _insert_with_ids(Reaction.__table__, reactions)
    follows = []
    for index, user_id in enumerate(employee_ids):
        for department_id in {
            department_ids[index % len(department_ids)],
            department_ids[(index * 7 + 3) % len(department_ids)],
        }:
            follows.append(
                {
                    "user_id": user_id,
                    "department_id": department_id,
                    "action_id": None,
                    "created_at": now,
                }
            )
    _insert_with_ids(Follow.__table__, follows)


def _deadline_requests(action_rows, owner_by_action, deadlines, rng: random.Random) -> None:
    """A pending request for more time on one in fifty open actions."""
    from tracker.actions.models import DeadlineDecision, DeadlineRequest

    now = datetime.now(timezone.utc)
    rows = []
    for action_id, _department_id, status in action_rows:
        if status.is_open and action_id % 50 == 7:
            rows.append(
                {
                    "action_id": action_id,
                    "update_id": None,
                    "requested_by_id": owner_by_action[action_id],
                    "requested_at": now - timedelta(days=rng.randint(0, 10)),
                    "previous_deadline": deadlines[action_id],
                    "requested_deadline": deadlines[action_id] + timedelta(days=30),
                    "reason": "De leverancier is later dan gepland.",
                    "decision": DeadlineDecision.pending,
                }
            )
    _insert_with_ids(DeadlineRequest.__table__, rows)


def _meetings(
    scale: Scale, department_ids: list[int], people: list[dict], today: date
) -> dict[int, int]:
    """A weekly staff meeting per department (through the service, a few rows each), and
    the agenda of its first meeting built. Returns department id -> that meeting's id."""
    from tracker.auth.models import User
    from tracker.meetings import agenda, services
    from tracker.meetings.models import Meeting, Recurrence
    from tracker.organisation.models import Department

    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(
                User.id.in_([p["id"] for p in people if p["kind"] in ("director", "staff")])
            )
        )
    }
    departments = {
        d.id: d
        for d in db.session.scalars(select(Department).where(Department.id.in_(department_ids)))
    }
    first_day = today + timedelta(days=2)
    meetings = {}
    for index, department_id in enumerate(department_ids):
        director = next(
            users[p["id"]]
            for p in people
            if p["kind"] == "director" and p["department"] == department_id
        )
        staff = [
            users[p["id"]]
            for p in people
            if p["kind"] == "staff" and p["department"] == department_id
        ]
        series = services.save_series(
            None,
            title=f"Stafoverleg {departments[department_id].short_name}",
            department=departments[department_id],
            recurrence=Recurrence.weekly,
            weekday=first_day.weekday(),
            starts_on=first_day,
            start_time=clock(10),
            location="Vergaderzaal 2.14",
            attendees=[director, *staff[:4]],
            chair=director,
        )
        meeting = db.session.scalar(
            select(Meeting)
            .where(Meeting.series_id == series.id)
            .order_by(Meeting.starts_at)
            .limit(1)
        )
        if index < scale.agendas:
            agenda.build_agenda(None, meeting)
        meetings[department_id] = meeting.id
        db.session.flush()
    return meetings


def populate_scale(scale: Scale = FULL, seed: int = SEED) -> dict:
    """Everything at `scale`, in the current app context and database (which holds only the
    schema). Commits. Returns what the benchmarks need to know (JSON-serialisable)."""
    from tracker import clock
    from tracker.organisation.models import Department, Directorate, Organisation

    started = time.perf_counter()
    rng = random.Random(seed)
    db.session.add(Organisation(name="Gemeente Benchdam"))
    db.session.flush()
    today = clock.today()
    directorates = _insert_with_ids(
        Directorate.__table__,
        [
            {"name": f"Directie {name}"}
            for name in ("Bedrijfsvoering", "Dienstverlening", "Informatie", "Middelen", "Advies")
        ][: max(1, (scale.departments + 9) // 10)],
    )
    names = department_names(scale.departments)
    department_ids = _insert_with_ids(
        Department.__table__,
        [
            {
                "name": name,
                "short_name": _short_name(name),
                "directorate_id": directorates[i // 10 % len(directorates)],
                "active": True,
                "publish_owner_names": i % 2 == 0,
            }
            for i, name in enumerate(names)
        ],
    )
    _user_ids, people = _people(scale, department_ids)
    directors = {p["department"]: p["id"] for p in people if p["kind"] == "director"}
    staff_by_department = {
        d: [p["id"] for p in people if p["kind"] == "staff" and p["department"] == d]
        for d in department_ids
    }
    employees = [p["id"] for p in people if p["kind"] == "employee"]
    surveys = _surveys(scale, department_ids, directors, today, rng)

    action_ids = bulk_actions(
        department_ids=department_ids,
        owner_ids=staff_by_department,
        count=scale.actions,
        today=today,
        findings_by_department=surveys["findings_by_department"],
        co_owner_ids={d: ids[1::2] for d, ids in staff_by_department.items()},
        seed=seed,
    )
    table = ImprovementAction.__table__
    generated = db.session.execute(
        select(
            table.c.id, table.c.department_id, table.c.status, table.c.owner_id, table.c.deadline
        )
        .where(table.c.id >= min(action_ids), table.c.id <= max(action_ids))
        .order_by(table.c.id)
    ).all()
    action_rows = [(row.id, row.department_id, row.status) for row in generated]
    owner_by_action = {row.id: row.owner_id for row in generated}
    deadlines = {row.id: row.deadline for row in generated}
    bulk_updates(
        action_ids,
        [],
        scale.updates,
        seed=seed + 1,
        owner_by_action=owner_by_action,
        public_every=4,
    )
    _deadline_requests(action_rows, owner_by_action, deadlines, rng)
    _cocreation(action_rows, employees, department_ids, rng)
    db.session.commit()
    meetings = _meetings(scale, department_ids, people, today)
    db.session.commit()

    by_department = {d: [] for d in department_ids}
    for action_id, department_id, status in action_rows:
        by_department[department_id].append((action_id, status))
    first = department_ids[0]
    owner_email = next(
        p["email"] for p in people if p["kind"] == "staff" and p["department"] == first
    )
    owner_id = next(p["id"] for p in people if p["email"] == owner_email)
    return {
        "scale": asdict(scale),
        "seconds": round(time.perf_counter() - started, 1),
        "today": today.isoformat(),
        "department_ids": department_ids,
        "department_names": names,
        "round_ids": surveys["round_ids"],
        "latest_round_id": surveys["round_ids"][-1],
        "admin_email": "beheer@bench.example",
        "director_emails": [p["email"] for p in people if p["kind"] == "director"],
        "director_ids": [directors[d] for d in department_ids],
        "staff_ids": [p["id"] for p in people if p["kind"] == "staff"],
        "staff_by_department": {str(d): ids for d, ids in staff_by_department.items()},
        "staff_emails_by_department": {
            str(d): [p["email"] for p in people if p["kind"] == "staff" and p["department"] == d]
            for d in department_ids
        },
        "employee_emails": [p["email"] for p in people if p["kind"] == "employee"],
        "owner_email": owner_email,
        "owner_open_action_id": next(
            a
            for a, status in by_department[first]
            if status.is_open and owner_by_action[a] == owner_id
        ),
        "meeting_ids": {str(d): m for d, m in meetings.items()},
        "findings_by_department": {
            str(d): ids for d, ids in surveys["findings_by_department"].items()
        },
    }


# --- The older entry points (kept for the tests and for scripts) --------------------------


def build_world(
    departments: int = 12,
    owners_per_department: int = 12,
    employees: int = 200,
    findings_per_department: int = 30,
) -> dict:
    """Departments with a director and staff, employees, two rounds of findings; no actions."""
    from tracker import clock
    from tracker.organisation.models import Department, Organisation

    scale = Scale(
        departments=departments,
        rounds=2,
        questions=findings_per_department,
        actions=0,
        updates=0,
        owners_per_department=owners_per_department,
        employees=employees,
    )
    db.session.add(Organisation(name="Gemeente Benchdam"))
    db.session.flush()
    department_ids = _insert_with_ids(
        Department.__table__,
        [
            {"name": f"Afdeling {i + 1}", "short_name": f"A{i + 1}", "active": True}
            for i in range(departments)
        ],
    )
    _user_ids, people = _people(scale, department_ids)
    directors = {p["department"]: p["id"] for p in people if p["kind"] == "director"}
    surveys = _surveys(scale, department_ids, directors, clock.today(), random.Random(SEED))
    staff_by_department = {
        d: [p["id"] for p in people if p["kind"] == "staff" and p["department"] == d]
        for d in department_ids
    }
    return {
        "department_ids": list(department_ids),
        "director_emails": [p["email"] for p in people if p["kind"] == "director"],
        "director_ids": [directors[d] for d in department_ids],
        "staff_ids": [p["id"] for p in people if p["kind"] == "staff"],
        "staff_by_department": staff_by_department,
        "owner_email": next(p["email"] for p in people if p["kind"] == "staff"),
        "findings_by_department": surveys["findings_by_department"],
        "round_ids": surveys["round_ids"],
    }


def populate(actions: int, updates: int) -> dict:
    """A whole organisation with `actions` actions and `updates` updates (in an app context)."""
    from tracker import clock

    world = build_world()
    staff = world["staff_ids"]
    action_ids = bulk_actions(
        department_ids=world["department_ids"],
        owner_ids=world["staff_by_department"],
        count=actions,
        today=clock.today(),
        findings_by_department=world["findings_by_department"],
        co_owner_ids=staff[::3],
    )
    bulk_updates(action_ids, staff, updates)
    db.session.commit()
    world["action_ids"] = action_ids
    return world


# --- Databases and files ------------------------------------------------------------------


def app_for(database: str, migrate: bool = False, **config):
    """An app on `database` (a SQLite file path or a database URL); with `migrate`, the schema
    from the migrations first."""
    from tracker import create_app

    url = database if "://" in str(database) else f"sqlite:///{database}"
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "PASSWORD_HASH_METHOD": BENCH_HASH_METHOD,
            "SERVER_NAME": None,
            # Benchmarks log in with a plain POST.
            "WTF_CSRF_ENABLED": False,
            **config,
        }
    )
    if migrate:
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
    return app


def create_database(path: str):
    """An app on a fresh SQLite database at `path`, schema from the migrations."""
    return app_for(path, migrate=True)


def build_database(database: str, scale: Scale = FULL, migrate: bool = True) -> dict:
    """Fill `database` (SQLite path or URL; migrated here unless `migrate` is False) at
    `scale`; returns the world description."""
    app = app_for(database, migrate=migrate)
    with app.app_context():
        world = populate_scale(scale)
        db.session.remove()
        db.engine.dispose()
    return world


def write_survey_export(path: Path, scale: Scale = FULL) -> dict:
    """The next round's survey export: a Qualtrics CSV of `scale.respondents` respondents
    about the same departments and questions as the database."""
    from bench.synthetic import generate

    started = time.perf_counter()
    survey = generate(
        respondents=scale.respondents,
        questions=scale.questions,
        departments=scale.departments,
        seed=SEED,
    )
    Path(path).write_bytes(survey.data)
    return {
        "respondents": scale.respondents,
        "questions": scale.questions,
        "departments": scale.departments,
        "bytes": len(survey.data),
        "seconds": round(time.perf_counter() - started, 1),
    }


def generate_all(out: Path, scales=("full", "small"), export: bool = True) -> dict:
    """Everything the benchmarks read, into `out`; a manifest.json says what is there."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    for name in scales:
        started = time.perf_counter()
        path = out / f"{name}.db"
        path.unlink(missing_ok=True)
        world = build_database(str(path), SCALES[name])
        (out / f"{name}.json").write_text(json.dumps(world))
        manifest[name] = {
            "seconds": round(time.perf_counter() - started, 1),
            "rows_seconds": world["seconds"],
            "bytes": path.stat().st_size,
            "scale": world["scale"],
        }
        print(
            f"{name}: {describe(SCALES[name])} in {manifest[name]['seconds']} s "
            f"({world['seconds']} s for the rows)",
            flush=True,
        )
    if export:
        manifest["export"] = write_survey_export(out / "survey-export.csv", FULL)
        print(
            f"survey export: {FULL.respondents:,} respondents x {FULL.questions} questions, "
            f"{manifest['export']['bytes'] / 1e6:.1f} MB in {manifest['export']['seconds']} s",
            flush=True,
        )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def describe(scale: Scale) -> str:
    return (
        f"{scale.departments} departments, {scale.rounds} rounds, {scale.findings:,} "
        f"findings, {scale.actions:,} actions, {scale.updates:,} updates"
    )


def data_dir(scales=("full", "small"), export: bool = True) -> Path:
    """The generated data of this `make bench` run (BENCH_DATA), or, for a benchmark run on
    its own, data generated now into a temporary folder removed at exit."""
    given = os.environ.get("BENCH_DATA")
    if given and (Path(given) / "manifest.json").exists():
        return Path(given)
    out = Path(tempfile.mkdtemp(prefix="tracker-bench-data-"))
    atexit.register(shutil.rmtree, out, True)
    print(f"generating benchmark data into {out} (BENCH_DATA not set)", flush=True)
    generate_all(out, scales, export)
    os.environ["BENCH_DATA"] = str(out)
    return out


def copy_database(name: str, target: Path) -> tuple[Path, dict]:
    """A private copy of the generated `name` database (full or small) and its world."""
    source = data_dir()
    target = Path(target)
    shutil.copyfile(source / f"{name}.db", target)
    return target, json.loads((source / f"{name}.json").read_text())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the SQLite files and the export")
    parser.add_argument("--database-url", help="fill this (migrated) database instead")
    parser.add_argument("--scale", choices=["full", "small", "both"], default=None)
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--world", type=Path, help="with --database-url: write the world here")
    args = parser.parse_args(argv)
    if args.database_url:
        scale = SCALES[args.scale or "full"]
        started = time.perf_counter()
        world = build_database(args.database_url, scale, migrate=False)
        if args.world:
            args.world.write_text(json.dumps(world))
        print(f"{describe(scale)} in {time.perf_counter() - started:.1f} s")
        return
    if not args.out:
        parser.error("give --out DIR or --database-url URL")
    scales = ("full", "small") if args.scale in (None, "both") else (args.scale,)
    generate_all(args.out, scales, export=not args.no_export)


if __name__ == "__main__":
    main()
