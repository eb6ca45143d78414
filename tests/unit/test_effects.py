"""The effect computation against figures worked out independently: by hand (from a t-table)
and with SciPy's t-quantile. No database: the estimator is pure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pytest
from scipy import stats

from tracker.actions.effects import Difference, Verdict, effect_text, measure, verdict_text
from tracker.actions.estimator import Method, RoundResults, Score, difference_in_differences
from tracker.surveys.models import QuestionScale


@dataclass
class Row:
    """A result as `queries.findings_by_question` returns it (the fields `measure` reads)."""

    score: float | None
    n: int = 40
    sd: float | None = 1.0
    suppressed: bool = False
    held_on: date = date(2026, 3, 1)
    fieldwork_started_on: date | None = date(2026, 2, 1)


# --- The difference with the rest of the department, worked out by hand -------------------
#
# One acted question a and one comparison question c. Before: a 6.1 (n 40, sd 1.2), c 6.0
# (n 40, sd 1.0); after: a 6.7 (n 36, sd 1.0), c 6.2 (n 40, sd 1.0). The difference is
# (6.7 − 6.1) − (6.2 − 6.0) = 0.4. t(0.975; 35) = 2.0301 (t-table; df = smallest group − 1).

BEFORE_SCORES = {"a": Score(6.1, 40, 1.2), "c": Score(6.0, 40, 1.0)}
AFTER_SCORES = {"a": Score(6.7, 36, 1.0), "c": Score(6.2, 40, 1.0)}


def test_hand_worked_independent_means_give_a_wide_interval():
    # Variance 1.44/40 + 1/40 + 1/36 + 1/40 = 0.113778, se 0.33731, half-width 0.68478.
    estimate = difference_in_differences(
        "a", ["c"], RoundResults(BEFORE_SCORES), RoundResults(AFTER_SCORES)
    )
    assert estimate.change == pytest.approx(0.6)
    assert estimate.comparison_change == pytest.approx(0.2)
    assert estimate.difference == pytest.approx(0.4)
    assert estimate.method is Method.independent
    assert estimate.df == 35
    assert estimate.half_width == pytest.approx(2.0301 * 0.33731, abs=1e-4)
    assert not estimate.better and not estimate.worse


def test_hand_worked_paired_answers_narrow_the_interval():
    # Covariance of a and c: 0.84 over 40 respondents before, 0.7 over 36 after. Cov of the
    # means: 40·0.84/(40·40) = 0.021 and 36·0.7/(36·40) = 0.0175; the variance drops by
    # 2·(0.021 + 0.0175) to 0.036778, se 0.19177, half-width 0.38932: just above zero.
    estimate = difference_in_differences(
        "a",
        ["c"],
        RoundResults(BEFORE_SCORES, {("a", "c"): (40, 0.84)}),
        RoundResults(AFTER_SCORES, {("c", "a"): (36, 0.7)}),
    )
    assert estimate.method is Method.paired
    assert estimate.half_width == pytest.approx(2.0301 * 0.19177, abs=1e-4)
    assert estimate.low == pytest.approx(0.4 - 0.38932, abs=1e-4)
    assert estimate.better


def test_one_round_without_covariances_makes_both_independent():
    estimate = difference_in_differences(
        "a",
        ["c"],
        RoundResults(BEFORE_SCORES, {("a", "c"): (40, 0.84)}),
        RoundResults(AFTER_SCORES),
    )
    assert estimate.method is Method.independent


def test_the_comparison_is_the_mean_of_the_other_questions():
    before = {"a": Score(3.0, 50, 1.0), "b": Score(3.0, 50, 1.0), "c": Score(4.0, 50, 1.0)}
    after = {"a": Score(3.5, 50, 1.0), "b": Score(3.1, 50, 1.0), "c": Score(4.3, 50, 1.0)}
    estimate = difference_in_differences("a", ["b", "c"], RoundResults(before), RoundResults(after))
    assert estimate.comparison_change == pytest.approx(0.2)
    assert estimate.comparison_count == 2
    # 1/50 + (1/4)(1/50 + 1/50) per round, two rounds.
    variance = 2 * (0.02 + 0.25 * 0.04)
    assert estimate.half_width == pytest.approx(
        stats.t.ppf(0.975, 49) * math.sqrt(variance), rel=1e-9
    )


def test_without_standard_deviations_there_is_a_difference_but_no_interval():
    before = {"a": Score(5.0, 80), "c": Score(5.0, 80)}
    after = {"a": Score(7.0, 80), "c": Score(5.5, 80)}
    estimate = difference_in_differences("a", ["c"], RoundResults(before), RoundResults(after))
    assert estimate.difference == pytest.approx(1.5)
    assert estimate.half_width is None and estimate.method is None
    assert Difference(estimate.difference, estimate.half_width).verdict is Verdict.no_interval


def test_an_interval_touching_zero_is_no_clear_change():
    assert Difference(0.5, 0.5).verdict is Verdict.no_clear_change
    assert Difference(-0.5, 0.49).verdict is Verdict.worse
    assert Difference(0.5, 0.49).verdict is Verdict.improved


def test_effect_text_in_dutch_and_english(app):
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        assert effect_text(Difference(0.6, 0.3), QuestionScale.grade10) == "+0,6 (±0,3)"
        assert effect_text(Difference(-0.42), QuestionScale.likert5) == "\u22120,4"
        assert effect_text(Difference(0.01, 0.2), QuestionScale.grade10) == "0,0 (±0,2)"
        assert effect_text(Difference(0.06, 0.031), QuestionScale.yesno) == "+6 (±3) procentpunt"
    with app.test_request_context():
        from flask_babel import force_locale

        with force_locale("en"):
            assert effect_text(Difference(0.6, 0.3), QuestionScale.grade10) == "+0.6 (±0.3)"


# --- Which rounds, and what is not shown ------------------------------------------------------

BEFORE = Row(6.1, 40, 1.2, held_on=date(2025, 3, 1), fieldwork_started_on=date(2025, 2, 1))
AFTER = Row(6.7, 36, 1.0, held_on=date(2026, 3, 1), fieldwork_started_on=date(2026, 2, 1))
LATER = Row(6.9, 38, 1.0, held_on=date(2027, 3, 1), fieldwork_started_on=None)


def test_an_action_done_before_the_fieldwork_is_measured_in_that_round():
    measurement = measure(date(2025, 10, 1), BEFORE, [AFTER, LATER], threshold=5)
    assert measurement.after is AFTER
    assert measurement.reason is None


def test_an_action_done_after_the_fieldwork_began_is_too_late():
    measurement = measure(date(2026, 2, 1), BEFORE, [AFTER], threshold=5)
    assert measurement.reason is Verdict.too_late
    assert measurement.after is AFTER


def test_too_late_for_one_round_is_measured_in_the_next():
    # LATER has no fieldwork date: its publication date counts.
    measurement = measure(date(2026, 6, 1), BEFORE, [AFTER, LATER], threshold=5)
    assert measurement.after is LATER and measurement.reason is None
    assert measure(date(2027, 3, 1), BEFORE, [AFTER, LATER], threshold=5).reason is Verdict.too_late


def test_an_action_not_done_has_nothing_to_measure():
    assert measure(None, BEFORE, [AFTER], threshold=5).reason is Verdict.not_done


def test_without_a_later_round_it_is_too_early_to_say():
    measurement = measure(date(2025, 10, 1), BEFORE, [], threshold=5)
    assert measurement.reason is Verdict.no_second_round and measurement.after is None


@pytest.mark.parametrize(
    "before,after",
    [
        (Row(None, 3, None, suppressed=True, held_on=date(2025, 3, 1)), AFTER),
        (BEFORE, Row(None, 3, None, suppressed=True, held_on=date(2026, 3, 1))),
        (BEFORE, Row(6.7, 4, 1.0, held_on=date(2026, 3, 1))),
    ],
)
def test_groups_under_the_anonymity_threshold_have_too_few_answers(before, after):
    assert measure(date(2025, 10, 1), before, [after], threshold=5).reason is (
        Verdict.too_few_answers
    )
    assert measure(date(2026, 10, 1), before, [after], threshold=5).reason is Verdict.too_late


def test_the_verdicts_in_plain_dutch(app):
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        assert verdict_text(Verdict.improved) == "beter dan de rest van de afdeling"
        assert verdict_text(Verdict.no_clear_change) == "niet meer veranderd dan de rest"
        assert verdict_text(Verdict.worse) == "slechter dan de rest"
        assert verdict_text(Verdict.too_few_answers) == "nog niet te zeggen: te weinig antwoorden"
        assert verdict_text("no_second_round") == "nog niet te zeggen: nog geen tweede meting"
