"""Did it work? The effect of an action on the score of each finding it followed up.

The finding's own round is the round before the action; the effect is measured in the first
later round of the same department whose fieldwork began after the action was done. Questions
match across rounds by identical text or a mapping made by hand, departments through their
renames and merges (`queries.findings_by_question`).

The effect is a difference-in-differences (`estimator`): the question's change minus the mean
change of the comparison — the same department's other questions on the same scale that had no
action — so a rise of every score (a good year, a new building) is not credited to the action.
Its 95% interval holds the uncertainty of both; with the covariances kept at import
(`Finding.covariances`) it compares each respondent with themselves, without them (a findings file)
the means count as independent, and the page says which. "Better than the rest" only when the
whole interval lies above zero. Groups under the anonymity threshold produce no figures.

Everything here is pure except `action_effects`, the one query helper (two queries however
many actions it is given, plus the two lineage queries).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, noload, selectinload, subqueryload

from tracker import changes
from tracker.actions.estimator import (
    Estimate,
    Method,
    RoundResults,
    Score,
    difference_in_differences,
)
from tracker.actions.models import ActionStatus, ImprovementAction, action_finding
from tracker.actions.queries import load_co_owners
from tracker.extensions import db
from tracker.formatting import number
from tracker.surveys import queries
from tracker.surveys.models import Finding, QuestionScale, SurveyRound

#: Actions in these states changed nothing there is to measure.
NOT_MEASURED = (ActionStatus.declined, ActionStatus.cancelled)


class Verdict(enum.Enum):
    #: The whole interval of the difference with the rest of the department above zero.
    improved = "improved"
    no_clear_change = "no_clear_change"
    worse = "worse"
    # Not yet to say, and why:
    #: No standard deviations in the file: the difference is shown, no verdict.
    no_interval = "no_interval"
    #: Every other question of the department had an action too: nothing to compare with.
    no_comparison = "no_comparison"
    #: A group under the anonymity threshold in one of the rounds.
    too_few_answers = "too_few_answers"
    #: No later round asked the question yet.
    no_second_round = "no_second_round"
    #: Done after the later round's fieldwork began.
    too_late = "too_late"
    #: Not done (yet) when the later round's fieldwork began.
    not_done = "not_done"

    @property
    def decided(self) -> bool:
        return self in (Verdict.improved, Verdict.no_clear_change, Verdict.worse)


@dataclass(frozen=True)
class Difference:
    """A value with the half-width of its 95% interval when it is known."""

    value: float
    half_width: float | None = None

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


def measurable(row, threshold: int) -> bool:
    """A result with a score for a group at or over the anonymity threshold."""
    return row.score is not None and not row.suppressed and row.n >= threshold


def fieldwork_start(row) -> date:
    """First day of a round's fieldwork (its publication date when that is not known)."""
    return row.fieldwork_started_on or row.held_on


@dataclass(frozen=True)
class Measurement:
    """The rounds an effect is measured between; `reason`: why it cannot be (yet)."""

    before: object
    after: object | None
    reason: Verdict | None = None


def measure(done_on: date | None, before, later: list, threshold: int) -> Measurement:
    """Which rounds measure the effect on one finding of an action done on `done_on` (None:
    not done). `before` is the finding's own result, `later` the same question's results in
    later rounds, oldest first."""
    if not later:
        return Measurement(before, None, Verdict.no_second_round)
    after = next(
        (row for row in later if done_on is not None and done_on < fieldwork_start(row)), None
    )
    if after is None:
        return Measurement(before, later[-1], Verdict.too_late if done_on else Verdict.not_done)
    if not measurable(before, threshold) or not measurable(after, threshold):
        return Measurement(before, after, Verdict.too_few_answers)
    return Measurement(before, after)


def round_results(rows: dict, covariances: dict | None, threshold: int) -> RoundResults:
    """The estimator's view of one department's results in one round (rows by question key;
    covariances by pair of question ids, as stored)."""
    scores = {key: Score(row.score, row.n, row.sd) for key, row in rows.items()}
    if covariances is None:
        return RoundResults(scores)
    ids = {key: row.question_id for key, row in rows.items()}
    return RoundResults(scores, _PairsByKey(ids, covariances, threshold))


class _PairsByKey:
    """Stored covariances (by question ids) looked up by question key, without copying.
    A pair answered by fewer than today's anonymity threshold is not used (like any figure)."""

    def __init__(self, ids: dict, pairs: dict, threshold: int):
        self.ids, self.pairs, self.threshold = ids, pairs, threshold

    def get(self, pair):
        first, second = sorted((self.ids[pair[0]], self.ids[pair[1]]))
        found = self.pairs.get((first, second))
        return found if found is not None and found[0] >= self.threshold else None


# --- Text -----------------------------------------------------------------------------------


def signed(value: float, digits: int = 1) -> str:
    """+0,6 / −0,4 / 0,0 in the reader's locale."""
    if round(value, digits) == 0:
        return number(0, digits)
    return ("+" if value > 0 else "\u2212") + number(abs(value), digits)


