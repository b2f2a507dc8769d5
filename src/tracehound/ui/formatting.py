"""Short human forms of durations, times, counts and money for the templates (Jinja filters)."""

from __future__ import annotations

from typing import Any

import msgspec

from tracehound.timefmt import iso


def duration(us: int | float | None) -> str:
    """``1.23 s``, ``450 ms``, ``12 µs``, ``2m 05s``; an em dash for unknown (a running span)."""
    if us is None:
        return "—"
    us = float(us)
    if us < 1_000:
        return f"{us:.0f} µs"
    if us < 1_000_000:
        ms = us / 1_000
        return f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"
    seconds = us / 1_000_000
    if seconds < 60:
        return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def millis(ms: int | float | None) -> str:
    """A duration given in milliseconds (as metrics report latency), in the form of ``duration``."""
    return duration(None if ms is None else ms * 1000)


def when(us: int | None) -> str:
    """``2026-04-15 10:00:00.123 UTC`` (milliseconds are enough to read; the API keeps µs)."""
    text = iso(us)
    if text is None:
        return "—"
    return f"{text[:10]} {text[11:23]} UTC"


def number(value: int | float | None) -> str:
    """Thousands separated; an em dash for unknown."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def usd(value: float | None) -> str:
    """Dollars with enough digits for sub-cent LLM costs."""
    if value is None:
        return "—"
    if value == 0:
        return "$0"
    if abs(value) < 0.01:
        return f"${value:.5f}".rstrip("0")
    return f"${value:,.4f}".rstrip("0").rstrip(".")


def preview(value: Any, chars: int = 160) -> str:
    """One line of text for a table cell: strings as they are, anything else as compact JSON."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + "…"
