"""Span ids that cost a counter increment on the caller's thread.

A span id is a 128-bit integer: 64 random bits drawn once per process (UUID version 4 nibble set)
above a 64-bit word holding the RFC 4122 variant bits and a per-process counter. ``next(count)`` is
atomic under the GIL, so threads never share an id, and ``os.urandom(16)`` per span (about 0.5 µs)
or ``uuid.uuid4()`` (about 2 µs) would cost more than the rest of a span's start. The text form is
built later, on the exporter's thread. After ``fork`` the child draws new random bits, so parent and
child never hand out the same id.
"""

from __future__ import annotations

import itertools
import os

_VARIANT = 1 << 63
_COUNTER_MASK = (1 << 62) - 1


def _random_high() -> int:
    high = int.from_bytes(os.urandom(8), "big") << 64
    return (high & ~(0xF << 76)) | (0x4 << 76) | _VARIANT


# Mutated only at import and after fork in the child (single-threaded at that point).
_high = _random_high()
_counter = itertools.count(1)


def next_id() -> int:
    """A new span id as an integer, unique within this process and (with overwhelming odds) any other."""
    return _high | (next(_counter) & _COUNTER_MASK)


_prefix: tuple[int, str] = (-1, "")  # (high 64 bits, their text "xxxxxxxx-xxxx-4xxx-"): the same for every id here


def id_text(value: int) -> str:
    """The canonical hyphenated UUID text of an integer id."""
    global _prefix
    high = value >> 64
    cached = _prefix
    if cached[0] != high:
        h = f"{high:016x}"
        cached = _prefix = (high, f"{h[:8]}-{h[8:12]}-{h[12:]}-")
    low = f"{value & 0xFFFFFFFFFFFFFFFF:016x}"
    return f"{cached[1]}{low[:4]}-{low[4:]}"


def _reseed_after_fork() -> None:
    global _high, _counter
    _high = _random_high()
    _counter = itertools.count(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed_after_fork)
