"""Chart geometry as pure functions: numbers in, positions out; templates only place the shapes.

    axis = time_axis(duration_us=1_830_000)      # ticks at 0, 250 ms, 500 ms, … as percentages
    left, width = bar(start_us, end_us, origin_us=t0, span_us=total)

Positions are percentages of the chart width, so the same geometry serves an SVG ``viewBox`` of 100
and CSS ``left``/``width`` on a waterfall row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from tracehound.ui.formatting import duration

MIN_BAR_PCT: Final = 0.15  # a 5 µs span in a 20 s trace still shows as a sliver
_NICE_STEPS: Final = (1, 2, 2.5, 5, 10)


@dataclass(frozen=True, slots=True)
class Tick:
    offset_us: int
    pct: float
    label: str


def nice_step(total: float, max_ticks: int = 8) -> float:
    """The smallest 1/2/2.5/5 × 10ⁿ step that divides ``total`` into at most ``max_ticks`` parts."""
    if total <= 0 or max_ticks < 1:
        return 1.0
    raw = total / max_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in _NICE_STEPS:
        step = factor * magnitude
        if step >= raw * (1 - 1e-9):
            return step
    return 10 * magnitude  # pragma: no cover - the loop always returns (10 is in the steps)


def time_axis(duration_us: int, max_ticks: int = 8) -> list[Tick]:
    """Ticks from 0 to the trace's duration at a readable step, each with its percentage and label."""
    total = max(duration_us, 1)
    step = nice_step(total, max_ticks)
    count = int(total / step + 1e-9)
    return [Tick(round(i * step), round(i * step * 100 / total, 3), duration(i * step) if i else "0")
            for i in range(count + 1)]


def bar(start_us: int, end_us: int | None, *, origin_us: int, span_us: int) -> tuple[float, float]:
    """Left and width, in percent of the axis, of a bar from ``start_us`` to ``end_us``.

    A running span (``end_us`` is ``None``) reaches the end of the axis. Bars are clamped to the axis
    and never narrower than ``MIN_BAR_PCT``, so instant spans stay visible.
    """
    total = max(span_us, 1)
    left = min(max((start_us - origin_us) * 100 / total, 0.0), 100.0)
    right = 100.0 if end_us is None else min(max((end_us - origin_us) * 100 / total, left), 100.0)
    width = max(right - left, MIN_BAR_PCT)
    if left + width > 100.0:
        left = max(100.0 - width, 0.0)
    return round(left, 3), round(width, 3)
