"""Respondents' answers kept as small integer codes while a file is read, and the pairwise
covariances of the questions computed from them.

Every distinct raw answer of a file gets a code (0 is a blank), whatever its column, so a
respondent is one row of codes: four bytes an answer, whatever the labels, and the hot loop
turns a row into codes with one C-level `map`. From these rows come the tallies (`tallies`)
and, once the scale of each question is known, the covariances the effect of an action needs
(`pairwise_covariances`). Only aggregates leave this module.
"""

from __future__ import annotations

from array import array

import numpy as np

BLANK_CODE = 0


def new_lookup() -> dict[str, int]:
    """Raw answer -> code, for every column of a file; the blank answer is code 0."""
    return {"": BLANK_CODE}


def new_rows() -> array:
    return array("I")


def encode(lookup: dict[str, int], values) -> list[int]:
    """One row's answers as codes, new answers getting the next free code."""
    codes = list(map(lookup.get, values))
    if None in codes:
        for index, code in enumerate(codes):
            if code is None:
                value = values[index]
                code = lookup.get(value)
                if code is None:
                    code = lookup[value] = len(lookup)
                codes[index] = code
    return codes


def raw_answers(lookup: dict[str, int]) -> list[str]:
    """Code -> raw answer."""
    raws = [""] * len(lookup)
    for raw, code in lookup.items():
        raws[code] = raw
    return raws


def as_matrix(rows: array, size: int) -> np.ndarray:
    if not size:
        return np.zeros((0, 0), dtype=np.uint32)
    return np.frombuffer(rows, dtype=np.uint32).reshape(-1, size)


def tallies(rows: array, raws: list[str], size: int) -> list[dict[str, int]]:
    """Per column: raw answer -> how many gave it (blanks left out)."""
    codes = as_matrix(rows, size)
    result = []
    for j in range(size):
        found, counts = np.unique(codes[:, j], return_counts=True)
        result.append(
            {raws[c]: int(n) for c, n in zip(found.tolist(), counts.tolist()) if c != BLANK_CODE}
        )
    return result


def scored(rows: array, raws: list[str], size: int, columns: list[tuple[int, dict]]) -> np.ndarray:
    """Respondents x questions as numbers (NaN for no valid answer), for the given
    (column, raw answer -> number or None) pairs."""
    codes = as_matrix(rows, size)
    values = np.full((len(codes), len(columns)), np.nan)
    for q, (j, convert) in enumerate(columns):
        found, position = np.unique(codes[:, j], return_inverse=True)
        numbers = np.array(
            [np.nan if convert.get(raws[c]) is None else float(convert[raws[c]]) for c in found]
        )
        values[:, q] = numbers[position.reshape(-1)] if len(found) else np.nan
    return values


def pairwise_covariances(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, cov): per pair of columns the number of rows with both answered and the sample
    covariance over those rows (NaN under two). Missing answers are NaN."""
    present = ~np.isnan(values)
    x = np.where(present, values, 0.0)
    m = present.astype(float)
    # einsum rather than a matrix product: no BLAS threads, which on a busy server spend
    # far longer waiting for each other than these small sums take.
    n = np.einsum("ri,rj->ij", m, m)
    # sums[i, j]: the sum of column i over the rows where j is answered too.
    sums = np.einsum("ri,rj->ij", x, m)
    products = np.einsum("ri,rj->ij", x, x)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (products - sums * sums.T / n) / (n - 1)
    cov[n < 2] = np.nan
    return n.astype(int), cov
