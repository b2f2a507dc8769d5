"""Built-in evaluators on hand-made runs, and how evaluator return values are read."""

from __future__ import annotations

from typing import Any

import pytest

from tests.spans import span
from tracehound.evals.evaluators import (
    EvalRun,
    EvaluationResult,
    cost_budget,
    exact_match,
    groundedness,
    json_match,
    latency_ok,
    loop_count,
    normalize,
    numeric_tolerance,
    regex_match,
    step_budget,
    tool_call_correct,
)
from tracehound.model import Span
from tracehound.store.base import Example


def make_run(outputs: Any, children: list[dict[str, Any]] = (), latency_s: float = 0.5) -> EvalRun:
    root = Span(**span(name="agent"))
    spans = [root]
    for index, child in enumerate(children):
        spans.append(Span(**span(root.trace_id, parent_id=root.id, start_time=root.start_us + 10 + index,
                                 end_time=root.start_us + 20 + index, **child)))
    return EvalRun(root.id, root.trace_id, {"q": "x"}, outputs, None, latency_s, spans)


def example(outputs: Any) -> Example:
    return Example("e1", "d1", {"q": "x"}, outputs)


def test_matching_evaluators() -> None:
    assert exact_match("answer")(make_run({"answer": " Paris "}), example({"answer": "Paris"})).score == 1.0
    assert not exact_match()(make_run({"output": "paris"}), example({"output": "Paris"})).ok
    assert exact_match(case_sensitive=False)(make_run({"output": "paris"}), example({"output": "Paris"})).ok
    assert regex_match(r"\b5 days\b")(make_run({"output": "Refunds take 5 days."}), example(None)).ok
    assert not regex_match(field="answer")(make_run({"answer": "no"}), example({"answer": "^yes"})).ok
    partial = json_match("answer")(make_run({"answer": '{"a": 1, "b": 3}'}), example({"answer": {"a": 1, "b": 2}}))
    assert partial.score == 0.5 and not partial.ok and "b" in partial.comment
    assert numeric_tolerance(abs_tol=0.01)(make_run({"output": 3.141}), example({"output": 3.14})).ok
    assert not numeric_tolerance()(make_run({"output": "x"}), example({"output": 1})).ok


def test_tool_calls_in_order_with_arguments() -> None:
    run = make_run({"output": "ok"}, [
        {"name": "search", "run_type": "tool", "inputs": {"query": "refund", "k": 3}},
        {"name": "lookup_order", "run_type": "tool", "inputs": {"order_id": "A1"}},
        {"name": "llm", "run_type": "llm"},
    ])
    expected = [{"name": "search", "args": {"query": "refund"}}, {"name": "lookup_order", "args": {"order_id": "A1"}}]
    assert tool_call_correct(expected, ordered=True)(run, example(None)).ok
    reverse = tool_call_correct(list(reversed(expected)), ordered=True)(run, example(None))
    assert reverse.score == 0.5 and not reverse.ok
    assert tool_call_correct(list(reversed(expected)))(run, example(None)).ok
    wrong_args = tool_call_correct([{"name": "lookup_order", "args": {"order_id": "B2"}}])(run, example(None))
    assert not wrong_args.ok and "lookup_order" in wrong_args.comment
    from_reference = tool_call_correct()(run, example({"tool_calls": ["search"]}))
    assert from_reference.ok and from_reference.value == ["search", "lookup_order"]
    assert tool_call_correct()(run, example({"answer": "x"})) is None


def test_budgets_and_loops() -> None:
    looping = make_run({"output": "?"}, [{"name": "search", "run_type": "tool", "inputs": {"q": "a"}}] * 4
                       + [{"name": "llm", "run_type": "llm", "cost": 0.02}])
    assert loop_count(max_repeats=2)(looping, example(None)).value == 4
    assert not loop_count(max_repeats=2)(looping, example(None)).ok
    assert step_budget(5)(looping, example(None)).ok and not step_budget(4)(looping, example(None)).ok
    assert cost_budget(0.05)(looping, example(None)).ok and not cost_budget(0.01)(looping, example(None)).ok
    assert latency_ok(1.0)(looping, example(None)).ok and not latency_ok(0.1)(looping, example(None)).ok


def test_groundedness_flags_claims_the_documents_do_not_support() -> None:
    docs = [{"name": "kb", "run_type": "retriever",
             "outputs": {"documents": ["Refunds are issued within 5 business days of the return arriving."]}}]
    grounded = make_run({"answer": "Refunds are issued within 5 business days."}, docs)
    made_up = make_run({"answer": "Refunds are issued within 5 business days. Shipping is always free worldwide."},
                       docs)
    assert groundedness("answer")(grounded, example(None)).score == 1.0
    result = groundedness("answer")(made_up, example(None))
    assert result.score == 0.5 and not result.ok and "Shipping" in result.comment


def test_return_values_are_normalised() -> None:
    assert normalize(True, "k") == [EvaluationResult("k", 1.0, passed=True)]
    assert normalize(0.25, "k")[0].ok is False
    assert normalize({"key": "x", "value": "long"}, "k")[0].ok is True
    assert [r.key for r in normalize([{"score": 1}, EvaluationResult("b", 0)], "k")] == ["k", "b"]
    assert normalize(None, "k") == []
    with pytest.raises(TypeError):
        normalize(object(), "k")
