"""The chi-square p-values the drift detector relies on, against textbook critical values."""

from __future__ import annotations

import math

import pytest

from tracehound.analytics.detectors._stats import chi2_homogeneity, chi2_sf


@pytest.mark.parametrize(("x", "df", "p"), [
    (3.841459, 1, 0.05), (6.634897, 1, 0.01), (11.0705, 5, 0.05), (23.2093, 10, 0.01), (0.5, 3, 0.918891),
    (124.342, 100, 0.05),
])
def test_chi2_survival_matches_tables(x: float, df: int, p: float) -> None:
    assert chi2_sf(x, df) == pytest.approx(p, rel=1e-4)


def test_chi2_extremes() -> None:
    assert chi2_sf(0, 4) == 1.0
    assert chi2_sf(100, 2) == pytest.approx(math.exp(-50), rel=1e-9)


def test_homogeneity_of_identical_and_opposite_rows() -> None:
    assert chi2_homogeneity([[50, 50], [50, 50]])[2] == pytest.approx(1.0)
    statistic, df, p = chi2_homogeneity([[90, 10, 0], [10, 90, 0]])  # the empty column is ignored
    assert df == 1 and statistic == pytest.approx(128.0) and p < 1e-20
