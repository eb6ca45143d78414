"""A score as people read it, on its question's scale."""

from __future__ import annotations

from tracker.formatting import number
from tracker.surveys.models import QuestionScale


def score_text(value: float | None, scale: QuestionScale) -> str:
    """A score as people read it: 6,1 on a grade, 3,4 on a 1-5 scale, 78% for yes/no."""
    if value is None:
        return "–"
    if scale is QuestionScale.yesno:
        return f"{number(value * 100, 0)}%"
    return number(value, 1)
