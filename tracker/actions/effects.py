"""Did it work? The effect of an action on the score of each finding it followed up.

The finding's own round is the round before the action; the effect is measured in the first
later round of the same department whose fieldwork began after the action was done. Questions
match across rounds by identical text or a mapping made by hand, departments through their
renames and merges (`queries.findings_by_question`). The effect is the difference of
the two mean scores, with a 95% Welch t-interval from n and the standard deviation of both
rounds; "improved" or "worse" only when that interval lies wholly on one side of zero, and no
verdict at all without an interval. Groups under the anonymity threshold produce nothing. Next to
each effect: the mean change of the department's other questions that had no action, so a general
rise is not credited to the action.

Everything here is pure except `action_effects`, the one query helper (two queries however many
actions it is given, plus the two lineage queries).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import noload, subqueryload

from tracker import changes
from tracker.actions.models import ActionStatus, ImprovementAction, action_finding
from tracker.actions.queries import load_co_owners
from tracker.extensions import db
from tracker.formatting import number
from tracker.surveys import queries
from tracker.surveys.models import Finding, QuestionScale, SurveyRound

CONFIDENCE = 0.95
#: Actions in these states changed nothing there is to measure.
NOT_MEASURED = (ActionStatus.declined, ActionStatus.cancelled)


class Verdict(enum.Enum):
    improved = "improved"
    no_clear_change = "no_clear_change"
    worse = "worse"
    #: No standard deviations: the difference is shown, but no verdict is given.
    no_interval = "no_interval"
    #: Done after the later round's fieldwork began.
    too_late = "too_late"
    #: Not done (yet) when the later round's fieldwork began.
    not_done = "not_done"


@dataclass(frozen=True)
class Sample:
    """One round's result on a question: mean, valid answers, sample standard deviation."""

    score: float
    n: int
    sd: float | None = None


@dataclass(frozen=True)
class Difference:
    """after − before, with the half-width of its confidence interval when it is known."""

    value: float
    half_width: float | None = None
    #: Welch–Satterthwaite degrees of freedom.
    df: float | None = None

    @property
    def low(self) -> float | None:
        return None if self.half_width is None else self.value - self.half_width

    @property
    def high(self) -> float | None:
        return None if self.half_width is None else self.value + self.half_width

    @property
    def verdict(self) -> Verdict:
        if self.half_width is None:
            return Verdict.no_interval
        if self.low > 0:
            return Verdict.improved
        if self.high < 0:
            return Verdict.worse
        return Verdict.no_clear_change


def welch_difference(before: Sample, after: Sample, confidence: float = CONFIDENCE) -> Difference:
    """Difference of the means with Welch's t-interval (unequal variances)."""
    value = after.score - before.score
    if before.sd is None or after.sd is None or before.n < 2 or after.n < 2:
        return Difference(value)
    var_before = before.sd**2 / before.n
    var_after = after.sd**2 / after.n
    variance = var_before + var_after
    if variance == 0:
        # Every answer the same in both rounds: the difference is exact.
        return Difference(value, 0.0)
    df = variance**2 / (var_before**2 / (before.n - 1) + var_after**2 / (after.n - 1))
    from scipy import stats  # heavy: imported when an effect is computed, not at start-up

    t = float(stats.t.ppf((1 + confidence) / 2, df))
    return Difference(value, t * math.sqrt(variance), df)


def measurable(row, threshold: int) -> bool:
    """A result with a score for a group at or over the anonymity threshold."""
    return row.score is not None and not row.suppressed and row.n >= threshold


def fieldwork_start(row) -> date:
    """First day of a round's fieldwork (its publication date when that is not known)."""
    return row.fieldwork_started_on or row.held_on


@dataclass(frozen=True)
class Measurement:
    before: object
    after: object
    verdict: Verdict
    difference: Difference | None = None


def measure(done_on: date | None, before, later: list, threshold: int) -> Measurement | None:
    """The effect on one finding of an action done on `done_on` (None: not done).

    `before` is the finding's own result, `later` the same question's results in later rounds,
    oldest first. None when there is nothing to show: no later round yet, or a group under the
    anonymity threshold."""
    if not later or not measurable(before, threshold):
        return None
    after = next(
        (row for row in later if done_on is not None and done_on < fieldwork_start(row)), None
    )
    if after is None:
        after = later[-1]
        if not measurable(after, threshold):
            return None
        return Measurement(before, after, Verdict.too_late if done_on else Verdict.not_done)
    if not measurable(after, threshold):
        return None
    difference = welch_difference(
        Sample(before.score, before.n, before.sd), Sample(after.score, after.n, after.sd)
    )
    return Measurement(before, after, difference.verdict, difference)


