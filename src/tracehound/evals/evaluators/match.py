"""Matching the run's output against the example's reference: exact, regex, JSON, numeric tolerance.

Each factory returns an evaluator; ``field`` compares one key of the outputs (``{"answer": ...}``),
else the whole output (a lone ``{"output": x}`` is unwrapped).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from tracehound.evals.evaluators.base import EvalRun, EvaluationResult, pick
from tracehound.store.base import Example


def _named(func: Any, key: str) -> Any:
    func.key = key
    func.__name__ = key
    return func


def exact_match(field: str | None = None, *, case_sensitive: bool = True, strip: bool = True) -> Any:
    """Score 1 when the output equals the reference (text compared after ``strip``, optionally casefolded)."""

    def evaluate(run: EvalRun, example: Example) -> EvaluationResult:
        got, want = pick(run.outputs, field), pick(example.outputs, field)
        if isinstance(got, str) and isinstance(want, str):
            if strip:
                got, want = got.strip(), want.strip()
            if not case_sensitive:
                got, want = got.casefold(), want.casefold()
        same = got == want
        return EvaluationResult("exact_match", 1.0 if same else 0.0, passed=same,
                                comment=None if same else f"expected {want!r}, got {got!r}"[:500])

    return _named(evaluate, "exact_match")


def regex_match(pattern: str | None = None, field: str | None = None, *, flags: int = re.IGNORECASE) -> Any:
    """Score 1 when the output matches ``pattern`` (or the reference, read as a pattern) anywhere."""

    def evaluate(run: EvalRun, example: Example) -> EvaluationResult:
        wanted = pattern if pattern is not None else pick(example.outputs, field)
        text = pick(run.outputs, field)
        found = re.search(str(wanted), text if isinstance(text, str) else json.dumps(text), flags) is not None
        return EvaluationResult("regex_match", 1.0 if found else 0.0, passed=found,
                                comment=None if found else f"no match for /{wanted}/")

    return _named(evaluate, "regex_match")


def _as_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def json_match(field: str | None = None, *, keys: list[str] | None = None) -> Any:
    """Score = the fraction of the reference's keys (or ``keys``) whose values the output has equal.

    Strings holding JSON are parsed first, so ``'{"a": 1}'`` matches ``{"a": 1}``.
    """

    def evaluate(run: EvalRun, example: Example) -> EvaluationResult:
        got, want = _as_json(pick(run.outputs, field)), _as_json(pick(example.outputs, field))
        if not isinstance(want, dict) or not isinstance(got, dict):
            same = got == want
            return EvaluationResult("json_match", 1.0 if same else 0.0, passed=same)
        names = keys if keys is not None else list(want)
        wrong = [name for name in names if got.get(name) != want.get(name)]
        score = 1.0 - len(wrong) / len(names) if names else 1.0
        return EvaluationResult("json_match", score, passed=not wrong,
                                comment=f"differs at {', '.join(wrong)}" if wrong else None)

    return _named(evaluate, "json_match")


def numeric_tolerance(field: str | None = None, *, abs_tol: float = 0.0, rel_tol: float = 1e-9) -> Any:
    """Score 1 when the output is a number within ``abs_tol`` or ``rel_tol`` of the reference."""

    def evaluate(run: EvalRun, example: Example) -> EvaluationResult:
        try:
            got, want = float(pick(run.outputs, field)), float(pick(example.outputs, field))
        except (TypeError, ValueError):
            return EvaluationResult("numeric_tolerance", 0.0, passed=False, comment="not a number")
        close = math.isclose(got, want, rel_tol=rel_tol, abs_tol=abs_tol)
        return EvaluationResult("numeric_tolerance", 1.0 if close else 0.0, value=got - want, passed=close)

    return _named(evaluate, "numeric_tolerance")
