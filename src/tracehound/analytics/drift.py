"""The distribution monitor: does the drift pool's recent traffic look like its baseline?

Three comparisons between the members of a drift pool in the current window and in the baseline
window before it:

    tool_shares   Jensen-Shannon divergence (base 2, 0 = same, 1 = disjoint) of tool-call shares
    latency_ms    two-sample Kolmogorov-Smirnov statistic (largest gap between the two CDFs)
    tokens        the same, over LLM tokens per trace
    scores        the same, over online evaluator scores on those runs (when there are any)

A shift is reported when a statistic passes its threshold with at least ``min_members`` traces on
both sides; the ``drift`` alert kind fires on it.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tracehound.store.review import PoolMember

DEFAULT_THRESHOLDS: Final = {"tool_shares": 0.1, "latency_ms": 0.3, "tokens": 0.3, "scores": 0.3}


def jensen_shannon(p: Counter[str], q: Counter[str]) -> float:
    """JS divergence in bits between two count tables (0 when either is empty)."""
    total_p, total_q = sum(p.values()), sum(q.values())
    if not total_p or not total_q:
        return 0.0
    divergence = 0.0
    for key in set(p) | set(q):
        a, b = p.get(key, 0) / total_p, q.get(key, 0) / total_q
        m = (a + b) / 2
        if a:
            divergence += 0.5 * a * math.log2(a / m)
        if b:
            divergence += 0.5 * b * math.log2(b / m)
    return max(0.0, min(1.0, divergence))


def ks_statistic(a: Sequence[float], b: Sequence[float]) -> float:
    """The two-sample Kolmogorov-Smirnov statistic (0 when either sample is empty)."""
    if not a or not b:
        return 0.0
    xs, ys = sorted(a), sorted(b)
    gap = 0.0
    for value in set(xs) | set(ys):
        gap = max(gap, abs(bisect.bisect_right(xs, value) / len(xs) - bisect.bisect_right(ys, value) / len(ys)))
    return gap


@dataclass(frozen=True, slots=True)
class Shift:
    statistic: str
    value: float
    threshold: float
    baseline_n: int
    current_n: int

    @property
    def shifted(self) -> bool:
        return self.value > self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {"statistic": self.statistic, "value": round(self.value, 4), "threshold": self.threshold,
                "baseline_n": self.baseline_n, "current_n": self.current_n, "shifted": self.shifted}


def _tools(members: Iterable[PoolMember]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for member in members:
        counts.update({str(k): int(v) for k, v in (member.stats.get("tools") or {}).items()})
    return counts


def _values(members: Iterable[PoolMember], key: str) -> list[float]:
    return [float(m.stats[key]) for m in members if isinstance(m.stats.get(key), int | float)]


def compare_windows(baseline: Sequence[PoolMember], current: Sequence[PoolMember], *,
                    thresholds: dict[str, float] | None = None, min_members: int = 20,
                    scores: tuple[Sequence[float], Sequence[float]] | None = None) -> list[Shift]:
    """Every statistic for the two windows; empty when either side has fewer than ``min_members``."""
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    if len(baseline) < min_members or len(current) < min_members:
        return []
    shifts = [Shift("tool_shares", jensen_shannon(_tools(baseline), _tools(current)), limits["tool_shares"],
                    len(baseline), len(current))]
    for key in ("latency_ms", "tokens"):
        shifts.append(Shift(key, ks_statistic(_values(baseline, key), _values(current, key)), limits[key],
                            len(baseline), len(current)))
    if scores and len(scores[0]) >= min_members and len(scores[1]) >= min_members:
        shifts.append(Shift("scores", ks_statistic(scores[0], scores[1]), limits["scores"], len(scores[0]),
                            len(scores[1])))
    return shifts
