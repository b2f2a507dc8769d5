"""Baseline vs now for an online rule: flag rates per bucket, Wilson intervals, and the rollback signal.

The baseline is either a pinned window (``baseline_start``/``baseline_end``) or the trailing
``baseline_days`` before the latest deploy marker of the project (before *now* when there is none).
"Above baseline" means the current window's flag rate exceeds the baseline's with a one-sided
two-proportion z-test at ``z >= 1.645`` (95%), on at least ``min_runs`` evaluated runs, and by at
least ``min_delta`` (absolute): a handful of flags on a quiet hour is not a rollback.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from tracehound.store.base import Verdict

Z_95: Final = 1.959964  # two-sided 95% for intervals
Z_ONE_SIDED_95: Final = 1.644854


@dataclass(frozen=True, slots=True)
class Rate:
    """Flagged (failed) verdicts out of ``n``, with a Wilson 95% interval and the mean score."""

    n: int
    flagged: int
    mean_score: float | None

    @property
    def rate(self) -> float | None:
        return self.flagged / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.flagged, self.n)

    def to_dict(self) -> dict[str, Any]:
        low, high = self.interval or (None, None)
        return {"n": self.n, "flagged": self.flagged, "rate": self.rate, "low": low, "high": high,
                "mean_score": self.mean_score}


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (sound at small n and at 0 or n successes)."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_of(verdicts: Sequence[Verdict]) -> Rate:
    scores = [v.score for v in verdicts if v.score is not None]
    return Rate(len(verdicts), sum(not v.passed for v in verdicts),
                sum(scores) / len(scores) if scores else None)


def series(verdicts: Sequence[Verdict], start_us: int, end_us: int, bucket_us: int) -> list[dict[str, Any]]:
    """The rate per bucket from ``start_us`` (aligned down to the bucket) to ``end_us``; empty buckets kept."""
    first = start_us - start_us % bucket_us
    count = max(1, -(-(end_us - first) // bucket_us))
    buckets: list[list[Verdict]] = [[] for _ in range(count)]
    for verdict in verdicts:
        index = (verdict.at_us - first) // bucket_us
        if 0 <= index < count:
            buckets[index].append(verdict)
    return [{"start_us": first + i * bucket_us, **rate_of(bucket).to_dict()} for i, bucket in enumerate(buckets)]


@dataclass(frozen=True, slots=True)
class Comparison:
    baseline: Rate
    current: Rate
    z: float | None
    above: bool

    def to_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline.to_dict(), "current": self.current.to_dict(), "z": self.z,
                "above_baseline": self.above}


def compare(baseline: Rate, current: Rate, *, min_runs: int = 20, min_delta: float = 0.0) -> Comparison:
    """Whether the current flag rate is significantly above the baseline's (one-sided, 95%)."""
    if baseline.n == 0 or current.n == 0:
        return Comparison(baseline, current, None, False)
    p1, p2 = baseline.flagged / baseline.n, current.flagged / current.n
    pooled = (baseline.flagged + current.flagged) / (baseline.n + current.n)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / baseline.n + 1 / current.n))
    z = (p2 - p1) / spread if spread else (0.0 if p2 == p1 else math.inf)
    above = current.n >= min_runs and p2 - p1 > min_delta and z >= Z_ONE_SIDED_95
    return Comparison(baseline, current, None if math.isinf(z) else round(z, 3), above)
