"""Online evaluator rules: evaluators run by the server on a sample of live traces once they end.

A rule names a project, a filter (the filter language, applied to the trace's root run), a sample
rate and evaluators. The sample is decided by a hash of the session id (of the trace id without a
session), as tail sampling decides it, so one conversation is evaluated whole or not at all and every
node of a cluster makes the same choice::

    [[online]]                                   # in the rules file, or POST /api/v1/online-rules
    id = "refund-accuracy"
    project = "support"
    filter = 'eq(name, "support_agent")'
    sample_rate = 0.05
    evaluators = [{name = "judge", rubric = "States the refund window correctly", n = 3},
                  {name = "step_budget", max_steps = 8}]

Each evaluator's verdict is stored as feedback on the root run with ``source = "online:<rule id>"``
and ``source_info = {"rule", "evaluator", "version"}``; the version changes whenever the evaluator's
parameters (or the judge's pinned model) change, so a rate series never mixes two evaluators.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from tracehound.errors import ConfigError, QueryError
from tracehound.evals.evaluators import base as evaluator_base
from tracehound.evals.evaluators.grounded import groundedness
from tracehound.evals.evaluators.match import regex_match
from tracehound.evals.evaluators.trajectory import cost_budget, latency_ok, loop_count, step_budget

SOURCE_PREFIX: Final = "online:"
DEFAULT_SAMPLE_RATE: Final = 0.05
MAX_EVALUATORS: Final = 10

# Evaluators that need no reference output, by the name a rule uses, with the parameters they accept.
FACTORIES: Final[dict[str, tuple[Callable[..., Any], frozenset[str]]]] = {
    "step_budget": (step_budget, frozenset({"max_steps", "run_types"})),
    "loop_count": (loop_count, frozenset({"max_repeats"})),
    "latency_ok": (latency_ok, frozenset({"max_s"})),
    "cost_budget": (cost_budget, frozenset({"max_usd"})),
    "groundedness": (groundedness, frozenset({"field", "claim_support", "threshold"})),
    "regex_match": (regex_match, frozenset({"pattern", "field"})),
    "no_errors": (None, frozenset({"run_types"})),  # built below: no step of the trace failed
    "judge": (None, frozenset({"rubric", "key", "model", "n", "temperature"})),
}


@dataclass(frozen=True)
class OnlineRule:
    """One online evaluator rule; ``evaluators`` are ``{"name": ..., **params}`` mappings."""

    id: str
    project: str | None = None
    filter: str | None = None
    sample_rate: float = DEFAULT_SAMPLE_RATE
    evaluators: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = True
    source: str = "api"  # "file" rules are read-only through the API

    @property
    def feedback_source(self) -> str:
        return SOURCE_PREFIX + self.id

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluator_key(spec: dict[str, Any]) -> str:
    """The feedback key an evaluator of a rule stores its verdicts under."""
    return str(spec.get("key") or spec["name"])


def evaluator_version(spec: dict[str, Any], judge_model: str | None = None) -> str:
    """A short digest of what decides the evaluator's verdicts: its name, parameters and judge model."""
    decided = dict(spec)
    if spec.get("name") == "judge":
        decided["model"] = spec.get("model") or judge_model
    text = json.dumps(decided, sort_keys=True, default=str)
    return f"{spec['name']}@{hashlib.blake2b(text.encode(), digest_size=4).hexdigest()}"


def rule_from_dict(data: Any, *, source: str = "api") -> OnlineRule:
    """A rule from a mapping (API body or rules-file table).

    Raises:
        QueryError: naming the field that is missing or wrong.
    """
    if not isinstance(data, dict):
        raise QueryError("an online rule must be an object", field="rule")
    unknown = set(data) - {"id", "project", "filter", "sample_rate", "evaluators", "enabled", "source"}
    if unknown:
        raise QueryError(f"unknown field(s) {', '.join(sorted(unknown))} in an online rule", field=sorted(unknown)[0])
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not 0 < len(rule_id) <= 128 or ":" in rule_id:
        raise QueryError("an online rule needs an `id` of 1 to 128 characters without ':'", field="id")
    rate = data.get("sample_rate", DEFAULT_SAMPLE_RATE)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise QueryError(f"rule {rule_id}: `sample_rate` must be a number from 0 to 1", field="sample_rate")
    filter_text = data.get("filter")
    if filter_text is not None and not isinstance(filter_text, str):
        raise QueryError(f"rule {rule_id}: `filter` must be a filter-language string", field="filter")
    if filter_text:
        from tracehound.query.runs import parse_checked  # checks the grammar now, not at the first trace

        parse_checked(filter_text, 0, "filter")
    evaluators = data.get("evaluators")
    if not isinstance(evaluators, list) or not 0 < len(evaluators) <= MAX_EVALUATORS:
        raise QueryError(f"rule {rule_id}: `evaluators` must list 1 to {MAX_EVALUATORS} evaluators",
                         field="evaluators")
    keys = set()
    for index, spec in enumerate(evaluators):
        _check_spec(rule_id, index, spec)
        key = evaluator_key(spec)
        if key in keys:
            raise QueryError(f"rule {rule_id}: two evaluators store under the key {key!r}; give one a `key`",
                             field=f"evaluators[{index}].key")
        keys.add(key)
    project = data.get("project")
    if project is not None and not isinstance(project, str):
        raise QueryError(f"rule {rule_id}: `project` must be a string", field="project")
    return OnlineRule(id=rule_id, project=project, filter=filter_text or None, sample_rate=float(rate),
                      evaluators=[dict(spec) for spec in evaluators], enabled=bool(data.get("enabled", True)),
                      source=source)


