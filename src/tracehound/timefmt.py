"""Conversions between the integer UTC microseconds used inside and ISO-8601 at the edges."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RELATIVE = re.compile(r"^\s*-\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h|d|w)\s*$")
_UNIT_US = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000,
            "d": 86_400_000_000, "w": 604_800_000_000}


def now_us() -> int:
    """The current UTC time in integer microseconds."""
    return time.time_ns() // 1000


def parse_iso_us(text: str) -> int:
    """Parse an ISO-8601 timestamp into UTC microseconds; a naive timestamp is taken as UTC.

    Raises:
        ValueError: when the text is not an ISO-8601 timestamp.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_time_us(text: str, *, now: int | None = None) -> int:
    """Parse an ISO-8601 timestamp or a relative time such as ``-15m`` or ``-24h``."""
    match = _RELATIVE.match(text)
    if match:
        amount, unit = match.groups()
        return (now_us() if now is None else now) - int(float(amount) * _UNIT_US[unit])
    return parse_iso_us(text)


def iso(us: int | None) -> str | None:
    """Format UTC microseconds as ISO-8601 with a ``Z`` suffix (``None`` stays ``None``)."""
    if us is None:
        return None
    return (_EPOCH + timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compact(us: int) -> str:
    """Format UTC microseconds the way a dotted order segment starts: ``20260415T101500123456Z``."""
    return (_EPOCH + timedelta(microseconds=us)).strftime("%Y%m%dT%H%M%S%fZ")