def _figure(value: float, scale: QuestionScale) -> str:
    return signed(value * 100, 0) if scale is QuestionScale.yesno else signed(value)


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


#: In plain words, for everyone: the action page, the results, the public pages, the agenda.
VERDICT_TEXTS = {
    Verdict.improved: _l("better than the rest of the department"),
    Verdict.no_clear_change: _l("no more change than the rest"),
    Verdict.worse: _l("worse than the rest"),
    Verdict.no_interval: _l("too early to say: the file had no standard deviations"),
    Verdict.no_comparison: _l(
        "too early to say: every other question of the department had an action too"
    ),
    Verdict.too_few_answers: _l("too early to say: too few answers"),
    Verdict.no_second_round: _l("too early to say: no second round yet"),
    Verdict.too_late: _l("too early to say: done too late for this round"),
    Verdict.not_done: _l("too early to say: not done before this round's fieldwork"),
}

METHOD_TEXTS = {
    Method.paired: _l(
        "Computed from the answers of the same respondents (their covariances, kept at import)."
    ),
    Method.independent: _l(
        "Computed from the means and standard deviations only (a file without the answers): "
        "a wider, cautious interval."
    ),
}


def verdict_text(verdict: Verdict | str) -> str:
    """The plain words for a verdict (or its stored value); only the one text is translated
    (a table of effects asks once per row)."""
    try:
        return str(VERDICT_TEXTS[Verdict(verdict)])
    except ValueError:
        return str(verdict)


