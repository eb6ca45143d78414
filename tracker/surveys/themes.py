"""Themes (bereikbaarheid, communicatie, …): which theme each question of a round has.

A finding is a question's result for a department in a round, so it carries the theme of
its question: one model, on `Question.theme`. Themes come in with the import (a question-to-theme
mapping from the wizard or the caller, else the file's theme column, else the theme the
same question had in an earlier round) and a director changes them on the results page, one or many at once.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.auth.models import User
from tracker.auth.permissions import may_manage_department
from tracker.errors import DomainError
from tracker.extensions import db
from tracker.organisation.models import Department
from tracker.surveys.importers.base import ParsedQuestion
from tracker.surveys.models import Finding, Question, SurveyRound, Theme

MAX_NAME = 200


def all_themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).order_by(Theme.name)))


def theme_named(name: str | None, cache: dict[str, Theme] | None = None) -> Theme | None:
    """The theme with this name, made when it is new; None for no name. Names match
    without regard to case, so "Bereikbaarheid" and "bereikbaarheid" are one theme."""
    name = " ".join((name or "").split())
    if not name:
        return None
    if len(name) > MAX_NAME:
        raise DomainError(_l("A theme name has at most %(n)d characters.", n=MAX_NAME), "new_theme")
    cache = {} if cache is None else cache
    key = name.casefold()
    if key not in cache:
        theme = next(
            (t for t in db.session.scalars(select(Theme)) if t.name.casefold() == key), None
        )
        if theme is None:
            theme = Theme(name=name)
            db.session.add(theme)
        cache[key] = theme
    return cache[key]


def _earlier(held_on) -> tuple[dict[str, Theme], dict[int, Theme]]:
    """Themes of questions in rounds held before `held_on`: by question text (casefolded;
    the latest round wins) and by question id. One query."""
    by_text: dict[str, Theme] = {}
    by_id: dict[int, Theme] = {}
    for question_id, text, theme in db.session.execute(
        select(Question.id, Question.text, Theme)
        .join(Theme, Question.theme_id == Theme.id)
        .join(SurveyRound, Question.round_id == SurveyRound.id)
        .where(SurveyRound.held_on < held_on)
        .order_by(SurveyRound.held_on)
    ):
        by_text[text.strip().casefold()] = theme
        by_id[question_id] = theme
    return by_text, by_id


def suggested_themes(held_on) -> dict[str, str]:
    """Question text (lower case) -> the theme it had in the latest earlier round, for the
    import wizard to propose."""
    # Keyed by str.lower(), as the wizard's template looks them up.
    return {text.lower(): theme.name for text, theme in _earlier(held_on)[0].items()}


def themes_at_import(
    round_: SurveyRound, mapping: dict[str, str], continues: dict[str, int]
) -> Callable[[ParsedQuestion], Theme | None]:
    """How the import gives a new question its theme: the mapping the user gave (question
    key or question text -> theme name); else the file's theme column; else the theme of the
    question it continues, or of the latest earlier question with the same text."""
    wanted = {key.strip().casefold(): name for key, name in (mapping or {}).items() if name}
    by_text, by_id = _earlier(round_.held_on)
    cache: dict[str, Theme] = {}

    def theme_of(question: ParsedQuestion) -> Theme | None:
        name = wanted.get(question.key.strip().casefold())
        name = name or wanted.get(question.text.strip().casefold()) or question.theme
        if name:
            return theme_named(name, cache)
        return by_id.get(continues.get(question.key)) or by_text.get(
            question.text.strip().casefold()
        )

    return theme_of


def set_theme(
    acting_user: User,
    round_: SurveyRound,
    department: Department,
    question_ids: list[int],
    theme_name: str | None,
) -> int:
    """Give the chosen questions one theme (None or "": no theme), for the department's
    director. The question's theme holds for every department in the round. Returns how
    many questions changed."""
    if not may_manage_department(acting_user, department.id):
        raise DomainError(
            _l("Only a director of %(name)s may change its themes.", name=department.name)
        )
    ids = set(question_ids)
    if not ids:
        raise DomainError(_l("Choose one or more questions to give a theme."), "question")
    questions = db.session.scalars(
        select(Question)
        .join(Finding, Finding.question_id == Question.id)
        .where(
            Question.id.in_(ids),
            Finding.round_id == round_.id,
            Finding.department_id == department.id,
        )
    ).all()
    if len(questions) != len(ids):
        raise DomainError(
            _l("Some of the chosen questions are not in these results; nothing was changed."),
            "question",
        )
    theme = theme_named(theme_name)
    changed = 0
    for question in questions:
        if question.theme is not theme:
            question.theme = theme
            changed += 1
    db.session.flush()
    return changed
