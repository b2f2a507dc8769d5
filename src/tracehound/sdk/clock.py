"""The clock spans are stamped with: the wall clock, or a simulated one for backfills, demos and tests.

    from tracehound.sdk import clock

    with clock.simulated(start_us=parse("2026-04-01T09:00:00Z")) as sim:
        agent.handle("where is my order?")   # its spans start at 09:00:00
        clock.sleep(0.25)                     # 250 ms later, without waiting

A simulated clock belongs to the context that opened it (a ``ContextVar``): other threads and tasks
keep the wall clock, so a backfill can run beside live traffic. Time only moves when the code says
so (``advance`` or ``clock.sleep``), which makes a simulated run deterministic and instant.

Cost: while no simulated clock is open the SDK reads ``time.time_ns`` directly, as before. Opening
the first one swaps the SDK's time function for one that checks the context variable; closing the
last one swaps it back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CURRENT: ContextVar[SimulatedClock | None] = ContextVar("tracehound_clock", default=None)
_lock = threading.Lock()
_open = 0  # simulated clocks open in any context; the SDK reads the context variable only while > 0


class SimulatedClock:
    """A clock that moves only when told to. ``now_ns`` is what spans started now are stamped with."""

    __slots__ = ("now_ns",)

    def __init__(self, start_us: int) -> None:
        self.now_ns = int(start_us) * 1000

    @property
    def now_us(self) -> int:
        return self.now_ns // 1000

    def advance(self, seconds: float) -> None:
        """Move the clock forward (a negative value is refused: spans must not end before they start).

        Raises:
            ValueError: ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError(f"seconds: a clock cannot go back ({seconds})")
        self.now_ns += int(seconds * 1e9)

    def __repr__(self) -> str:
        return f"<SimulatedClock now_us={self.now_us}>"


def _context_time_ns() -> int:
    clock = _CURRENT.get()
    return time.time_ns() if clock is None else clock.now_ns


def _install(time_ns: object) -> None:
    from tracehound.sdk import run

    run._time_ns = time_ns  # type: ignore[assignment]  # the one place the SDK reads the time


@contextmanager
def simulated(start_us: int) -> Iterator[SimulatedClock]:
    """Stamp the spans started and ended inside the block with a simulated clock starting at ``start_us``.

    Args:
        start_us: UTC microseconds the clock starts at (the past, for a backfill).

    Returns:
        A context manager yielding the ``SimulatedClock``; ``clock.sleep`` and ``advance`` move it.
    """
    global _open
    clock = SimulatedClock(start_us)
    token = _CURRENT.set(clock)
    with _lock:
        _open += 1
        if _open == 1:
            _install(_context_time_ns)
    try:
        yield clock
    finally:
        _CURRENT.reset(token)
        with _lock:
            _open -= 1
            if _open == 0:
                _install(time.time_ns)


def current() -> SimulatedClock | None:
    """The simulated clock of this context, or ``None`` on the wall clock."""
    return _CURRENT.get()


def now_us() -> int:
    """The time spans started here would get, in UTC microseconds."""
    clock = _CURRENT.get()
    return time.time_ns() // 1000 if clock is None else clock.now_us


def sleep(seconds: float) -> None:
    """Advance the simulated clock of this context, or really sleep on the wall clock."""
    clock = _CURRENT.get()
    if clock is None:
        time.sleep(seconds)
    else:
        clock.advance(seconds)