def _check_spec(rule_id: str, index: int, spec: Any) -> None:
    where = f"evaluators[{index}]"
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise QueryError(f"rule {rule_id}: each evaluator is an object with a `name`", field=where)
    name = spec["name"]
    if name not in FACTORIES:
        raise QueryError(f"rule {rule_id}: unknown evaluator {name!r}; online rules take "
                         f"{', '.join(FACTORIES)}", field=f"{where}.name")
    allowed = FACTORIES[name][1] | {"name", "key"}
    extra = set(spec) - allowed
    if extra:
        raise QueryError(f"rule {rule_id}: evaluator {name} does not take {', '.join(sorted(extra))}",
                         field=f"{where}.{sorted(extra)[0]}")
    if name == "judge" and not isinstance(spec.get("rubric"), str):
        raise QueryError(f"rule {rule_id}: the judge needs a `rubric`", field=f"{where}.rubric")
    if name == "regex_match" and not isinstance(spec.get("pattern"), str):
        raise QueryError(f"rule {rule_id}: regex_match needs a `pattern`", field=f"{where}.pattern")


def build_evaluator(spec: dict[str, Any], settings: Any = None) -> Any:
    """The evaluator callable a spec names, its key set to ``evaluator_key(spec)``.

    Raises:
        ConfigError: the judge is asked for but has no endpoint or a floating model alias.
    """
    name = spec["name"]
    params = {k: v for k, v in spec.items() if k not in ("name", "key")}
    key = evaluator_key(spec)
    if name == "judge":
        from tracehound.evals.judge import LLMJudge

        return LLMJudge(params["rubric"], key=key, model=params.get("model"), n=int(params.get("n", 1)),
                        temperature=float(params.get("temperature", 0.0)), settings=settings)
    if name == "no_errors":
        return _named(no_errors(params.get("run_types")), key)
    factory = FACTORIES[name][0]
    try:
        evaluator = factory(**params)
    except TypeError as exc:
        raise ConfigError(f"evaluator {name}: {exc}", setting="evaluators") from None
    return _named(evaluator, key)


def no_errors(run_types: list[str] | None = None) -> Any:
    """Fails a trace in which any step (of ``run_types``, default all) ended in error or was interrupted."""

    def evaluate(run: evaluator_base.EvalRun, example: Any) -> evaluator_base.EvaluationResult:
        failed = [s for s in run.spans if s.status in ("error", "interrupted")
                  and (not run_types or s.run_type in run_types)]
        ok = not failed
        comment = None if ok else f"{len(failed)} failed step(s): " + ", ".join(sorted({s.name for s in failed}))
        return evaluator_base.EvaluationResult("no_errors", 1.0 if ok else 0.0, value=len(failed), passed=ok,
                                               comment=comment)

    return evaluate


def _named(func: Any, key: str) -> Any:
    func.key = key
    func.__name__ = key
    return func


def sampled(rule: OnlineRule, session_id: str | None, trace_id: str) -> bool:
    """Whether the rule evaluates this trace: the same answer on every node for one session."""
    if rule.sample_rate >= 1.0:
        return True
    if rule.sample_rate <= 0.0:
        return False
    from tracehound.sdk.sampling import session_fraction

    return session_fraction(session_id or trace_id) < rule.sample_rate


def run_matches(spans: Any, filter_text: str, run_id: str) -> bool:
    """Whether the stored run ``run_id`` satisfies a filter-language expression (rules and pools narrow so)."""
    from tracehound.query.runs import RunQuery, list_runs

    page = list_runs(spans, RunQuery(filter=f'and({filter_text}, eq(id, "{run_id}"))', select=["id"], limit=1))
    return bool(page.runs)
