"""Alert rules on seeded data: each fires where it must and stays quiet where it must not; the state machine."""

from __future__ import annotations

from pathlib import Path

from tests.spans import new_id
from tracehound.analytics.alerts import AlertState, AlertStore, Breach, step
from tracehound.analytics.evaluator import Evaluator
from tracehound.analytics.rules import rule_from_dict
from tracehound.model import Span
from tracehound.store.sqlite import SqliteMetaStore, SqliteSpanStore
from tracehound.timefmt import now_us


def _evaluator(tmp_path: Path, *rules: dict[str, object]) -> tuple[SqliteSpanStore, Evaluator]:
    store = SqliteSpanStore(tmp_path / "a.db")
    alerts = AlertStore(SqliteMetaStore(store.path).alerts)
    return store, Evaluator(store, alerts, file_rules=[rule_from_dict(r) for r in rules], interval_s=0)


def _write(store: SqliteSpanStore, spans: list[Span]) -> list[Span]:
    """Commit spans as the ingest pipeline does, and return what its commit hook hands the evaluator."""
    store.upsert_rows([store.to_row(span, now_us()) for span in spans])
    return spans


def _tool_calls(errors: int, total: int, name: str = "search") -> list[Span]:
    start = now_us() - 60_000_000
    return [Span(id=new_id(), trace_id=new_id(), name=name, run_type="tool", start_time=start + i,
                 end_time=start + i + 1000, error="502" if i < errors else None) for i in range(total)]


def test_error_rate_fires_above_the_threshold_only(tmp_path: Path) -> None:
    store, ev = _evaluator(tmp_path, {"id": "errors", "kind": "error_rate", "min_calls": 10})
    _write(store, _tool_calls(1, 40, "healthy") + _tool_calls(8, 40, "broken"))
    assert ev.evaluate([]) == [{"rule_id": "errors", "key": "broken", "to": "firing"}]


def test_context_window_fires_at_eighty_percent(tmp_path: Path) -> None:
    store, ev = _evaluator(tmp_path, {"id": "ctx", "kind": "context_window"})
    start = now_us()
    spans = [Span(id=new_id(), trace_id=new_id(), name="answer", run_type="llm", model=model, prompt_tokens=tokens,
                  start_time=start, end_time=start + 10)
             for model, tokens in (("gpt-4", 6000), ("gpt-4o", 110_000), ("my-model", 10**6))]
    assert ev.evaluate(_write(store, spans)) == [{"rule_id": "ctx", "key": "gpt-4o", "to": "firing"}]


def test_loop_needs_three_calls_of_one_tool_in_one_trace(tmp_path: Path) -> None:
    store, ev = _evaluator(tmp_path, {"id": "loop", "kind": "loop"})
    start, root = now_us(), new_id()
    spans = [Span(id=root, trace_id=root, name="agent", start_time=start, end_time=start + 100)]
    spans += [Span(id=new_id(), trace_id=root, parent_id=root, name=n, run_type="tool", start_time=start + i,
                   end_time=start + i + 1) for i, n in enumerate(["a", "a", "b", "b", "b"])]
    assert ev.evaluate(_write(store, spans)) == [{"rule_id": "loop", "key": "b", "to": "firing"}]


def test_empty_retrievals_fire_over_one_percent(tmp_path: Path) -> None:
    store, ev = _evaluator(tmp_path, {"id": "empty", "kind": "empty_retrieval", "min_calls": 10})
    start = now_us()
    spans = [Span(id=new_id(), trace_id=new_id(), name=name, run_type="retriever", start_time=start,
                  end_time=start + 5, outputs={"documents": [] if (name == "kb" and i < 3) else ["doc"]})
             for name in ("kb", "faq") for i in range(50)]
    assert ev.evaluate(_write(store, spans)) == [{"rule_id": "empty", "key": "kb", "to": "firing"}]


def test_state_machine_pending_firing_resolved_with_cooldown() -> None:
    rule = rule_from_dict({"id": "r", "kind": "error_rate", "for_s": 10, "cooldown_s": 100})
    state = AlertState("r", "k")
    breach = Breach(0.5, "bad")
    assert step(rule, state, breach, 0).to_state == "pending"
    assert step(rule, state, breach, 5_000_000) is None
    firing = step(rule, state, breach, 10_000_000)
    assert firing.to_state == "firing" and firing.notify
    assert step(rule, state, breach, 11_000_000) is None  # deduplicated
    assert step(rule, state, None, 12_000_000).to_state == "resolved"
    again = step(rule, state, breach, 13_000_000)
    assert again.to_state == "pending"
    refire = step(rule, state, breach, 30_000_000)
    assert refire.to_state == "firing" and not refire.notify  # inside the cool-down
    assert step(rule, state, None, 31_000_000).to_state == "resolved"
    assert step(rule, state, None, 32_000_000).to_state == "ok"
