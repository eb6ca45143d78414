"""The covariances the effect of an action rests on, against direct computations over the
respondents themselves: the importer's pairwise covariances, and the variance of a contrast of
question means from them (Cov(x̄_i, x̄_j) = n_ij·cov_ij / (n_i·n_j))."""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Mapping

import numpy as np
import pytest

from tracker.actions.estimator import (
    RoundResults,
    Score,
    independent_variance,
    paired_variance,
)
from tracker.surveys.importers import parse
from tracker.surveys.importers.answers import pairwise_covariances


def contrast_variance(weights: Mapping[str, float], results: RoundResults) -> float | None:
    """w'Σw from the covariances of the means (None when one of them is not known): the
    general form, against which the estimator's paired_variance is checked."""
    keys = list(weights)
    total = 0.0
    for index, i in enumerate(keys):
        for j in keys[index:]:
            covariance = results.covariance_of_means(i, j)
            if covariance is None:
                return None
            total += (1 if i == j else 2) * weights[i] * weights[j] * covariance
    return max(total, 0.0)


def _respondents(seed: int, count: int, questions: int, missing: float) -> list[list[int | None]]:
    """Likert answers with a personal mood (so the questions correlate), some left blank."""
    rng = random.Random(seed)
    people = []
    for _ in range(count):
        mood = rng.gauss(0, 0.8)
        row = []
        for q in range(questions):
            if rng.random() < missing:
                row.append(None)
            else:
                row.append(min(5, max(1, round(3.2 + 0.1 * q + mood + rng.gauss(0, 0.6)))))
        people.append(row)
    return people


def _direct_covariance(people, i: int, j: int) -> tuple[int, float]:
    """Over the respondents who answered both, by the textbook formula."""
    both = [(p[i], p[j]) for p in people if p[i] is not None and p[j] is not None]
    mean_i = sum(a for a, _ in both) / len(both)
    mean_j = sum(b for _, b in both) / len(both)
    return len(both), sum((a - mean_i) * (b - mean_j) for a, b in both) / (len(both) - 1)


def test_pairwise_covariances_match_a_direct_computation_per_pair():
    people = _respondents(seed=1, count=60, questions=4, missing=0.2)
    values = np.array([[np.nan if v is None else v for v in p] for p in people], dtype=float)
    counts, covariances = pairwise_covariances(values)
    for i in range(4):
        for j in range(4):
            n, cov = _direct_covariance(people, i, j)
            assert counts[i, j] == n
            assert covariances[i, j] == pytest.approx(cov, abs=1e-12)


def _csv(people, department="ICT") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Afdeling"] + [f"Vraag {q + 1}" for q in range(len(people[0]))])
    for person in people:
        writer.writerow([department] + ["" if v is None else v for v in person])
    return out.getvalue().encode()


def test_the_import_keeps_pairwise_covariances_of_each_department_rounded():
    people = _respondents(seed=2, count=30, questions=3, missing=0.15)
    parsed = parse(_csv(people), "kto.csv", department_column="Afdeling")
    ict = parsed.departments["ICT"]
    assert set(ict.covariances) == {
        ("Vraag 1", "Vraag 2"),
        ("Vraag 1", "Vraag 3"),
        ("Vraag 2", "Vraag 3"),
    }
    for (first, second), (n, cov) in ict.covariances.items():
        expected_n, expected = _direct_covariance(people, int(first[-1]) - 1, int(second[-1]) - 1)
        assert n == expected_n
        assert cov == round(expected, 4)
        assert cov > 0  # the mood shows


def test_no_covariances_for_a_department_under_the_anonymity_threshold():
    people = _respondents(seed=3, count=4, questions=3, missing=0.0)
    parsed = parse(_csv(people), "kto.csv", department_column="Afdeling")
    assert parsed.departments["ICT"].suppressed
    assert parsed.departments["ICT"].covariances == {}


def test_the_variance_of_a_contrast_of_means_equals_the_respondents_own_contrast():
    # Complete answers: the contrast of the means is the mean of each respondent's own
    # contrast, so its variance is that contrast's sample variance divided by n, exactly.
    people = _respondents(seed=4, count=50, questions=4, missing=0.0)
    weights = {"a": 1.0, "b": -1 / 3, "c": -1 / 3, "d": -1 / 3}
    keys = list(weights)
    own = [sum(w * p[k] for k, w in zip(range(4), weights.values())) for p in people]
    mean = sum(own) / len(own)
    direct = sum((x - mean) ** 2 for x in own) / (len(own) - 1) / len(own)

    scores, covariances = {}, {}
    for i, key in enumerate(keys):
        column = [p[i] for p in people]
        m = sum(column) / len(column)
        sd = math.sqrt(sum((x - m) ** 2 for x in column) / (len(column) - 1))
        scores[key] = Score(m, len(column), sd)
        for j in range(i + 1, 4):
            covariances[(key, keys[j])] = _direct_covariance(people, i, j)
    variance = contrast_variance(weights, RoundResults(scores, covariances))
    assert variance == pytest.approx(direct, rel=1e-12)


def test_with_missing_answers_the_formula_matches_the_spread_over_many_samples():
    # Pairwise missing answers: n_ij·cov_ij/(n_i·n_j) must still give the variance of the
    # contrast of the means, as the spread of that contrast over repeated samples shows.
    weights = {"a": 1.0, "b": -0.5, "c": -0.5}
    contrasts, predicted, unpaired = [], [], []
    for seed in range(400):
        people = _respondents(seed=100 + seed, count=40, questions=3, missing=0.3)
        scores, covariances = {}, {}
        for i, key in enumerate(weights):
            column = [p[i] for p in people if p[i] is not None]
            m = sum(column) / len(column)
            sd = math.sqrt(sum((x - m) ** 2 for x in column) / (len(column) - 1))
            scores[key] = Score(m, len(column), sd)
            for j, other in list(enumerate(weights))[i + 1 :]:
                covariances[(key, other)] = _direct_covariance(people, i, j)
        results = RoundResults(scores, covariances)
        contrasts.append(sum(w * scores[k].mean for k, w in weights.items()))
        predicted.append(contrast_variance(weights, results))
        unpaired.append(independent_variance(weights, results))
    spread = float(np.var(contrasts, ddof=1))
    average = sum(predicted) / len(predicted)
    # 400 samples: the spread itself is known to about ±7%.
    assert average == pytest.approx(spread, rel=0.15)
    # Taking the means as independent overstates it by far (the mood correlates them).
    assert sum(unpaired) / len(unpaired) > 1.5 * spread


def test_the_shared_comparison_sum_gives_the_same_variance_as_w_sigma_w():
    people = _respondents(seed=5, count=45, questions=5, missing=0.2)
    keys = ["a", "b", "c", "d", "e"]
    scores, covariances = {}, {}
    for i, key in enumerate(keys):
        column = [p[i] for p in people if p[i] is not None]
        m = sum(column) / len(column)
        sd = math.sqrt(sum((x - m) ** 2 for x in column) / (len(column) - 1))
        scores[key] = Score(m, len(column), sd)
        for j in range(i + 1, len(keys)):
            covariances[(key, keys[j])] = _direct_covariance(people, i, j)
    results = RoundResults(scores, covariances)
    for question in keys[:2]:
        comparison = keys[2:]
        weights = {question: 1.0, **{k: -1 / len(comparison) for k in comparison}}
        assert paired_variance(question, comparison, results) == pytest.approx(
            contrast_variance(weights, results), rel=1e-12
        )
