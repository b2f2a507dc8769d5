"""Geometry for a rate-over-time chart: the rate line, its 95% band, the baseline band, deploy markers.

Pure functions over numbers, unit-tested; the template only places the shapes in a 100×100 viewBox
(y grows downwards, so a rate r sits at ``100 - r * 100 / top``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tracehound.ui.charts import nice_ceiling


@dataclass(frozen=True, slots=True)
class RateChart:
    top: float  # the rate at the top of the chart
    line: str  # SVG polyline points of the rate (buckets without runs are skipped)
    band: str  # SVG polygon points of the per-bucket 95% interval
    baseline: tuple[float, float, float] | None  # (y of the rate, y of the upper bound, y of the lower bound)
    markers: list[dict[str, Any]]  # deploys: {x, label}
    points: list[dict[str, Any]]  # {x, y, n, flagged, rate, start_us}


def _y(rate: float, top: float) -> float:
    return round(100 - min(rate, top) * 100 / top, 2)


def rate_chart(buckets: Sequence[dict[str, Any]], start_us: int, end_us: int, *,
               baseline: dict[str, Any] | None = None,
               deploys: Sequence[dict[str, Any]] = ()) -> RateChart:
    """Buckets are ``baseline.series`` rows ({start_us, n, flagged, rate, low, high})."""
    span = max(end_us - start_us, 1)
    highs = [b["high"] for b in buckets if b.get("high") is not None]
    if baseline and baseline.get("high") is not None:
        highs.append(baseline["high"])
    top = nice_ceiling(max(highs, default=0.0) or 0.1)
    top = min(top, 1.0) if top > 0 else 1.0
    points, upper, lower = [], [], []
    width = 100 / max(len(buckets), 1)
    for index, bucket in enumerate(buckets):
        if not bucket.get("n"):
            continue
        x = round(index * width + width / 2, 2)
        points.append({"x": x, "y": _y(bucket["rate"], top), "n": bucket["n"], "flagged": bucket["flagged"],
                       "rate": bucket["rate"], "start_us": bucket["start_us"]})
        upper.append(f"{x},{_y(bucket['high'], top)}")
        lower.append(f"{x},{_y(bucket['low'], top)}")
    base = None
    if baseline and baseline.get("rate") is not None:
        base = (_y(baseline["rate"], top), _y(baseline.get("high") or baseline["rate"], top),
                _y(baseline.get("low") or baseline["rate"], top))
    markers = [{"x": round((d["at_us"] - start_us) * 100 / span, 2), "label": d["version"]}
               for d in deploys if start_us <= d["at_us"] <= end_us]
    return RateChart(top, " ".join(f"{p['x']},{p['y']}" for p in points), " ".join([*upper, *reversed(lower)]),
                     base, markers, points)
