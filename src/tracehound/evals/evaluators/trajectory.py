"""Evaluating how the agent got there: tool calls, step budget, loops, latency and cost.

These read the trace (``run.spans``), not just the answer, so they catch the agent that answers
right after calling the wrong tool, looping, or spending too much.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tracehound.evals.evaluators.base import EvalRun, EvaluationResult
from tracehound.evals.evaluators.match import _named
from tracehound.store.base import Example


def latency_ok(max_s: float) -> Any:
    """Passes when the run took at most ``max_s`` seconds; the latency is the value."""

    def evaluate(run: EvalRun, example: Example) -> EvaluationResult:
        latency = run.latency_s if run.latency_s is not None else float("inf")
        ok = latency <= max_s
        return EvaluationResult("latency_ok", 1.0 if ok else 0.0, value=run.latency_s, passed=ok,
                                comment=None if ok else f"{latency:.3f} s > {max_s} s")

    return _named(evaluate, "latency_ok")


def _arguments(span: Any) -> dict[str, Any]:
    inputs = span.inputs
    return inputs if isinstance(inputs, dict) else {"input": inputs}


def _matches(call: Any, expected: dict[str, Any], check_args: bool) -> bool:
    if call.name != expected.get("name"):
        return False
    wanted = expected.get("args") or expected.get("arguments") or {}
    if not check_args or not wanted:
        return True
    got = _arguments(call)
    return all(got.get(key) == value for key, value in wanted.items())


def tool_call_correct(expected: Sequence[dict[str, Any] | str] | None = None, *, ordered: bool = False,
                      check_args: bool = True, field: str = "tool_calls") -> Any:
    """Passes when every expected tool call appears among the run's tool spans (in order when ``ordered``).

    An expected call is a tool name or ``{"name", "args"}`` (the args must appear, with equal values,
    in the tool span's inputs). Without ``expected``, they are read from the example's reference
    outputs under ``field``. Score: the fraction of expected calls found.
    """

    def evaluate(run: EvalRun, example: Example) -> EvaluationResult | None:
        wanted = expected
        if wanted is None:
            wanted = example.outputs.get(field) if isinstance(example.outputs, dict) else None
        if not wanted:
            return None
        calls = [c if isinstance(c, dict) else {"name": c} for c in wanted]
        tools = run.tool_calls
        found = 0
        missing = []
        position = 0
        for call in calls:
            pool = tools[position:] if ordered else tools
            index = next((i for i, span in enumerate(pool) if _matches(span, call, check_args)), None)
            if index is None:
                missing.append(call["name"])
                continue
            found += 1
            if ordered:
                position += index + 1
        names = [span.name for span in tools]
        return EvaluationResult("tool_call_correct", found / len(calls), value=names, passed=not missing,
                                comment=f"missing or out of order: {', '.join(map(str, missing))}; called {names}"
                                if missing else None)

    return _named(evaluate, "tool_call_correct")


def step_budget(max_steps: int, *, run_types: Sequence[str] | None = ("llm", "tool")) -> Any:
    """Passes when the run took at most ``max_steps`` steps (spans of ``run_types``; ``None`` = all)."""

    def evaluate(run: EvalRun, example: Example) -> EvaluationResult:
        steps = [s for s in run.steps if run_types is None or s.run_type in run_types]
        ok = len(steps) <= max_steps
        return EvaluationResult("step_budget", 1.0 if ok else 0.0, value=len(steps), passed=ok,
                                comment=None if ok else f"{len(steps)} steps > {max_steps}")

    return _named(evaluate, "step_budget")


def loop_count(max_repeats: int = 2) -> Any:
    """Passes when no tool is called with the same arguments more than ``max_repeats`` times in a row.

    The value is the longest such streak: an agent stuck retrying one call shows up here.
    """

    def evaluate(run: EvalRun, example: Example) -> EvaluationResult:
        longest, streak, previous = 0, 0, None
        for call in run.tool_calls:
            signature = (call.name, json.dumps(call.inputs, sort_keys=True, default=str))
            streak = streak + 1 if signature == previous else 1
            previous = signature
            longest = max(longest, streak)
        ok = longest <= max_repeats
        return EvaluationResult("loop_count", 1.0 if ok else 0.0, value=longest, passed=ok,
                                comment=None if ok else f"the same call {longest} times in a row")

    return _named(evaluate, "loop_count")


def cost_budget(max_usd: float) -> Any:
    """Passes when the trace's total cost is at most ``max_usd``; the cost is the value."""

    def evaluate(run: EvalRun, example: Example) -> EvaluationResult:
        cost = run.total_cost
        ok = cost <= max_usd
        return EvaluationResult("cost_budget", 1.0 if ok else 0.0, value=cost, passed=ok,
                                comment=None if ok else f"${cost:.4f} > ${max_usd}")

    return _named(evaluate, "cost_budget")