@dataclass(frozen=True)
class OtherQuestions:
    """How the department's questions without an action changed between the same rounds."""

    mean_difference: float
    count: int


def other_questions_change(pairs) -> OtherQuestions | None:
    """Mean of after − before over (before, after) result pairs; None without pairs."""
    differences = [after.score - before.score for before, after in pairs]
    if not differences:
        return None
    return OtherQuestions(sum(differences) / len(differences), len(differences))


# --- Text -----------------------------------------------------------------------------------


def signed(value: float, digits: int = 1) -> str:
    """+0,6 / −0,4 / 0,0 in the reader's locale."""
    if round(value, digits) == 0:
        return number(0, digits)
    return ("+" if value > 0 else "\u2212") + number(abs(value), digits)


def effect_text(difference: Difference, scale: QuestionScale) -> str:
    """'+0,6 (±0,3)' on a scale; '+6 (±3) percentage points' for yes/no questions."""
    if scale is QuestionScale.yesno:
        text = signed(difference.value * 100, 0)
        if difference.half_width is not None:
            text += f" (±{number(difference.half_width * 100, 0)})"
        return _("%(difference)s percentage points", difference=text)
    text = signed(difference.value)
    if difference.half_width is not None:
        text += f" (±{number(difference.half_width)})"
    return text


VERDICT_TEXTS = {
    Verdict.improved: _l("improved"),
    Verdict.no_clear_change: _l("no clear change"),
    Verdict.worse: _l("worse"),
    Verdict.no_interval: _l("no interval: the file had no standard deviations"),
    Verdict.too_late: _l("too late to measure yet"),
    Verdict.not_done: _l("not done before this round's fieldwork: nothing to measure yet"),
}


def verdict_text(verdict: Verdict) -> str:
    # Only the one text is translated (a table of effects asks once per row).
    return str(VERDICT_TEXTS[verdict])


@dataclass(frozen=True)
class ActionEffect:
    """One action's effect on one finding it followed up."""

    action_id: int
    finding_id: int
    question: str
    scale: QuestionScale
    before_round_id: int
    before_round: str
    after_round_id: int
    after_round: str
    verdict: Verdict
    difference: Difference | None
    others: OtherQuestions | None

    @property
    def measured(self) -> bool:
        return self.difference is not None

    @property
    def effect_text(self) -> str:
        return effect_text(self.difference, self.scale) if self.difference else "–"

    @property
    def verdict_text(self) -> str:
        return verdict_text(self.verdict)

    @property
    def others_text(self) -> str:
        if self.others is None:
            return _("No other questions of the department without an action to compare with.")
        value = self.others.mean_difference
        if self.scale is QuestionScale.yesno:
            return _(
                "Other questions of the department without an action: %(difference)s "
                "percentage points on average.",
                difference=signed(value * 100, 0),
            )
        return _(
            "Other questions of the department without an action: %(difference)s on average.",
            difference=signed(value),
        )


# --- The query helper -----------------------------------------------------------------------


def _acted_finding_ids(department_ids) -> set[int]:
    """Findings followed up by an action that was not declined or cancelled."""
    # From the department's findings through their links (on PostgreSQL an EXISTS per
    # finding became a join over every action); many actions follow up the same findings.
    return set(
        db.session.scalars(
            select(action_finding.c.finding_id)
            .join(ImprovementAction, ImprovementAction.id == action_finding.c.action_id)
            .join(Finding, Finding.id == action_finding.c.finding_id)
            .where(
                Finding.department_id.in_(list(department_ids)),
                ImprovementAction.status.not_in(NOT_MEASURED),
            )
            .distinct()
        )
    )


@dataclass(frozen=True)
class _Basis:
    """The results effects are measured on, for some departments: the same question's
    results per (department, question) key oldest first, per (department, round) the results
    by question key, where each result sits in its series, and the findings acted on."""

    series: dict
    by_round: dict
    position: dict
    acted: frozenset


