"""Evaluators: the protocol (``base``) and the built-in families, one module each.

::

    match        exact_match, regex_match, json_match, numeric_tolerance
    trajectory   tool_call_correct, step_budget, loop_count, latency_ok, cost_budget
    grounded     groundedness (claims supported by retrieved documents)
    judge        LLMJudge (tracehound.evals.judge): an OpenAI-compatible model with a rubric
"""

from tracehound.evals.evaluators.base import EvalRun, EvaluationResult, Evaluator, evaluator_name, normalize
from tracehound.evals.evaluators.grounded import groundedness
from tracehound.evals.evaluators.match import exact_match, json_match, numeric_tolerance, regex_match
from tracehound.evals.evaluators.trajectory import cost_budget, latency_ok, loop_count, step_budget, tool_call_correct

BUILTINS = {
    "exact_match": exact_match, "regex_match": regex_match, "json_match": json_match,
    "numeric_tolerance": numeric_tolerance, "tool_call_correct": tool_call_correct, "groundedness": groundedness,
}
"""Evaluators a CLI flag can name without arguments (``--evaluator exact_match``)."""

__all__ = [
    "BUILTINS", "EvalRun", "EvaluationResult", "Evaluator", "cost_budget", "evaluator_name", "exact_match",
    "groundedness", "json_match", "latency_ok", "loop_count", "normalize", "numeric_tolerance", "regex_match",
    "step_budget", "tool_call_correct",
]
