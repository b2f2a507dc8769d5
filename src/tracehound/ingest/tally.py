"""A fixed-bucket latency tally the writer thread updates and an exporter reads (Prometheus histogram shape).

Kept free of any metrics library so the ingest layer stays dependency-free; the server turns it into
``tracehound_ingest_commit_seconds``. One writer thread adds; readers copy the lists (a torn read is
off by one observation at most, which a scrape tolerates).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Final

COMMIT_BOUNDS_S: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Tally:
    """Counts of observations per upper bound (non-cumulative; the last slot is above every bound), and the sum."""

    def __init__(self, bounds_s: tuple[float, ...] = COMMIT_BOUNDS_S) -> None:
        self.bounds_s = bounds_s
        self.counts = [0] * (len(bounds_s) + 1)
        self.sum_s = 0.0

    def add(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds_s, seconds)] += 1
        self.sum_s += seconds

    def cumulative(self) -> list[tuple[float, int]]:
        """``[(upper bound, observations <= bound), ..., (inf, all)]``."""
        out, running = [], 0
        for bound, count in zip((*self.bounds_s, float("inf")), list(self.counts), strict=True):
            running += count
            out.append((bound, running))
        return out
