"""Runtime guards stop a scripted agent: a loop, a step budget, a token budget; the context hook fires."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import tracehound
from tracehound.sdk.pricing import cost, price_for, register_price


@pytest.fixture
def exporter() -> Iterator[tracehound.InMemoryExporter]:
    exporter = tracehound.InMemoryExporter()
    yield exporter
    tracehound.configure()


calls: list[str] = []


@tracehound.traceable(run_type="tool")
def search(query: str) -> str:
    calls.append(query)
    return "nothing found"


@tracehound.traceable(run_type="llm")
def think(step: int) -> str:
    tracehound.get_current_span().set_model("gpt-4o-mini")
    tracehound.get_current_span().set_tokens(prompt=900, completion=100)
    return "search again"


@tracehound.traceable(run_type="agent")
def stubborn_agent(vary: bool = False) -> str:
    """Searches forever unless a guard stops it; answers gracefully when one does."""
    try:
        for step in range(1000):
            think(step)
            search(f"refund policy {step}" if vary else "refund policy")
    except tracehound.GuardTripped as stop:
        return f"Sorry, I could not finish that ({stop.guard})"
    return "gave up by itself"


def test_the_loop_guard_stops_the_agent_and_marks_the_trace(exporter: tracehound.InMemoryExporter) -> None:
    calls.clear()
    tracehound.configure(exporter=exporter, sampling=tracehound.Sampling(keep_rate=0.0),
                         guards=tracehound.Guards(loop_threshold=3))
    assert stubborn_agent() == "Sorry, I could not finish that (loop)"
    assert calls == ["refund policy"] * 2  # the third call never ran
    spans = exporter.get_spans()  # kept despite keep_rate=0: a guard fired
    tripped = [span for span in spans if span.status == "error"]
    assert len(tripped) == 1 and tripped[0].name == "search"
    assert tripped[0].error is not None and tripped[0].error.startswith("LoopDetected: tool 'search' called 3 times")
    assert tripped[0].metadata["guard"] == {"name": "loop", "limit": 3, "value": 3}
    root = next(span for span in spans if span.parent_id is None)
    assert root.metadata["guard_fired"] == "loop"
    assert root.outputs == {"output": "Sorry, I could not finish that (loop)"}


def test_same_arguments_mode_lets_different_calls_through(exporter: tracehound.InMemoryExporter) -> None:
    calls.clear()
    tracehound.configure(exporter=exporter, guards=tracehound.Guards(loop_threshold=3, loop_same_arguments=True,
                                                                      max_steps=41))
    assert stubborn_agent(vary=True) == "Sorry, I could not finish that (step_budget)"
    assert len(calls) == 20  # steps 1-41 ran (21 thoughts, 20 searches); the search at step 42 was stopped
    tripped = [span for span in exporter.get_spans() if span.status == "error"]
    assert [span.metadata["guard"]["name"] for span in tripped] == ["step_budget"]


def test_the_token_budget_stops_before_the_next_call(exporter: tracehound.InMemoryExporter) -> None:
    calls.clear()
    tracehound.configure(exporter=exporter, guards=tracehound.Guards(max_tokens=3500))
    assert stubborn_agent(vary=True) == "Sorry, I could not finish that (token_budget)"
    spans = exporter.get_spans()
    assert sum(span.total_tokens or 0 for span in spans) == 4000  # four calls of 1000 tokens; the fifth stopped
    tripped = [span for span in spans if span.status == "error"]
    assert tripped[0].metadata["guard"] == {"name": "token_budget", "limit": 3500, "value": 4000}


def test_the_context_window_hook_fires_and_is_recorded(exporter: tracehound.InMemoryExporter) -> None:
    seen: list[tuple[str, int, int]] = []

    def summarise(run: Any, prompt_tokens: int, window: int) -> None:
        seen.append((run.name, prompt_tokens, window))

    tracehound.configure(exporter=exporter, guards=tracehound.Guards(
        context_ratio=0.5, on_context_window=summarise, context_windows={"small-model": 1000}))
    with tracehound.span("turn"):
        with tracehound.llm_call("small-model", [{"role": "user", "content": "hi"}]) as call:
            call.record("hello", prompt_tokens=400, completion_tokens=5)
        with tracehound.llm_call("small-model", [{"role": "user", "content": "hi"}]) as call:
            call.record("hello", prompt_tokens=600, completion_tokens=5)
    assert seen == [("llm", 600, 1000)]
    llm_spans = [span for span in exporter.get_spans() if span.run_type == "llm"]
    assert "guard" not in llm_spans[0].metadata
    assert llm_spans[1].metadata["guard"] == {"name": "context_window", "prompt_tokens": 600, "window": 1000,
                                              "ratio": 0.6}


def test_guards_reject_bad_limits() -> None:
    with pytest.raises(ValueError, match="loop_threshold"):
        tracehound.Guards(loop_threshold=0)
    with pytest.raises(ValueError, match="context_ratio"):
        tracehound.Guards(context_ratio=1.5)


def test_the_price_table_computes_cost_once_per_llm_span(exporter: tracehound.InMemoryExporter) -> None:
    assert price_for("gpt-4o-mini-2024-07-18") == price_for("gpt-4o-mini") != price_for("gpt-4o-2024-08-06")
    assert price_for("unknown-model") is None and cost("unknown-model", 10, 10) is None
    usd, details = cost("gpt-4o", 1_000_000, 1_000_000, cached_tokens=400_000, reasoning_tokens=0)  # type: ignore[misc]
    assert details == {"input": 1.5, "output": 10.0, "cached_input": 0.5} and usd == 12.0
    register_price("house-model", input=1.0, output=2.0, cached_input=0.5)
    tracehound.configure(exporter=exporter)
    with tracehound.span("agent"), tracehound.llm_call("house-model", ["hi"], temperature=0) as call:
        call.record("yo", prompt_tokens=1000, completion_tokens=500, cached_tokens=200, reasoning_tokens=100)
    llm, agent = exporter.get_spans()
    assert llm.cost == pytest.approx(0.0008 + 0.0001 + 0.0008 + 0.0002) and agent.cost is None
    assert llm.cost_details == pytest.approx({"input": 0.0008, "cached_input": 0.0001, "output": 0.0008,
                                              "reasoning": 0.0002})
    assert llm.metadata["usage"] == {"cached_tokens": 200, "reasoning_tokens": 100}
    assert llm.inputs == {"messages": ["hi"], "temperature": 0} and llm.model == "house-model"
    assert (llm.prompt_tokens, llm.completion_tokens, llm.total_tokens) == (1000, 500, 1500)
