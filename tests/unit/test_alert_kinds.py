"""Alert kinds on seeded data: latency_regression, run_tokens and threshold fire or stay quiet."""

from __future__ import annotations

from pathlib import Path

from tests.spans import new_id
from tests.unit.test_alert_rules import _evaluator, _write
from tracehound.model import Span
from tracehound.timefmt import now_us

MINUTE_US = 60_000_000


def _tool_calls(name: str, count: int, start_us: int, latency_us: int, errors: int = 0) -> list[Span]:
    return [Span(id=new_id(), trace_id=new_id(), name=name, run_type="tool", start_time=start_us + i * 1000,
                 end_time=start_us + i * 1000 + latency_us, error="boom" if i < errors else None)
            for i in range(count)]


def test_latency_regression_fires_on_the_tool_that_slowed_down_only(tmp_path: Path) -> None:
    store, ev = _evaluator(tmp_path, {"id": "slower", "kind": "latency_regression"})
    now = now_us()
    _write(store, _tool_calls("search", 30, now - 120 * MINUTE_US, 10_000)
           + _tool_calls("lookup", 30, now - 120 * MINUTE_US, 10_000)
           + _tool_calls("search", 30, now - 5 * MINUTE_US, 50_000)  # 5x its trailing p95
           + _tool_calls("lookup", 30, now - 5 * MINUTE_US, 12_000))
    assert ev.evaluate([], at_us=now) == [{"rule_id": "slower", "key": "search", "to": "firing"}]
    (state,) = [s for s in ev.alerts.states().values() if s.key == "search"]
    assert state.traces and state.value > 45


def test_latency_regression_quiet_without_a_baseline_or_a_change(tmp_path: Path) -> None:
    store, ev = _evaluator(tmp_path, {"id": "slower", "kind": "latency_regression"})
    now = now_us()
    _write(store, _tool_calls("search", 30, now - 120 * MINUTE_US, 10_000)
           + _tool_calls("search", 30, now - 5 * MINUTE_US, 11_000)
           + _tool_calls("new_tool", 30, now - 5 * MINUTE_US, 90_000))  # no trailing data to regress from
    assert ev.evaluate([], at_us=now) == []


def _run(agent: str, tokens: int, start_us: int) -> list[Span]:
    root = new_id()
    return [Span(id=root, trace_id=root, name=agent, start_time=start_us, end_time=start_us + 1000),
            Span(id=new_id(), trace_id=root, parent_id=root, name="answer", run_type="llm", model="gpt-4o",
                 total_tokens=tokens, start_time=start_us + 10, end_time=start_us + 500)]


def _history(store, count: int = 25) -> None:  # type: ignore[no-untyped-def]
    start = now_us() - 60 * MINUTE_US
    _write(store, [span for i in range(count) for span in _run("support", 1000 + i, start + i * 1000)])


def test_run_tokens_fires_on_a_run_three_times_the_agents_p95(tmp_path: Path) -> None:
    store, ev = _evaluator(tmp_path, {"id": "tokens", "kind": "run_tokens"})
    _history(store)
    big = _run("support", 5000, now_us())
    assert ev.evaluate(_write(store, big)) == [{"rule_id": "tokens", "key": "support", "to": "firing"}]
    (state,) = ev.alerts.states().values()
    assert state.traces == [big[0].trace_id]


def test_run_tokens_quiet_for_ordinary_runs_and_thin_baselines(tmp_path: Path) -> None:
    store, ev = _evaluator(tmp_path, {"id": "tokens", "kind": "run_tokens"})
    _history(store)
    assert ev.evaluate(_write(store, _run("support", 1500, now_us()))) == []
    _history(store, 5)
    assert ev.evaluate(_write(store, _run("new_agent", 50_000, now_us()))) == []  # fewer than 20 earlier runs


def test_threshold_on_p99_fires_for_the_slow_tool(tmp_path: Path) -> None:
    rule = {"id": "p99", "kind": "threshold", "metric": "p99_ms", "op": ">", "threshold": 500, "run_type": "tool"}
    store, ev = _evaluator(tmp_path, rule)
    now = now_us()
    _write(store, _tool_calls("slow", 20, now - MINUTE_US, 900_000) + _tool_calls("fast", 20, now - MINUTE_US, 9_000))
    assert ev.evaluate([], at_us=now) == [{"rule_id": "p99", "key": "slow", "to": "firing"}]


def test_threshold_quiet_below_the_limit_and_below_min_calls(tmp_path: Path) -> None:
    rule = {"id": "calls", "kind": "threshold", "metric": "errors", "op": ">=", "threshold": 1, "min_calls": 10,
            "run_type": "tool"}
    store, ev = _evaluator(tmp_path, rule)
    now = now_us()
    _write(store, _tool_calls("flaky", 5, now - MINUTE_US, 1000, errors=1)
           + _tool_calls("fine", 30, now - MINUTE_US, 1000))
    assert ev.evaluate([], at_us=now) == []  # flaky has an error but only 5 calls; fine has none
    _write(store, _tool_calls("flaky", 5, now - MINUTE_US // 2, 1000))
    assert ev.evaluate([], at_us=now + 1) == [{"rule_id": "calls", "key": "flaky", "to": "firing"}]
