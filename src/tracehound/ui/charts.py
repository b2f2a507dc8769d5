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


# Dashboard charts -------------------------------------------------------------------------------
# SVGs use a viewBox of 100 × 100 with preserveAspectRatio="none"; labels sit in HTML beside them.

@dataclass(frozen=True, slots=True)
class Bin:
    """One bar of a histogram: the values in ``[low, high)`` (the last bin includes its ``high``)."""

    low: float
    high: float
    count: int
    x: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Column:
    """One stacked column: its x and width, and a (y, height) per stacked part, bottom first."""

    label_us: int
    x: float
    width: float
    parts: tuple[tuple[float, float], ...]
    values: tuple[float, ...]


def nice_ceiling(value: float) -> float:
    """The smallest 1/2/2.5/5 × 10ⁿ at or above ``value`` (a chart's top), 1 for nothing."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for factor in _NICE_STEPS:
        if factor * magnitude >= value * (1 - 1e-9):
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - 10 is in the steps


def percent(value: float | None, top: float) -> float:
    """``value`` as a percentage of ``top``, clamped to 0–100 (0 for unknown)."""
    if value is None or top <= 0:
        return 0.0
    return round(min(max(value * 100 / top, 0.0), 100.0), 3)


def histogram(values: list[float], bins: int = 12, gap: float = 0.6) -> list[Bin]:
    """Equal-width bins from the smallest to the largest value; heights relative to the fullest bin.

    Integer data (tokens, steps) gets integer-aligned bins so no bar straddles a value.
    """
    if not values:
        return []
    low, high = min(values), max(values)
    integral = all(float(v).is_integer() for v in values)
    if high == low:
        edges = [low, low + 1]
    else:
        width = (high - low) / bins
        if integral:
            width = max(math.ceil(width), 1)
            bins = math.floor((high - low) / width) + 1
        edges = [low + i * width for i in range(bins + 1)]
    counts = [0] * (len(edges) - 1)
    for value in values:
        index = int((value - low) / (edges[1] - edges[0])) if high != low else 0
        counts[min(index, len(counts) - 1)] += 1
    tallest = max(counts)
    step = 100 / len(counts)
    return [Bin(edges[i], edges[i + 1], count, round(i * step + gap / 2, 3), round(step - gap, 3),
                percent(count, tallest)) for i, count in enumerate(counts)]


def stacked_columns(points: list[tuple[int, tuple[float, ...]]], *, top: float | None = None,
                    gap: float = 0.8) -> list[Column]:
    """Columns side by side across 100 units, each a stack of values (bottom first) scaled to ``top``.

    Args:
        points: ``(bucket start µs, values)`` per column, oldest first, every bucket present.
        top: the value at the chart's top; the tallest stack rounded up (``nice_ceiling``) by default.
    """
    if not points:
        return []
    top = top if top is not None else nice_ceiling(max(sum(values) for _, values in points))
    step = 100 / len(points)
    columns = []
    for index, (label_us, values) in enumerate(points):
        parts, base = [], 0.0
        for value in values:
            height = percent(value, top)
            parts.append((round(100 - base - height, 3), height))
            base += height
        columns.append(Column(label_us, round(index * step + gap / 2, 3), round(max(step - gap, 0.1), 3),
                              tuple(parts), tuple(values)))
    return columns
