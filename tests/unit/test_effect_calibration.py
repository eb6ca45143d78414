"""The verdict is calibrated: simulated departments with a known truth (a fixed seed).

Each simulated department answers ten Likert questions in two rounds of 40 respondents (new
people each round, a few answers left blank). An answer is a latent score — the question's
level, the round's general shift, the action's effect on its own question, the respondent's
mood, noise — rounded to 1..5. Two worlds: a flat one, and one where everything rises by 0.2
between the rounds. Actions without an effect and with a latent effect of +0.5. Every sample
is judged twice: from the raw answers (with the covariances the import keeps) and as a
findings file (means, counts, standard deviations only). No database: the estimator is pure.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tracker.actions.estimator import Method, RoundResults, Score, difference_in_differences
from tracker.surveys.importers.aggregate import COVARIANCE_DIGITS
from tracker.surveys.importers.answers import pairwise_covariances

QUESTIONS = 10
RESPONDENTS = 40
MOOD = 0.8  # a respondent's general mood, shared by all their answers
NOISE = 0.6
MISSING = 0.05
SAMPLES = 400
LEVELS = np.linspace(2.9, 3.7, QUESTIONS)
KEYS = [f"q{q}" for q in range(QUESTIONS)]
ACTED, COMPARISON = KEYS[0], KEYS[1:]


def _expected_answer(level: float) -> float:
    """E[round(latent) clipped to 1..5] for a latent N(level, MOOD² + NOISE²)."""
    spread = np.hypot(MOOD, NOISE)
    edges = stats.norm.cdf((np.array([1.5, 2.5, 3.5, 4.5]) - level) / spread)
    probabilities = np.diff(np.concatenate([[0.0], edges, [1.0]]))
    return float(probabilities @ np.arange(1, 6))


def _truth(levels_before: np.ndarray, levels_after: np.ndarray) -> float:
    change = [
        _expected_answer(a) - _expected_answer(b) for b, a in zip(levels_before, levels_after)
    ]
    return change[0] - float(np.mean(change[1:]))


def _round(rng, levels: np.ndarray) -> tuple[RoundResults, RoundResults]:
    """One round's sample: (as imported from raw answers, as a findings file)."""
    mood = rng.normal(0, MOOD, (RESPONDENTS, 1))
    answers = np.clip(np.rint(levels + mood + rng.normal(0, NOISE, (RESPONDENTS, QUESTIONS))), 1, 5)
    answers[rng.random(answers.shape) < MISSING] = np.nan
    scores = {}
    for q, key in enumerate(KEYS):
        column = answers[:, q][~np.isnan(answers[:, q])]
        scores[key] = Score(float(column.mean()), len(column), float(column.std(ddof=1)))
    counts, covariances = pairwise_covariances(answers)
    pairs = {
        (KEYS[i], KEYS[j]): (int(counts[i, j]), round(float(covariances[i, j]), COVARIANCE_DIGITS))
        for i in range(QUESTIONS)
        for j in range(i + 1, QUESTIONS)
    }
    return RoundResults(scores, pairs), RoundResults(scores)


def _simulate(seed: int, rise: float, effect: float) -> dict:
    rng = np.random.default_rng(seed)
    before_levels = LEVELS
    after_levels = LEVELS + rise + np.eye(QUESTIONS)[0] * effect
    truth = _truth(before_levels, after_levels)
    outcome = {
        "raw": {"better": 0, "covered": 0},
        "file": {"better": 0, "covered": 0},
        "own change": 0,
    }
    for _ in range(SAMPLES):
        raw_before, file_before = _round(rng, before_levels)
        raw_after, file_after = _round(rng, after_levels)
        for name, before, after, method in [
            ("raw", raw_before, raw_after, Method.paired),
            ("file", file_before, file_after, Method.independent),
        ]:
            estimate = difference_in_differences(ACTED, COMPARISON, before, after)
            assert estimate.method is method
            outcome[name]["better"] += estimate.better
            outcome[name]["covered"] += estimate.low <= truth <= estimate.high
        # The old rule: the question's own change with a Welch interval, no comparison.
        a, b = file_after.scores[ACTED], file_before.scores[ACTED]
        welch = stats.ttest_ind_from_stats(a.mean, a.sd, a.n, b.mean, b.sd, b.n, equal_var=False)
        outcome["own change"] += welch.statistic > 0 and welch.pvalue < 0.05
    return outcome


@pytest.fixture(scope="module")
def worlds():
    return {
        (rise, effect): _simulate(seed, rise, effect)
        for seed, (rise, effect) in enumerate([(0.0, 0.0), (0.2, 0.0), (0.0, 0.5), (0.2, 0.5)])
    }


@pytest.mark.parametrize("rise", [0.0, 0.2])
def test_actions_without_effect_are_rarely_called_better(worlds, rise):
    outcome = worlds[(rise, 0.0)]
    assert outcome["raw"]["better"] <= 0.05 * SAMPLES
    assert outcome["file"]["better"] <= 0.05 * SAMPLES


def test_the_old_rule_credits_a_general_rise_to_the_action(worlds):
    # Why the comparison is needed: without it, a rise of every score calls far more than
    # 2.5% of actions that did nothing "improved".
    assert worlds[(0.2, 0.0)]["own change"] > 0.05 * SAMPLES


@pytest.mark.parametrize("rise", [0.0, 0.2])
@pytest.mark.parametrize("effect", [0.0, 0.5])
def test_the_intervals_contain_the_truth(worlds, rise, effect):
    outcome = worlds[(rise, effect)]
    assert outcome["raw"]["covered"] >= 0.90 * SAMPLES
    assert outcome["file"]["covered"] >= 0.90 * SAMPLES


@pytest.mark.parametrize("rise", [0.0, 0.2])
def test_with_raw_answers_most_real_effects_are_found(worlds, rise):
    outcome = worlds[(rise, 0.5)]
    assert outcome["raw"]["better"] >= 0.60 * SAMPLES
    # The covariances are what makes this possible: a findings file finds clearly fewer.
    assert outcome["file"]["better"] < outcome["raw"]["better"]
