"""tracehound.sdk.clock: spans under a simulated clock carry its time; other threads keep the wall clock."""

from __future__ import annotations

import threading
import time

import pytest

import tracehound
from tracehound.sdk import clock, run


@pytest.fixture
def memory():  # type: ignore[no-untyped-def]
    exporter = tracehound.InMemoryExporter()
    tracehound.configure(exporter=exporter)
    yield exporter
    tracehound.shutdown()


@tracehound.traceable(run_type="tool")
def step() -> str:
    clock.sleep(0.25)
    return "ok"


def test_spans_are_stamped_by_the_simulated_clock(memory) -> None:  # type: ignore[no-untyped-def]
    start_us = 1_700_000_000_000_000
    with clock.simulated(start_us) as sim:
        before = time.perf_counter()
        step()
        assert time.perf_counter() - before < 0.1  # clock.sleep advanced the clock, nothing slept
        assert clock.now_us() == start_us + 250_000 == sim.now_us
    (span,) = memory.get_spans()
    assert (span.start_time, span.end_time) == (start_us, start_us + 250_000)


def test_other_threads_keep_the_wall_clock_and_the_fast_path_comes_back() -> None:
    seen: list[int] = []
    with clock.simulated(1_000_000):
        assert run._time_ns is not time.time_ns
        worker = threading.Thread(target=lambda: seen.append(run._time_ns()))
        worker.start()
        worker.join()
        assert run._time_ns() == 1_000_000_000
    assert seen[0] > time.time_ns() - 10**10
    assert run._time_ns is time.time_ns and clock.current() is None


def test_a_clock_cannot_go_back() -> None:
    with clock.simulated(0) as sim, pytest.raises(ValueError, match="cannot go back"):
        sim.advance(-1)
