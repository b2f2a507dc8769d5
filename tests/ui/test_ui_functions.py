"""The UI's pure functions: chart geometry, critical path, JSON folding, message text, formatting."""

from __future__ import annotations

import uuid

import pytest

from tracehound.model import Span
from tracehound.query.timing import critical_span_ids as critical_path
from tracehound.query.timing import parallel_span_ids as parallel_spans
from tracehound.ui import formatting
from tracehound.ui.charts import (
    MIN_BAR_PCT,
    bar,
    histogram,
    nice_ceiling,
    nice_step,
    percent,
    stacked_columns,
    time_axis,
)
from tracehound.ui.jsonview import json_html
from tracehound.ui.messages import answer, user_message

TRACE = str(uuid.uuid4())


def mk(name: str, start_ms: int, end_ms: int | None, parent: Span | None = None) -> Span:
    return Span(id=str(uuid.uuid5(uuid.NAMESPACE_OID, TRACE + name)), trace_id=TRACE, name=name,
                parent_id=parent.id if parent else None, start_time=start_ms * 1000,
                end_time=None if end_ms is None else end_ms * 1000)


# Charts ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("total", "expected"), [(1000, 200), (2_400_000, 500_000), (7, 1), (99_000_000, 20_000_000)])
def test_nice_step_is_a_round_number_giving_at_most_eight_ticks(total: int, expected: float) -> None:
    assert nice_step(total) == expected
    assert total / nice_step(total) <= 8


def test_time_axis_labels_ticks_from_zero() -> None:
    ticks = time_axis(2_400_000)
    assert [t.label for t in ticks] == ["0", "500 ms", "1.00 s", "1.50 s", "2.00 s"]
    assert ticks[0].pct == 0 and ticks[-1].pct == pytest.approx(83.333, abs=0.001)


def test_bar_places_spans_on_the_axis_and_keeps_tiny_ones_visible() -> None:
    assert bar(1_500, 2_000, origin_us=1_000, span_us=2_000) == (25.0, 25.0)
    assert bar(1_000, 1_000, origin_us=1_000, span_us=10_000_000) == (0.0, MIN_BAR_PCT)
    assert bar(3_000, None, origin_us=1_000, span_us=4_000) == (50.0, 50.0)  # running: to the end
    left, width = bar(3_000_000, 3_000_000, origin_us=0, span_us=3_000_000)  # an instant at the very end
    assert left + width <= 100.0 and width == MIN_BAR_PCT


def test_histogram_bins_cover_every_value() -> None:
    bins = histogram([100.0 * n for n in range(1, 21)], bins=10)
    assert sum(b.count for b in bins) == 20 and max(b.height for b in bins) == 100.0
    assert bins[0].low == 100 and bins[-1].high >= 2000
    assert all(b.x >= 0 and b.x + b.width <= 100 for b in bins)
    steps = histogram([4, 5, 4, 5, 5])  # integers: one bin per value, no straddling
    assert [(b.low, b.count) for b in steps] == [(4, 2), (5, 3)]
    assert [b.count for b in histogram([0.5, 0.5])] == [2] and histogram([]) == []


def test_stacked_columns_and_scales() -> None:
    assert nice_ceiling(7) == 10 and nice_ceiling(0.19) == 0.2 and nice_ceiling(0) == 1.0
    assert percent(3, 4) == 75.0 and percent(None, 4) == 0.0 and percent(9, 4) == 100.0
    first, second = stacked_columns([(0, (3.0, 1.0)), (60, (0.0, 0.0))])
    assert first.parts == ((40.0, 60.0), (20.0, 20.0))  # ok from the bottom, errors on top; top is 5
    assert second.parts == ((100.0, 0.0), (100.0, 0.0)) and second.x > first.x + first.width


# Critical path -----------------------------------------------------------------------------------

def test_critical_path_follows_sequential_steps_and_the_slower_of_parallel_ones() -> None:
    root = mk("root", 0, 100)
    plan = mk("plan", 0, 20, root)
    fast = mk("fast_tool", 20, 40, root)
    slow = mk("slow_tool", 21, 70, root)
    inner = mk("inner", 22, 69, slow)
    answer_ = mk("answer", 70, 100, root)
    on_path = critical_path([root, plan, fast, slow, inner, answer_])
    assert on_path == {root.id, plan.id, slow.id, inner.id, answer_.id}
    assert parallel_spans([root, plan, fast, slow, inner, answer_]) == {fast.id, slow.id}


def test_critical_path_handles_running_spans_skew_and_deep_chains() -> None:
    running = mk("running", 0, None)
    child = mk("child", 5, None, running)
    assert critical_path([running, child]) == {running.id, child.id}  # running spans end with the trace
    root = mk("root", 0, 100)
    early = mk("early", 0, 40, root)
    skewed = mk("skewed", 50, 200, root)  # ends after its parent (clock skew): clipped, still chosen
    assert critical_path([root, early, skewed]) == {root.id, early.id, skewed.id}
    chain = [mk("c0", 0, 10_000)]
    for depth in range(1, 3000):  # deeper than Python's recursion limit
        chain.append(mk(f"c{depth}", depth, 10_000 - depth, chain[-1]))
    assert len(critical_path(chain)) == 3000
    assert critical_path([]) == set() and parallel_spans([]) == set()


# JSON view ---------------------------------------------------------------------------------------

def test_json_html_escapes_and_folds_large_values() -> None:
    html = str(json_html({"q": "<script>", "n": 1.5, "ok": True, "none": None, "long": "x" * 5000,
                          "many": list(range(100)), "empty": {}}))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<span class="j-num">1.5</span>' in html and "true" in html and "null" in html
    assert "5,000 chars" in html  # the long string is folded with its length
    assert '<details class="j-c"><summary>[<span class="j-n">100 items' in html  # closed: no "open"
    assert '<span class="j-raw">{}</span>' in html


# Messages ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("inputs", "expected"), [
    ("hi", "hi"),
    ({"question": "where?"}, "where?"),
    ({"input": {"text": "nested"}}, "nested"),
    ({"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "last user"},
                   {"role": "assistant", "content": "no"}]}, "last user"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": "parts"}]}]}, "parts"),
    ({"weird": 1}, '{"weird":1}'),
    (None, ""),
])
def test_user_message_finds_the_users_words(inputs: object, expected: str) -> None:
    assert user_message(inputs) == expected


@pytest.mark.parametrize(("outputs", "expected"), [
    ({"answer": "ships tomorrow"}, "ships tomorrow"),
    ({"output": "done"}, "done"),
    ({"choices": [{"message": {"role": "assistant", "content": "openai"}}]}, "openai"),
    ({"generations": [[{"text": "langchain"}]]}, "langchain"),
    ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}, "a"),
])
def test_answer_finds_the_agents_words(outputs: object, expected: str) -> None:
    assert answer(outputs) == expected


# Formatting --------------------------------------------------------------------------------------

def test_formatting() -> None:
    assert [formatting.duration(v) for v in (None, 12, 4_500, 45_000, 2_400_000, 75_000_000, 4_000_000_000)] == [
        "—", "12 µs", "4.5 ms", "45 ms", "2.40 s", "1m 15s", "1h 06m"]
    assert formatting.when(1_776_247_200_123_456) == "2026-04-15 10:00:00.123 UTC"
    assert formatting.number(1234567) == "1,234,567" and formatting.number(None) == "—"
    assert formatting.usd(0.00021) == "$0.00021" and formatting.usd(12.5) == "$12.5" and formatting.usd(0) == "$0"
    assert formatting.preview({"a": "b " * 200}, 20).endswith("…")
