"""Chi-square tests with the standard library: the statistic, and its p-value from the regularized gamma function.

``chi2_sf(x, df)`` is ``Q(df/2, x/2)``, computed by the series for ``P`` when ``x < a + 1`` and by
Lentz's continued fraction otherwise (Numerical Recipes §6.2); accurate to ~1e-12, no scipy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_EPS = 1e-15
_TINY = 1e-300


def _gamma_p_series(a: float, x: float) -> float:
    term = total = 1.0 / a
    n = a
    for _ in range(10_000):
        n += 1
        term *= x / n
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gamma_q_fraction(a: float, x: float) -> float:
    b = x + 1 - a
    c, d = 1 / _TINY, 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def gamma_q(a: float, x: float) -> float:
    """The regularized upper incomplete gamma function ``Q(a, x)``."""
    if x <= 0:
        return 1.0
    if x < a + 1:
        return max(0.0, 1.0 - _gamma_p_series(a, x))
    return _gamma_q_fraction(a, x)


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for a chi-square variable with ``df`` degrees of freedom."""
    return gamma_q(df / 2, x / 2) if df > 0 else 1.0


def chi2_homogeneity(rows: Sequence[Sequence[float]]) -> tuple[float, int, float]:
    """Pearson's test that the rows (e.g. two windows) share one distribution over the columns (tools).

    Columns empty in every row are ignored. Returns ``(statistic, degrees of freedom, p-value)``.
    """
    columns = [j for j in range(len(rows[0])) if any(row[j] for row in rows)]
    row_totals = [sum(row[j] for j in columns) for row in rows]
    total = sum(row_totals)
    if total == 0 or len(columns) < 2 or sum(1 for t in row_totals if t) < 2:
        return 0.0, 0, 1.0
    statistic = 0.0
    for j in columns:
        column_total = sum(row[j] for row in rows)
        for row, row_total in zip(rows, row_totals, strict=True):
            expected = row_total * column_total / total
            if expected:
                statistic += (row[j] - expected) ** 2 / expected
    df = (sum(1 for t in row_totals if t) - 1) * (len(columns) - 1)
    return statistic, df, chi2_sf(statistic, df)
