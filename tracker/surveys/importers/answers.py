"""Respondents' answers kept as small integer codes while a file is read, and the pairwise
covariances of the questions computed from them.

Each column maps its distinct raw answers to codes (0 is a blank), shared by every group, so a
respondent is one row of codes: four bytes an answer, whatever the labels. From these rows come
the tallies (`tallies`) and, once the scale of each question is known, the covariances the
effect of an action needs (`pairwise_covariances`). Only aggregates leave this module.
"""

from __future__ import annotations

from array import array

import numpy as np

BLANK_CODE = 0


def new_lookups(size: int) -> list[dict[str, int]]:
    """Per column: raw answer -> code; the blank answer is code 0."""
    return [{"": BLANK_CODE} for _ in range(size)]


def new_rows() -> array:
    return array("I")


def raw_answers(lookups: list[dict[str, int]]) -> list[list[str]]:
    """Per column: code -> raw answer."""
    reverse = []
    for lookup in lookups:
        raws = [""] * len(lookup)
        for raw, code in lookup.items():
            raws[code] = raw
        reverse.append(raws)
    return reverse


def as_matrix(rows: array, size: int) -> np.ndarray:
    return np.frombuffer(rows, dtype=np.uint32).reshape(-1, size) if size else np.zeros((0, 0))


def tallies(rows: array, raws: list[list[str]]) -> list[dict[str, int]]:
    """Per column: raw answer -> how many gave it (blanks left out)."""
    codes = as_matrix(rows, len(raws))
    result = []
    for j, column in enumerate(raws):
        counts = np.bincount(codes[:, j], minlength=len(column)) if len(codes) else []
        result.append({column[c]: int(n) for c, n in enumerate(counts) if n and c != BLANK_CODE})
    return result


def scored(rows: array, raws: list[list[str]], columns: list[tuple[int, dict]]) -> np.ndarray:
    """Respondents x questions as numbers (NaN for no valid answer), for the given
    (column, raw answer -> number or None) pairs."""
    codes = as_matrix(rows, len(raws))
    values = np.full((len(codes), len(columns)), np.nan)
    for q, (j, convert) in enumerate(columns):
        lookup = np.array(
            [np.nan if convert.get(raw) is None else float(convert[raw]) for raw in raws[j]]
        )
        values[:, q] = lookup[codes[:, j]]
    return values


def pairwise_covariances(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, cov): per pair of columns the number of rows with both answered and the sample
    covariance over those rows (NaN under two). Missing answers are NaN."""
    present = ~np.isnan(values)
    x = np.where(present, values, 0.0)
    m = present.astype(float)
    n = m.T @ m
    # sums[i, j]: the sum of column i over the rows where j is answered too.
    sums = x.T @ m
    products = x.T @ x
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (products - sums * sums.T / n) / (n - 1)
    cov[n < 2] = np.nan
    return n.astype(int), cov