@dataclass(frozen=True)
class ActionEffect:
    """One action's effect on one finding it followed up."""

    action_id: int
    finding_id: int
    question: str
    scale: QuestionScale
    before_round_id: int
    before_round: str
    #: None when no later round asked the question yet.
    after_round_id: int | None
    after_round: str | None
    verdict: Verdict
    estimate: Estimate | None = None

    @property
    def measured(self) -> bool:
        return self.estimate is not None

    @property
    def difference(self) -> Difference | None:
        """The question's change minus the comparison's change, with its interval."""
        if self.estimate is None:
            return None
        return Difference(self.estimate.difference, self.estimate.half_width)

    @property
    def effect_text(self) -> str:
        return effect_text(self.difference, self.scale) if self.estimate else "–"

    @property
    def verdict_text(self) -> str:
        return verdict_text(self.verdict)

    @property
    def method_text(self) -> str:
        if self.estimate is None or self.estimate.method is None:
            return ""
        return str(METHOD_TEXTS[self.estimate.method])

    @property
    def change_text(self) -> str:
        """The question's own change, before the comparison."""
        if self.estimate is None:
            return "–"
        return _figure(self.estimate.change, self.scale)

    @property
    def others_text(self) -> str:
        """What the rest of the department did, as what it is."""
        if self.estimate is None:
            return _("No other questions of the department without an action to compare with.")
        value = self.estimate.comparison_change
        count = self.estimate.comparison_count
        figure = _figure(value, self.scale)
        if self.scale is QuestionScale.yesno:
            figure = _("%(difference)s percentage points", difference=figure)
        if figure.startswith("+"):
            return ngettext(
                "The department's other question without an action rose by %(difference)s.",
                "The department's %(num)d other questions without an action rose by "
                "%(difference)s on average.",
                count,
                difference=figure,
            )
        if figure.startswith("\u2212"):
            return ngettext(
                "The department's other question without an action fell by %(difference)s.",
                "The department's %(num)d other questions without an action fell by "
                "%(difference)s on average.",
                count,
                difference=figure,
            )
        return ngettext(
            "The department's other question without an action stayed the same.",
            "The department's %(num)d other questions without an action stayed the same on "
            "average.",
            count,
        )

    @property
    def interval_text(self) -> str:
        """'95% interval +0,1 to +0,7', or nothing without one."""
        if self.estimate is None or self.estimate.half_width is None:
            return ""
        return _(
            "95%% interval %(low)s to %(high)s",
            low=_figure(self.estimate.low, self.scale),
            high=_figure(self.estimate.high, self.scale),
        )

    @property
    def rank(self) -> tuple:
        """For lists best first: measured effects by their difference, then the rest."""
        if self.estimate is None:
            return (1, 0.0)
        return (0, -self.estimate.difference)


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
    by question key, where each result sits in its series, the findings acted on, and per
    (department, round) the stored covariances by pair of question ids (lower id first)."""

    series: dict
    by_round: dict
    position: dict
    acted: frozenset
    covariances: dict


def _basis(department_ids, lines: queries.Lineage | None) -> _Basis:
    series = queries.findings_by_question(department_ids, lines=lines, covariances=True)
    by_round: dict[tuple[int, int], dict[str, object]] = {}
    position: dict[int, tuple[tuple[int, str], int]] = {}
    covariances: dict[tuple[int, int], dict[tuple[int, int], tuple[int, float]]] = {}
    for key, rows in series.items():
        for index, row in enumerate(rows):
            by_round.setdefault((row.department_id, row.round_id), {})[key[1]] = row
            position[row.id] = (key, index)
            if row.covariances:
                pairs = covariances.setdefault((row.department_id, row.round_id), {})
                for other, n, covariance in row.covariances:
                    pairs[(row.question_id, other)] = (n, covariance)
    return _Basis(
        series, by_round, position, frozenset(_acted_finding_ids(department_ids)), covariances
    )


def _estimate(
    basis: _Basis, question: str, before, after, threshold: int, results: dict
) -> Estimate | None:
    """The question against the department's other questions on the same scale without an
    action, measurable in both rounds; None when there are none. `results`: the estimator's
    view of each (department, round), made once per call of `action_effects`."""
    earlier = basis.by_round.get((before.department_id, before.round_id), {})
    then = basis.by_round.get((after.department_id, after.round_id), {})
    comparison = [
        key
        for key, row in earlier.items()
        if key != question
        and key in then
        and row.id not in basis.acted
        and row.scale is before.scale
        and then[key].scale is before.scale
        and measurable(row, threshold)
        and measurable(then[key], threshold)
    ]
    if not comparison:
        return None

    def view(row, rows):
        place = (row.department_id, row.round_id)
        if place not in results:
            results[place] = round_results(rows, basis.covariances.get(place), threshold)
        return results[place]

    return difference_in_differences(question, comparison, view(before, earlier), view(after, then))


def action_effects(
    actions, threshold: int, lines: queries.Lineage | None = None, *, kept: bool = False
) -> dict[int, list[ActionEffect]]:
    """Action id -> its effects, one per finding it followed up: measured against the rest of
    the department, or why that cannot be said yet. The actions' findings and their questions
    must be loaded (or loadable). `kept`: for pages, the results measured on are kept per data
    version (tracker.changes), as they change only with a commit; a service working in its
    own transaction leaves it."""
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

    results: dict = {}
    for action in candidates:
        done_on = action.closed_on if action.status is ActionStatus.done else None
        for finding in action.findings:
            if finding.id not in basis.position:
                continue
            key, index = basis.position[finding.id]
            rows = basis.series[key]
            before = rows[index]
            later = [row for row in rows[index + 1 :] if row.held_on > before.held_on]
            measurement = measure(done_on, before, later, threshold)
            after = measurement.after
            verdict, estimate = measurement.reason, None
            if verdict is None:
                estimate = _estimate(basis, key[1], before, after, threshold, results)
                if estimate is None:
                    verdict = Verdict.no_comparison
                else:
                    verdict = Difference(estimate.difference, estimate.half_width).verdict
            result[action.id].append(
                ActionEffect(
                    action_id=action.id,
                    finding_id=finding.id,
                    question=before.text,
                    scale=before.scale,
                    before_round_id=before.round_id,
                    before_round=before.round_name,
                    after_round_id=after.round_id if after is not None else None,
                    after_round=after.round_name if after is not None else None,
                    verdict=verdict,
                    estimate=estimate,
                )
            )
    return result


def effects_to_show(action: ImprovementAction, threshold: int) -> list[ActionEffect]:
    """The action page's effects: an action that is not done has nothing to measure until a
    later round asks its question, so "no second round yet" is said of done actions only."""
    return [
        effect
        for effect in action_effects([action], threshold, kept=True)[action.id]
        if action.status is ActionStatus.done or effect.verdict is not Verdict.no_second_round
    ]


def department_effects(
    department_id: int, round_id: int, threshold: int
) -> list[tuple[ImprovementAction, ActionEffect]]:
    """The department's done actions with their effects measured from or in this round, best
    first, and those that cannot be measured (too late, too few answers) after them. Actions not done are left out: there is nothing to show yet
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
    found = [
        (action, effect)
        for action in actions
        for effect in measured[action.id]
        if round_id in (effect.before_round_id, effect.after_round_id)
        and effect.verdict not in (Verdict.not_done, Verdict.no_second_round)
    ]
    # The directors' overview: the best effect first, those without a figure last.
    return sorted(found, key=lambda pair: pair[1].rank)


def measured_effects(threshold: int, round_name: str | None = None) -> list[tuple]:
    """Every measured effect of every action, for analysts (`flask effects`): (action,
    effect) pairs, by department, after round and action; only those measured in
    `round_name` when it is given. A fixed number of queries."""
    actions = db.session.scalars(
        select(ImprovementAction)
        .where(ImprovementAction.status.not_in(NOT_MEASURED))
        .options(
            joinedload(ImprovementAction.department),
            selectinload(ImprovementAction.findings),
            noload(ImprovementAction.co_owners),
        )
        .order_by(ImprovementAction.id)
    ).all()
    measured = action_effects(actions, threshold)
    found = [
        (action, effect)
        for action in actions
        for effect in measured[action.id]
        if effect.measured and round_name in (None, effect.after_round)
    ]
    return sorted(found, key=lambda pair: (pair[0].department.name, pair[1].after_round))