def _basis(department_ids, lines: queries.Lineage | None) -> _Basis:
    series = queries.findings_by_question(department_ids, lines=lines)
    by_round: dict[tuple[int, int], dict[str, object]] = {}
    position: dict[int, tuple[tuple[int, str], int]] = {}
    for key, rows in series.items():
        for index, row in enumerate(rows):
            by_round.setdefault((row.department_id, row.round_id), {})[key[1]] = row
            position[row.id] = (key, index)
    return _Basis(series, by_round, position, frozenset(_acted_finding_ids(department_ids)))


def action_effects(
    actions, threshold: int, lines: queries.Lineage | None = None, *, kept: bool = False
) -> dict[int, list[ActionEffect]]:
    """Action id -> its effects, one per finding that a later round measured (or that it was
    too late for). The actions' findings and their questions must be loaded (or loadable).
    `kept`: for pages, the results measured on are kept per data version (tracker.changes),
    as they change only with a commit; a service working in its own transaction leaves it."""
    result: dict[int, list[ActionEffect]] = {action.id: [] for action in actions}
    candidates = [a for a in actions if a.status not in NOT_MEASURED and a.findings]
    department_ids = {f.department_id for a in candidates for f in a.findings}
    if not department_ids:
        return result
    if kept:
        basis = changes.kept(
            ("effects.basis", frozenset(department_ids)),
            lambda: _basis(department_ids, queries.kept_lineage()),
        )
    else:
        basis = _basis(department_ids, lines)
    series, by_round, position, acted = (basis.series, basis.by_round, basis.position, basis.acted)

    for action in candidates:
        done_on = action.closed_on if action.status is ActionStatus.done else None
        for finding in action.findings:
            if finding.id not in position:
                continue
            key, index = position[finding.id]
            rows = series[key]
            before = rows[index]
            later = [row for row in rows[index + 1 :] if row.held_on > before.held_on]
            measurement = measure(done_on, before, later, threshold)
            if measurement is None:
                continue
            after = measurement.after
            others = None
            if measurement.difference is not None:
                earlier = by_round.get((before.department_id, before.round_id), {})
                then = by_round.get((after.department_id, after.round_id), {})
                others = other_questions_change(
                    (row, then[question])
                    for question, row in earlier.items()
                    if question != key[1]
                    and question in then
                    and row.id not in acted
                    and row.scale is before.scale
                    and then[question].scale is before.scale
                    and measurable(row, threshold)
                    and measurable(then[question], threshold)
                )
            result[action.id].append(
                ActionEffect(
                    action_id=action.id,
                    finding_id=finding.id,
                    question=before.text,
                    scale=before.scale,
                    before_round_id=before.round_id,
                    before_round=before.round_name,
                    after_round_id=after.round_id,
                    after_round=after.round_name,
                    verdict=measurement.verdict,
                    difference=measurement.difference,
                    others=others,
                )
            )
    return result


def department_effects(
    department_id: int, round_id: int, threshold: int
) -> list[tuple[ImprovementAction, ActionEffect]]:
    """The department's done actions with their effects measured from or in this round, and
    those done too late for it. Actions not done are left out: there is nothing to show yet
    (their own page says so). A constant number of queries however many actions there are."""
    # Actions of departments that were renamed or merged into this one count here too.
    related = queries.kept_lineage().related([department_id]) or [department_id]
    held_on = select(SurveyRound.held_on).where(SurveyRound.id == round_id).scalar_subquery()
    # Correlated: looked up per done action of the department (an IN over the subquery made
    # SQLite join every action's findings first).
    on_findings_until_now = (
        exists()
        .where(action_finding.c.action_id == ImprovementAction.id)
        .where(
            Finding.id == action_finding.c.finding_id,
            SurveyRound.id == Finding.round_id,
            SurveyRound.held_on <= held_on,
        )
    )
    actions = db.session.scalars(
        select(ImprovementAction)
        .where(
            ImprovementAction.department_id.in_(related),
            ImprovementAction.status == ActionStatus.done,
            on_findings_until_now,
        )
        # subqueryload: one query whatever the number of actions (selectinload would take
        # one per 500); the co-owners by the actions' ids (a subquery load of them made
        # PostgreSQL read every co-owner link).
        .options(subqueryload(ImprovementAction.findings), noload(ImprovementAction.co_owners))
        .order_by(ImprovementAction.deadline, ImprovementAction.id)
    ).all()
    load_co_owners(actions)
    measured = action_effects(actions, threshold, kept=True)
    return [
        (action, effect)
        for action in actions
        for effect in measured[action.id]
        if round_id in (effect.before_round_id, effect.after_round_id)
        and effect.verdict is not Verdict.not_done
    ]
