"""The latency sketch: 1% relative error on every quantile, merges equal the sketch of the union."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tracehound.store.sketch import ALPHA, Sketch, bin_of, bin_value, quantile


def _exact(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[math.floor(q * (len(ordered) - 1))]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10**11), min_size=1, max_size=400),
       st.sampled_from([0.0, 0.5, 0.9, 0.95, 0.99, 1.0]))
def test_every_quantile_is_within_one_percent(values: list[int], q: float) -> None:
    estimate = Sketch.of(values).quantile(q)
    exact = _exact(values, q)
    assert estimate is not None
    assert abs(estimate - exact) <= ALPHA * exact + 1e-9


def test_a_merge_equals_the_sketch_of_the_union() -> None:
    rng = random.Random(7)
    a = [rng.randint(100, 5_000_000) for _ in range(3000)]
    b = [int(rng.lognormvariate(9, 1.5)) + 1 for _ in range(2000)]
    merged = Sketch.of(a).merge(Sketch.of(b))
    assert merged.bins == Sketch.of(a + b).bins
    assert merged.count == 5000


def test_a_value_is_inside_its_bin() -> None:
    for value in (1, 2, 999, 1000, 1001, 65_432, 10**9):
        assert abs(bin_value(bin_of(value)) - value) <= ALPHA * value


def test_no_values_no_quantile() -> None:
    assert quantile({}, 0.5) is None
    assert quantile({5: 0}, 0.5) is None
