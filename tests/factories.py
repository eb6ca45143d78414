"""Small builders for test data; each writes through the services, like the app does."""

from __future__ import annotations

import itertools

from tracker.auth.models import Role, User
from tracker.auth.services import create_user
from tracker.extensions import db
from tracker.organisation.models import Department
from tracker.organisation.services import create_department

PASSWORD = "correct horse battery"
HASH_METHOD = "scrypt:1024:8:1"
_numbers = itertools.count(1)


def make_department(name: str | None = None, short_name: str | None = None) -> Department:
    number = next(_numbers)
    department = create_department(
        None, name=name or f"Afdeling {number}", short_name=short_name or f"A{number}"
    )
    db.session.commit()
    return department


def make_user(
    role: Role = Role.employee,
    email: str | None = None,
    name: str | None = None,
    directs: list[Department] = (),
    staff_of: list[Department] = (),
    password: str = PASSWORD,
) -> User:
    number = next(_numbers)
    user = create_user(
        None,
        email=email or f"user{number}@example.org",
        name=name or f"Gebruiker {number}",
        role=role,
        password=password,
        hash_method=HASH_METHOD,
        directs=directs,
        staff_of=staff_of,
    )
    db.session.commit()
    return user


def make_finding(
    department: Department,
    round_name: str = "KTO 2026",
    score: float = 6.1,
    question_text: str = "Ik word teruggebeld zoals beloofd",
    **fields,
):
    """A proposed finding on a 1-10 question, in a round created when needed."""
    from datetime import date

    from sqlalchemy import select

    from tracker.surveys.models import Finding, FindingKind, Question, QuestionScale, SurveyRound

    round_ = db.session.scalar(select(SurveyRound).where(SurveyRound.name == round_name))
    if round_ is None:
        round_ = SurveyRound(name=round_name, held_on=date(2026, 3, 1), label_map={})
        db.session.add(round_)
    question = Question(
        round=round_, key=f"Q{next(_numbers)}", text=question_text, scale=QuestionScale.grade10
    )
    values = {
        "n": 40,
        "benchmark": 6.9,
        "proposed": True,
        "kind": FindingKind.below_benchmark,
        **fields,
    }
    finding = Finding(round=round_, department=department, question=question, score=score, **values)
    db.session.add(finding)
    db.session.commit()
    return finding


def make_action(
    department: Department,
    owner: User,
    *,
    by: User | None = None,
    title: str | None = None,
    deadline=None,
    findings=(),
    co_owners=(),
    visibility=None,
    quick_win: bool = False,
    now=None,
):
    """An action created through the service, by the department's director (or `by`)."""
    from datetime import timedelta

    from tracker import clock
    from tracker.actions import services
    from tracker.actions.models import Visibility

    if by is None:
        by = (
            department.directors[0]
            if department.directors
            else make_user(Role.admin, email=f"admin{next(_numbers)}@example.org")
        )
    number = next(_numbers)
    action = services.create_action(
        by,
        department=department,
        title=title or f"Actie {number}",
        description="Wat er concreet verandert.",
        owner=owner,
        deadline=deadline or clock.today(now) + timedelta(days=30),
        co_owners=list(co_owners),
        findings=list(findings),
        visibility=visibility or Visibility.public,
        quick_win=quick_win,
        now=now,
    )
    db.session.commit()
    return action
