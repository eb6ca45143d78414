"""The effect computation against figures worked out independently: by hand (from a t-table)
and with SciPy's own Welch test."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pytest
from scipy import stats

from tracker.actions.effects import (
    Difference,
    Sample,
    Verdict,
    effect_text,
    measure,
    other_questions_change,
    welch_difference,
)
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


def test_hand_worked_small_groups_give_no_verdict_from_noise():
    # 5 answers per round, sd 1 in both: variance of the difference 1/5 + 1/5 = 0.4,
    # df = 0.4² / (0.2²/4 + 0.2²/4) = 8, t(0.975; 8) = 2.306004 (t-table),
    # half-width = 2.306004 × √0.4 = 1.45844. A whole point up on a 1-5 scale is not enough.
    difference = welch_difference(Sample(3.0, 5, 1.0), Sample(4.0, 5, 1.0))
    assert difference.value == pytest.approx(1.0)
    assert difference.df == pytest.approx(8.0)
    assert difference.half_width == pytest.approx(1.45844, abs=1e-5)
    assert difference.low == pytest.approx(-0.45844, abs=1e-5)
    assert difference.verdict is Verdict.no_clear_change


def test_hand_worked_large_groups_do_show_an_improvement():
    # n = 40 and 36: variance 1.2²/40 + 1.0²/36 = 0.036 + 0.027778 = 0.063778 (se 0.25254);
    # df = 0.063778² / (0.036²/39 + 0.027778²/35) = 73.59; t(0.975; 73.59) ≈ 1.9930.
    difference = welch_difference(Sample(6.1, 40, 1.2), Sample(6.7, 36, 1.0))
    assert difference.df == pytest.approx(73.59, abs=0.01)
    assert difference.half_width == pytest.approx(1.9930 * 0.25254, abs=1e-3)
    assert difference.verdict is Verdict.improved


@pytest.mark.parametrize(
    "before,after",
    [
        (Sample(6.1, 40, 1.2), Sample(6.7, 36, 1.0)),
        (Sample(3.4, 12, 0.9), Sample(3.1, 9, 1.3)),
        (Sample(7.0, 200, 1.5), Sample(6.6, 180, 1.7)),
        (Sample(0.62, 50, 0.49), Sample(0.71, 60, 0.46)),
        (Sample(5.0, 6, 2.0), Sample(6.9, 7, 0.5)),
    ],
)
def test_agrees_with_scipys_welch_test(before, after):
    difference = welch_difference(before, after)
    result = stats.ttest_ind_from_stats(
        after.score, after.sd, after.n, before.score, before.sd, before.n, equal_var=False
    )
    se = math.sqrt(before.sd**2 / before.n + after.sd**2 / after.n)
    assert difference.value / se == pytest.approx(result.statistic)
    # The p-value from our degrees of freedom is SciPy's: the df are the same.
    assert 2 * stats.t.sf(abs(result.statistic), difference.df) == pytest.approx(result.pvalue)
    # The interval leaves out zero exactly when the two-sided test is significant at 5%.
    decided = difference.verdict in (Verdict.improved, Verdict.worse)
    assert decided == (result.pvalue < 0.05)
    if decided:
        assert (difference.verdict is Verdict.improved) == (difference.value > 0)


def test_an_interval_touching_zero_is_no_clear_change():
    assert Difference(0.5, 0.5).verdict is Verdict.no_clear_change
    assert Difference(-0.5, 0.49).verdict is Verdict.worse


def test_equal_scores_are_no_clear_change():
    difference = welch_difference(Sample(6.5, 30, 1.1), Sample(6.5, 30, 1.1))
    assert difference.value == 0
    assert difference.low == pytest.approx(-difference.high)
    assert difference.half_width > 0
    assert difference.verdict is Verdict.no_clear_change


def test_without_standard_deviations_there_is_a_difference_but_no_verdict():
    for before, after in [
        (Sample(5.0, 80), Sample(7.0, 80)),
        (Sample(5.0, 80, 1.0), Sample(7.0, 80, None)),
    ]:
        difference = welch_difference(before, after)
        assert difference.value == pytest.approx(2.0)
        assert difference.half_width is None
        assert difference.verdict is Verdict.no_interval


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
    assert measurement.verdict is Verdict.improved
    assert measurement.difference.value == pytest.approx(0.6)


def test_an_action_done_after_the_fieldwork_began_is_too_late():
    measurement = measure(date(2026, 2, 1), BEFORE, [AFTER], threshold=5)
    assert measurement.verdict is Verdict.too_late
    assert measurement.difference is None
    assert measurement.after is AFTER


def test_too_late_for_one_round_is_measured_in_the_next():
    # LATER has no fieldwork date: its publication date counts.
    measurement = measure(date(2026, 6, 1), BEFORE, [AFTER, LATER], threshold=5)
    assert measurement.after is LATER
    assert measurement.difference.value == pytest.approx(0.8)
    assert (
        measure(date(2027, 3, 1), BEFORE, [AFTER, LATER], threshold=5).verdict is Verdict.too_late
    )


def test_an_action_not_done_has_nothing_to_measure():
    measurement = measure(None, BEFORE, [AFTER], threshold=5)
    assert measurement.verdict is Verdict.not_done
    assert measurement.difference is None


def test_without_a_later_round_there_is_nothing():
    assert measure(date(2025, 10, 1), BEFORE, [], threshold=5) is None


@pytest.mark.parametrize(
    "before,after",
    [
        (Row(None, 3, None, suppressed=True, held_on=date(2025, 3, 1)), AFTER),
        (BEFORE, Row(None, 3, None, suppressed=True, held_on=date(2026, 3, 1))),
        (BEFORE, Row(6.7, 4, 1.0, held_on=date(2026, 3, 1))),
    ],
)
def test_groups_under_the_anonymity_threshold_produce_nothing(before, after):
    assert measure(date(2025, 10, 1), before, [after], threshold=5) is None
    assert measure(date(2026, 10, 1), before, [after], threshold=5) is None


def test_other_questions_average():
    others = other_questions_change(
        [(Row(6.0), Row(6.2)), (Row(5.0), Row(5.4)), (Row(7.0), Row(6.9))]
    )
    assert others.mean_difference == pytest.approx((0.2 + 0.4 - 0.1) / 3)
    assert others.count == 3
    assert other_questions_change([]) is None
