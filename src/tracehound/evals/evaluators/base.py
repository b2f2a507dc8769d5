"""The evaluator protocol: ``(run, example) -> score``, sync or async, and the run it is shown.

An evaluator is any callable taking the ``EvalRun`` (the target's run with its whole trace) and the
``Example``; it may be ``async``. It returns an ``EvaluationResult``, a list of them, a ``dict`` with
``key``/``score``/``value``/``comment``, a ``bool`` or a number (the score), or ``None`` (no opinion)::

    def mentions_refund(run, example):
        return "refund" in str(run.outputs).lower()

Pass/fail: ``passed`` when the result says so, else ``score >= 0.5``; a value without a score never
fails an example.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tracehound.model import Span
from tracehound.store.base import Example

Evaluator = Callable[..., Any]
PASS_SCORE = 0.5


@dataclass(slots=True)
class EvalRun:
    """What an evaluator sees: the target's root run and every span of its trace."""

    id: str
    trace_id: str
    inputs: Any
    outputs: Any
    error: str | None = None
    latency_s: float | None = None
    spans: list[Span] = field(default_factory=list)

    def spans_of(self, run_type: str) -> list[Span]:
        """Spans of one run type below the root, in start order."""
        return sorted((s for s in self.spans if s.run_type == run_type and s.id != self.id),
                      key=lambda s: (s.start_us, s.step or 0))

    @property
    def tool_calls(self) -> list[Span]:
        return self.spans_of("tool")

    @property
    def steps(self) -> list[Span]:
        """Every span below the root."""
        return sorted((s for s in self.spans if s.id != self.id), key=lambda s: (s.start_us, s.step or 0))

    @property
    def total_cost(self) -> float:
        return sum(s.cost or 0.0 for s in self.spans)

    @property
    def total_tokens(self) -> int:
        return sum(s.total_tokens or 0 for s in self.spans if s.run_type == "llm" or s.id == self.id)


@dataclass(slots=True)
class EvaluationResult:
    """One evaluator's verdict on one run."""

    key: str
    score: float | None = None
    value: Any = None
    comment: str | None = None
    passed: bool | None = None

    @property
    def ok(self) -> bool:
        if self.passed is not None:
            return self.passed
        return True if self.score is None else self.score >= PASS_SCORE


def evaluator_name(evaluator: Evaluator) -> str:
    """The key an evaluator's bare results are stored under."""
    return str(getattr(evaluator, "key", None) or getattr(evaluator, "__name__", None) or type(evaluator).__name__)


def normalize(raw: Any, default_key: str) -> list[EvaluationResult]:
    """Whatever an evaluator returned, as results.

    Raises:
        TypeError: a return value that is none of the accepted shapes.
    """
    if raw is None:
        return []
    if isinstance(raw, EvaluationResult):
        return [raw]
    if isinstance(raw, bool):
        return [EvaluationResult(default_key, 1.0 if raw else 0.0, passed=raw)]
    if isinstance(raw, int | float):
        return [EvaluationResult(default_key, float(raw))]
    if isinstance(raw, dict):
        score = raw.get("score")
        return [EvaluationResult(str(raw.get("key", default_key)), None if score is None else float(score),
                                 raw.get("value"), raw.get("comment"), raw.get("passed"))]
    if isinstance(raw, list | tuple):
        return [item for part in raw for item in normalize(part, default_key)]
    raise TypeError(f"evaluator {default_key!r} returned {type(raw).__name__}; expected a score, bool, dict or"
                    " EvaluationResult")


def is_async(evaluator: Evaluator) -> bool:
    call = getattr(evaluator, "__call__", None)  # noqa: B004  (callable objects with an async __call__)
    return inspect.iscoroutinefunction(evaluator) or inspect.iscoroutinefunction(call)


def reference(example: Example, field_name: str | None) -> Any:
    return pick(example.outputs, field_name)


def pick(outputs: Any, field_name: str | None) -> Any:
    """``outputs[field]`` when a field is named; a lone ``{"output": x}`` unwraps to ``x``."""
    if field_name is not None:
        return outputs.get(field_name) if isinstance(outputs, dict) else None
    if isinstance(outputs, dict) and len(outputs) == 1 and "output" in outputs:
        return outputs["output"]
    return outputs
