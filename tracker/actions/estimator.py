"""The difference-in-differences of one question against the rest of its department.

Pure arithmetic on a department's stored results of two rounds; no database, no Flask.

The acted question's change between the rounds minus the mean change of the comparison
questions (the department's questions on the same scale that had no action):

    D = (a₂ − a₁) − (c̄₂ − c̄₁),  with c̄ the mean of the comparison questions' means.

Within a round D is the contrast w'x̄ of that round's means, w = e_a − (1/K)·Σ e_c; the rounds
are independent samples, so Var(D) = w'Σ₁w + w'Σ₂w, where Σ is the covariance matrix of the
question means of one round. The same respondents answer all questions, so their means are
correlated: for pairwise-complete answers

    Cov(x̄_i, x̄_j) = n_ij · cov_ij / (n_i · n_j)

(each mean is a sum over its own respondents; only the n_ij people who answered both
questions contribute a covariance cov_ij). A person in a good mood answers every question
higher; this covariance takes that out, and the interval narrows. Without the covariances
(a findings file has only means, counts and standard deviations) the means are taken as
independent, which with positively correlated questions gives a wider, cautious interval.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

CONFIDENCE = 0.95


class Method(enum.Enum):
    #: From the covariances of the answers of the same respondents.
    paired = "paired"
    #: From each question's standard deviation alone (imports without raw answers).
    independent = "independent"


@dataclass(frozen=True)
class Score:
    """One question's result in one round: mean, valid answers, sample standard deviation."""

    mean: float
    n: int
    sd: float | None = None


@dataclass(frozen=True)
class RoundResults:
    """A department's results in one round, by question key. `covariances`: (key, key) ->
    (answers to both, sample covariance over them), in either order; None when the round
    was imported without raw answers."""

    scores: Mapping[str, Score]
    covariances: Mapping[tuple[str, str], tuple[int, float]] | None = None
    #: Sums over comparison sets already worked out (many actions share one comparison).
    _sums: dict = field(default_factory=dict, compare=False, repr=False)

    def covariance_of_means(self, i: str, j: str) -> float | None:
        """Cov(x̄_i, x̄_j); the variance of the mean on the diagonal. None when unknown."""
        a, b = self.scores[i], self.scores[j]
        if i == j:
            return None if a.sd is None else a.sd**2 / a.n
        if self.covariances is None:
            return None
        pair = self.covariances.get((i, j)) or self.covariances.get((j, i))
        if pair is None:
            return None
        n_ij, cov = pair
        return n_ij * cov / (a.n * b.n)


def comparison_sum(comparison: tuple[str, ...], results: RoundResults) -> float | None:
    """Σ_c Σ_c' Cov(x̄_c, x̄_c') over a comparison set, worked out once per set."""
    if comparison not in results._sums:
        total = 0.0
        for index, i in enumerate(comparison):
            for j in comparison[index:]:
                covariance = results.covariance_of_means(i, j)
                if covariance is None:
                    total = None
                    break
                total += covariance if i == j else 2 * covariance
            if total is None:
                break
        results._sums[comparison] = total
    return results._sums[comparison]


def paired_variance(
    question: str, comparison: Sequence[str], results: RoundResults
) -> float | None:
    """w'Σw for w = e_question − (1/K)·Σ e_c, as Var(a) − (2/K)·Σ Cov(a, c) + ΣΣ Cov(c, c')/K²:
    the last sum is shared by every action measured against the same comparison."""
    variance = results.covariance_of_means(question, question)
    block = comparison_sum(tuple(comparison), results)
    if variance is None or block is None:
        return None
    cross = 0.0
    for key in comparison:
        covariance = results.covariance_of_means(question, key)
        if covariance is None:
            return None
        cross += covariance
    count = len(comparison)
    return max(variance - 2 * cross / count + block / count**2, 0.0)


def independent_variance(weights: Mapping[str, float], results: RoundResults) -> float | None:
    """Σ w_i² · sd_i² / n_i: the means taken as independent."""
    total = 0.0
    for key, weight in weights.items():
        variance = results.covariance_of_means(key, key)
        if variance is None:
            return None
        total += weight**2 * variance
    return total


@dataclass(frozen=True)
class Estimate:
    """The acted question's change, the comparison's change and their difference."""

    change: float
    comparison_change: float
    comparison_count: int
    #: Half-width of the 95% interval of `difference`; None without standard deviations.
    half_width: float | None
    method: Method | None
    #: Degrees of freedom of the t-quantile used (cautious: the smallest group minus one).
    df: int | None = None

    @property
    def difference(self) -> float:
        return self.change - self.comparison_change

    @property
    def low(self) -> float | None:
        return None if self.half_width is None else self.difference - self.half_width

    @property
    def high(self) -> float | None:
        return None if self.half_width is None else self.difference + self.half_width

    @property
    def better(self) -> bool:
        """The whole interval lies above zero."""
        return self.low is not None and self.low > 0

    @property
    def worse(self) -> bool:
        return self.high is not None and self.high < 0


def _t_quantile(df: int, confidence: float) -> float:
    from scipy import stats  # heavy: imported when an effect is computed, not at start-up

    return float(stats.t.ppf((1 + confidence) / 2, df))


def difference_in_differences(
    question: str,
    comparison: Sequence[str],
    before: RoundResults,
    after: RoundResults,
    confidence: float = CONFIDENCE,
) -> Estimate:
    """The acted `question` against the mean of the `comparison` questions (at least one),
    all present in both rounds. Paired when both rounds have every covariance needed."""
    if not comparison:
        raise ValueError("a difference-in-differences needs comparison questions")
    share = 1 / len(comparison)
    weights = {question: 1.0, **{key: -share for key in comparison}}

    def mean_of(results: RoundResults) -> float:
        return sum(results.scores[key].mean for key in comparison) * share

    change = after.scores[question].mean - before.scores[question].mean
    comparison_change = mean_of(after) - mean_of(before)
    paired = [paired_variance(question, comparison, r) for r in (before, after)]
    if None not in paired:
        variance, method = sum(paired), Method.paired
    else:
        independent = [independent_variance(weights, r) for r in (before, after)]
        if None in independent:
            return Estimate(change, comparison_change, len(comparison), None, None)
        variance, method = sum(independent), Method.independent
    # The acted question's smallest group sets the degrees of freedom: cautious for small
    # groups, and close to the normal quantile from about 30 answers.
    df = max(min(before.scores[question].n, after.scores[question].n) - 1, 1)
    half_width = _t_quantile(df, confidence) * math.sqrt(variance)
    return Estimate(change, comparison_change, len(comparison), half_width, method, df)
