"""Experiment B against baseline A: which examples a change fixed or broke, and whether a metric moved.

Per example (repetitions folded by majority): **fixed** (failed in A, passes in B), **regressed**
(passed in A, fails in B), **unchanged**; examples only one side ran are ``added``/``removed``.

Per metric: the means over each side, the mean paired delta, and a **paired bootstrap** confidence
interval of that delta (resample examples with replacement, keep the pairs, take percentiles), so a
gate can tell a real drop (interval entirely below 0) from noise (interval straddling 0).

Scoring rules: an evaluator score of ``None`` means "not applicable" and is left out; a missing score
on an example whose target or evaluator raised counts as 0 (a crash is not a pass).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from tracehound.store.base import Experiment, ExperimentResult

PASS_RATE: Final = "pass_rate"
DEFAULT_RESAMPLES: Final = 2000


@dataclass(frozen=True, slots=True)
class ExampleOutcome:
    """One example's fate between the two experiments."""

    example_id: str
    status: str  # fixed | regressed | unchanged | added | removed
    baseline_passed: bool | None
    candidate_passed: bool | None
    baseline_scores: dict[str, float] = field(default_factory=dict)
    candidate_scores: dict[str, float] = field(default_factory=dict)
    candidate_error: str | None = None


@dataclass(frozen=True, slots=True)
class MetricDelta:
    """A metric's means on both sides, over the examples both scored, with the delta's interval."""

    key: str
    baseline_mean: float | None
    candidate_mean: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    n: int

    @property
    def significant_drop(self) -> bool:
        """The whole interval is below zero: a real drop, not noise."""
        return self.ci_high is not None and self.ci_high < 0

    @property
    def significant_gain(self) -> bool:
        return self.ci_low is not None and self.ci_low > 0


@dataclass(frozen=True, slots=True)
class Comparison:
    baseline: Experiment
    candidate: Experiment
    examples: list[ExampleOutcome]
    metrics: list[MetricDelta]
    confidence: float

    @property
    def same_dataset_version(self) -> bool:
        return (self.baseline.dataset_id == self.candidate.dataset_id
                and self.baseline.dataset_version == self.candidate.dataset_version)

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.examples if outcome.status == status)

    @property
    def fixed(self) -> list[ExampleOutcome]:
        return [outcome for outcome in self.examples if outcome.status == "fixed"]

    @property
    def regressed(self) -> list[ExampleOutcome]:
        return [outcome for outcome in self.examples if outcome.status == "regressed"]

    def metric(self, key: str) -> MetricDelta | None:
        return next((metric for metric in self.metrics if metric.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        def side(experiment: Experiment) -> dict[str, Any]:
            return {"id": experiment.id, "name": experiment.name, "dataset_id": experiment.dataset_id,
                    "dataset_version": experiment.dataset_version}

        return {
            "baseline": side(self.baseline), "candidate": side(self.candidate),
            "same_dataset_version": self.same_dataset_version, "confidence": self.confidence,
            "counts": {status: self.count(status) for status in ("fixed", "regressed", "unchanged", "added",
                                                                  "removed")},
            "metrics": [{**asdict(m), "significant_drop": m.significant_drop, "significant_gain": m.significant_gain}
                        for m in self.metrics],
            "examples": [asdict(outcome) for outcome in self.examples],
        }


def fold(results: Sequence[ExperimentResult]) -> dict[str, tuple[bool, dict[str, float], str | None]]:
    """Per example: passed (majority of repetitions), mean score per metric, the last target error."""
    by_example: dict[str, list[ExperimentResult]] = defaultdict(list)
    keys: set[str] = set()
    for result in results:
        by_example[result.example_id].append(result)
        keys.update(result.scores)
    folded = {}
    for example_id, reps in by_example.items():
        passed = sum(r.passed for r in reps) * 2 > len(reps)
        values: dict[str, list[float]] = defaultdict(list)
        for rep in reps:
            for key in keys:
                if key in rep.scores:
                    if rep.scores[key] is not None:
                        values[key].append(float(rep.scores[key]))  # type: ignore[arg-type]
                elif rep.error is not None or rep.errors:
                    values[key].append(0.0)
            values[PASS_RATE].append(1.0 if rep.passed else 0.0)
        scores = {key: sum(vals) / len(vals) for key, vals in values.items() if vals}
        error = next((rep.error for rep in reversed(reps) if rep.error), None)
        folded[example_id] = (passed, scores, error)
    return folded


def summarize(results: Sequence[ExperimentResult]) -> dict[str, Any]:
    """An experiment's own summary: example count, pass rate, errors, mean of each metric."""
    folded = fold(results)
    sums: dict[str, list[float]] = defaultdict(list)
    for _, scores, _ in folded.values():
        for key, value in scores.items():
            sums[key].append(value)
    return {
        "examples": len(folded), "runs": len(results),
        "passed": sum(1 for passed, _, _ in folded.values() if passed),
        "target_errors": sum(1 for r in results if r.error is not None),
        "evaluator_errors": sum(len(r.errors) for r in results),
        "metrics": {key: sum(vals) / len(vals) for key, vals in sorted(sums.items())},
    }


def paired_bootstrap(diffs: Sequence[float], *, confidence: float = 0.95, resamples: int = DEFAULT_RESAMPLES,
                     seed: int = 0) -> tuple[float, float]:
    """Percentile interval of the mean of paired differences (seeded: the same data gives the same interval)."""
    n = len(diffs)
    if n == 0:
        raise ValueError("no pairs to resample")
    if n == 1:
        return diffs[0], diffs[0]
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(diffs, k=n)) / n for _ in range(resamples))
    tail = (1 - confidence) / 2
    low = means[int(tail * (resamples - 1))]
    high = means[round((1 - tail) * (resamples - 1))]
    return low, high


def compare_experiments(baseline: Experiment, baseline_results: Sequence[ExperimentResult], candidate: Experiment,
                        candidate_results: Sequence[ExperimentResult], *, confidence: float = 0.95,
                        resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> Comparison:
    """Compare ``candidate`` against ``baseline`` example by example and metric by metric."""
    a, b = fold(baseline_results), fold(candidate_results)
    outcomes = []
    for example_id in [*a, *(eid for eid in b if eid not in a)]:
        in_a, in_b = a.get(example_id), b.get(example_id)
        if in_a is None or in_b is None:
            status = "added" if in_a is None else "removed"
        elif in_a[0] == in_b[0]:
            status = "unchanged"
        else:
            status = "fixed" if in_b[0] else "regressed"
        outcomes.append(ExampleOutcome(
            example_id, status, None if in_a is None else in_a[0], None if in_b is None else in_b[0],
            {} if in_a is None else in_a[1], {} if in_b is None else in_b[1], None if in_b is None else in_b[2]))
    keys = sorted({key for _, scores, _ in [*a.values(), *b.values()] for key in scores},
                  key=lambda key: (key != PASS_RATE, key))
    metrics = []
    for key in keys:
        pairs = [(a[eid][1][key], b[eid][1][key]) for eid in a
                 if eid in b and key in a[eid][1] and key in b[eid][1]]
        if not pairs:
            metrics.append(MetricDelta(key, None, None, None, None, None, 0))
            continue
        diffs = [y - x for x, y in pairs]
        low, high = paired_bootstrap(diffs, confidence=confidence, resamples=resamples, seed=seed)
        metrics.append(MetricDelta(key, sum(x for x, _ in pairs) / len(pairs), sum(y for _, y in pairs) / len(pairs),
                                   sum(diffs) / len(diffs), low, high, len(pairs)))
    return Comparison(baseline, candidate, outcomes, metrics, confidence)
