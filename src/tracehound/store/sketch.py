"""The latency sketch shared by rollups and metrics: DDSketch-style logarithmic bins, 1% relative error.

A latency of ``x`` microseconds falls in bin ``k = ceil(log(x) / log(GAMMA))``, the bin covering
``(GAMMA**(k-1), GAMMA**k]``. Reporting ``2 * GAMMA**k / (GAMMA + 1)`` for any value of bin ``k`` is
within ``ALPHA`` (1%) of it, and bins of two sketches merge by adding counts, so a percentile over any
window is a sum of stored per-bucket bins. Latencies under 1 µs go into bin 0 (reported as ~1 µs).

    sketch = Sketch.of([1200, 5300, 980])
    sketch.quantile(0.95)          # ≈ 5300 (within 1%)

The bin is computed inside SQLite by the rollup triggers (``BIN_SQL``) so every write path and the
rebuild use one formula; ``bin_of`` is the same formula in Python.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Final

ALPHA: Final = 0.01
GAMMA: Final = (1 + ALPHA) / (1 - ALPHA)
LOG_GAMMA: Final = math.log(GAMMA)
# Written out in full so the SQL and Python agree to the last digit.
LOG_GAMMA_SQL: Final = repr(LOG_GAMMA)


def bin_sql(start: str, end: str) -> str:
    """The SQL expression for the bin of a span's latency, given its start and end column expressions."""
    return f"CAST(ceil(ln(max({end} - {start}, 1)) / {LOG_GAMMA_SQL}) AS INTEGER)"


def bin_of(latency_us: int | float) -> int:
    """The bin of one latency in microseconds."""
    return math.ceil(math.log(max(latency_us, 1)) / LOG_GAMMA)


def bin_value(index: int) -> float:
    """The value reported for a bin, in microseconds (within ``ALPHA`` of anything in it)."""
    return 2 * GAMMA**index / (GAMMA + 1)


def quantile(bins: Mapping[int, int], q: float) -> float | None:
    """The ``q`` quantile (0..1) of binned latencies in microseconds; ``None`` when there are none.

    It estimates the element at rank ``floor(q * (n - 1))`` of the sorted values.
    """
    total = sum(count for count in bins.values() if count > 0)
    if total == 0:
        return None
    rank = math.floor(q * (total - 1))
    seen = 0
    for index in sorted(bins):
        count = bins[index]
        if count <= 0:
            continue
        seen += count
        if seen > rank:
            return bin_value(index)
    return bin_value(max(bins))  # unreachable: the counts add up to total


class Sketch:
    """A mergeable set of latency bins."""

    __slots__ = ("bins",)

    def __init__(self, bins: Mapping[int, int] | None = None) -> None:
        self.bins: dict[int, int] = dict(bins or {})

    @classmethod
    def of(cls, latencies_us: Iterable[int | float]) -> Sketch:
        sketch = cls()
        for value in latencies_us:
            sketch.add(value)
        return sketch

    def add(self, latency_us: int | float, count: int = 1) -> None:
        index = bin_of(latency_us)
        self.bins[index] = self.bins.get(index, 0) + count

    def merge(self, other: Sketch) -> Sketch:
        """Add another sketch's counts into this one; returns self."""
        for index, count in other.bins.items():
            self.bins[index] = self.bins.get(index, 0) + count
        return self

    @property
    def count(self) -> int:
        return sum(count for count in self.bins.values() if count > 0)

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile in microseconds (see ``quantile``)."""
        return quantile(self.bins, q)
