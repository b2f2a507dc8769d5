"""The CI gate: evaluate a target, compare with a baseline experiment, fail on a missed threshold or a regression.

    gate = run_gate(answer, dataset="support", split="smoke", evaluators=[exact_match("answer")],
                    baseline="main-1a2b3c4d", min_scores={"exact_match": 0.9}, no_regressions=True)
    print(gate.markdown())      # for the pull-request comment
    sys.exit(0 if gate.passed else 1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracehound.evals.backend import open_backend
from tracehound.evals.compare import PASS_RATE, Comparison, compare_experiments
from tracehound.evals.evaluators.base import Evaluator
from tracehound.evals.runner import ExperimentResults, evaluate


@dataclass(slots=True)
class GateResult:
    results: ExperimentResults
    comparison: Comparison | None
    checks: list[tuple[str, str | None]] = field(default_factory=list)  # (check, failure or None)

    @property
    def passed(self) -> bool:
        return all(failure is None for _, failure in self.checks)

    @property
    def failures(self) -> list[str]:
        return [failure for _, failure in self.checks if failure is not None]

    def markdown(self) -> str:
        """A summary for a pull-request comment."""
        summary = self.results.summary
        lines = [f"### tracehound gate: {'✅ passed' if self.passed else '❌ failed'}", "",
                 f"Experiment `{self.results.name}`: {summary['passed']}/{summary['examples']} examples passed"
                 f" ({summary['target_errors']} target errors, {summary['evaluator_errors']} evaluator errors).", ""]
        lines += ["| check | result |", "|---|---|"]
        lines += [f"| {name} | {'ok' if failure is None else failure} |" for name, failure in self.checks]
        if self.comparison is not None:
            c = self.comparison
            lines += ["", f"Against baseline `{c.baseline.name}`: {c.count('fixed')} fixed, {c.count('regressed')}"
                      f" regressed, {c.count('unchanged')} unchanged.", "",
                      "| metric | baseline | candidate | delta | 95% CI |", "|---|---|---|---|---|"]
            for m in c.metrics:
                if m.delta is None:
                    continue
                lines.append(f"| {m.key} | {m.baseline_mean:.3f} | {m.candidate_mean:.3f} | {m.delta:+.3f} |"
                             f" [{m.ci_low:+.3f}, {m.ci_high:+.3f}] |")
            for outcome in c.regressed:
                lines.append(f"- regressed: `{outcome.example_id}`"
                             + (f" ({outcome.candidate_error.splitlines()[0]})" if outcome.candidate_error else ""))
        return "\n".join(lines) + "\n"


def run_gate(target: Callable[..., Any], *, dataset: str, evaluators: Sequence[Evaluator] = (),
             split: str | None = None, baseline: str | None = None, min_scores: dict[str, float] | None = None,
             no_regressions: bool = False, no_significant_drop: bool = False, experiment_prefix: str = "gate",
             max_concurrency: int = 4, client: Any = None, data_dir: str | None = None,
             progress: bool | None = None) -> GateResult:
    """Evaluate ``target`` on ``dataset`` and check it.

    Args:
        min_scores: metric → lowest acceptable mean (``pass_rate`` is always available).
        baseline: experiment to compare with (needed for ``no_regressions`` and ``no_significant_drop``).
        no_regressions: fail when any example that passed in the baseline fails now.
        no_significant_drop: fail when a metric's bootstrap interval lies entirely below zero.
    """
    results = evaluate(target, dataset, evaluators, experiment_prefix=experiment_prefix, split=split,
                       max_concurrency=max_concurrency, client=client, data_dir=data_dir, progress=progress,
                       metadata={"gate": True})
    checks: list[tuple[str, str | None]] = []
    metrics = results.summary["metrics"]
    for key, minimum in (min_scores or {}).items():
        value = metrics.get(key)
        failure = None
        if value is None:
            failure = f"no metric {key!r} (have {', '.join(sorted(metrics))})"
        elif value < minimum:
            failure = f"{key} = {value:.3f} < {minimum}"
        checks.append((f"{key} >= {minimum}", failure))
    comparison = None
    if baseline is not None:
        backend = open_backend(client, data_dir)
        try:
            base, base_results = backend.get_experiment(baseline)
        finally:
            backend.close()
        comparison = compare_experiments(base, base_results, results.experiment, [r.result for r in results])
        if no_regressions:
            regressed = comparison.regressed
            checks.append(("no regressions", None if not regressed else
                           f"{len(regressed)} example(s) regressed: {', '.join(o.example_id for o in regressed)}"))
        if no_significant_drop:
            drops = [m.key for m in comparison.metrics if m.significant_drop]
            checks.append(("no significant drop", None if not drops else f"significant drop in {', '.join(drops)}"))
    elif no_regressions or no_significant_drop:
        checks.append(("no regressions", "a baseline experiment is needed to look for regressions"))
    if not checks:
        checks.append((f"{PASS_RATE} == 1", None if results.pass_rate == 1.0 else
                       f"{PASS_RATE} = {results.pass_rate:.3f}"))
    return GateResult(results, comparison, checks)
