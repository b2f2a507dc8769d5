"""Tail sampling: every rule decides generated traces, sessions are kept whole, drops are counted."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

import tracehound
from tracehound.sdk.sampling import Sampling, TailSampler, session_fraction


@pytest.fixture
def exporter() -> Iterator[tracehound.InMemoryExporter]:
    exporter = tracehound.InMemoryExporter()
    yield exporter
    tracehound.configure()


def use(exporter: tracehound.InMemoryExporter, **rules: object) -> None:
    tracehound.configure(exporter=exporter, project="sampling", sampling=Sampling(**rules))  # type: ignore[arg-type]


@tracehound.traceable(run_type="tool")
def tool(fail: bool = False, pause_s: float = 0.0) -> str:
    if pause_s:
        time.sleep(pause_s)
    if fail:
        raise ValueError("tool broke")
    return "ok"


@tracehound.traceable(run_type="agent")
def agent(kind: str) -> str:
    tool()
    if kind == "error":
        try:
            tool(fail=True)
        except ValueError:
            return "recovered"  # the trace still holds a failed span: kept
    if kind == "interrupt":
        tracehound.get_current_span().interrupt("needs approval")
    if kind == "flagged":
        tracehound.keep("hallucination check")
    if kind == "slow":
        tool(pause_s=0.06)
    return "done"


@pytest.mark.parametrize(("kind", "kept"), [
    ("ordinary", False), ("error", True), ("interrupt", True), ("flagged", True), ("slow", True),
])
def test_each_rule_keeps_or_drops_a_whole_trace(exporter: tracehound.InMemoryExporter, kind: str,
                                                kept: bool) -> None:
    use(exporter, keep_rate=0.0, slow_s=0.05)
    agent(kind)
    spans = exporter.get_spans()
    if kept:
        assert {span.trace_id for span in spans} and len({span.trace_id for span in spans}) == 1
        root = next(span for span in spans if span.parent_id is None)
        assert root.name == "agent" and root.metadata["sampling"] == {"slow": "slow", "flagged": "flagged"}.get(
            kind, kind)
    else:
        assert spans == []
        dropped = exporter.dropped_counts()
        assert sum(row["spans"] for row in dropped) == 2 and sum(row["traces"] for row in dropped) == 1


def test_an_uncaught_error_is_kept_and_a_rate_of_one_keeps_everything(exporter: tracehound.InMemoryExporter) -> None:
    use(exporter, keep_rate=0.0)
    with pytest.raises(ValueError):
        tool(fail=True)
    assert [span.status for span in exporter.get_spans()] == ["error"]
    use(exporter, keep_rate=1.0)
    exporter.clear()
    for _ in range(5):
        agent("ordinary")
    assert len(exporter.get_spans()) == 10 and exporter.dropped_counts() == []


def test_sessions_are_kept_or_dropped_whole_by_a_stable_hash(exporter: tracehound.InMemoryExporter) -> None:
    use(exporter, keep_rate=0.3)
    sessions = [f"session-{n}" for n in range(300)]
    for session_id in sessions:
        with tracehound.session(session_id):
            for _ in range(3):
                agent("ordinary")
    kept: dict[str, int] = {}
    for span in exporter.get_spans():
        if span.parent_id is None:
            kept[span.session_id] = kept.get(span.session_id, 0) + 1  # type: ignore[index]
    assert set(kept.values()) == {3}  # never part of a session
    assert set(kept) == {s for s in sessions if session_fraction(s) < 0.3}
    assert 0.2 < len(kept) / len(sessions) < 0.4
    assert session_fraction("session-7") == session_fraction("session-7")  # same answer in every process
    dropped = exporter.dropped_counts()
    assert sum(row["traces"] for row in dropped) == 3 * (len(sessions) - len(kept))
    assert {(row["project"], row["status"]) for row in dropped} == {("sampling", "ok")}


def test_memory_per_trace_is_bounded_and_a_large_trace_is_kept(exporter: tracehound.InMemoryExporter) -> None:
    use(exporter, keep_rate=0.0, max_spans_per_trace=5)
    with tracehound.span("big"):
        for _ in range(12):
            tool()
        early = exporter.get_spans()
        assert len(early) == 12  # streamed once it outgrew its buffer, before the root ended
        assert exporter._sampler is not None and exporter._sampler.buffered_spans == 0
    assert len(exporter.get_spans()) == 13


def test_the_oldest_trace_is_released_when_the_global_buffer_is_full() -> None:
    sampler = TailSampler(Sampling(keep_rate=0.0, max_buffered_spans=3))
    exporter = tracehound.InMemoryExporter()
    tracehound.configure(exporter=exporter)
    try:
        with tracehound.span("a"):
            tool()
            tool()
            with tracehound.span("b"):
                tool()
                tool()
        runs = list(exporter._runs)
    finally:
        tracehound.configure()
    released = [run for run in runs for run in sampler.offer(run, "p")]
    assert sampler.buffered_spans <= 3
    assert [run.name for run in released][:3] == ["tool", "tool", "tool"]  # trace "a" made room


def test_a_trace_that_never_ends_is_flushed_on_the_timeout(exporter: tracehound.InMemoryExporter) -> None:
    use(exporter, keep_rate=1.0, trace_timeout_s=0.05)
    with tracehound.span("long-running"):
        tool()
        assert exporter.get_spans() == []  # waiting for its root
        time.sleep(0.1)
        assert [span.name for span in exporter.get_spans()] == ["tool"]
    assert [span.name for span in exporter.get_spans()] == ["tool", "long-running"]  # late span follows


def test_rules_reject_values_out_of_range() -> None:
    with pytest.raises(ValueError, match="keep_rate"):
        Sampling(keep_rate=1.5)
    with pytest.raises(ValueError, match="trace_timeout_s"):
        Sampling(trace_timeout_s=0)
