"""LangSmith experiments as our experiments: results rebuilt from the experiment's runs and feedback.

``evaluate()`` never reports results; it traces a root run per example (``reference_example_id`` set)
into the experiment's project and posts feedback on those roots. So an experiment's results are
derived: after ingest or feedback touches an experiment, ``ExperimentSync`` rebuilds its results
(one per root run: outputs, error, latency, scores from feedback) in the background, coalescing
bursts, so ``/api/v1/experiments/compare`` and the gate see LangSmith experiments like our own.

A result passes when the target did not fail, no evaluator failed, and every numeric score is at
least ``PASS_SCORE`` (booleans count as 1 or 0), the same rule our own runner applies.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from starlette.concurrency import run_in_threadpool

from tracehound.evals.evaluators.base import PASS_SCORE
from tracehound.server.services import Services
from tracehound.store.base import Experiment, ExperimentResult, Feedback, SpanCriteria

log = logging.getLogger(__name__)
_MAX_RUNS = 100_000


def score_of(item: Feedback) -> float | None:
    """A feedback's numeric score: its score, else a numeric or boolean value."""
    if item.score is not None:
        return float(item.score)
    if isinstance(item.value, bool | int | float):
        return float(item.value)
    return None


def rebuild_results(svc: Services, experiment: Experiment) -> list[ExperimentResult]:
    """The experiment's results from its stored root runs and their feedback (stored, and returned)."""
    roots = [span for span in svc.spans.list_spans(SpanCriteria(project=experiment.project, is_root=True,
                                                                limit=_MAX_RUNS))
             if span.reference_example_id is not None]
    if not roots:
        return []
    roots.sort(key=lambda span: (span.start_us, span.id))
    feedback: dict[str, list[Feedback]] = defaultdict(list)
    ids = [span.id for span in roots]
    for start in range(0, len(ids), 500):
        for item in svc.feedback.list_feedback(run_ids=ids[start:start + 500], limit=_MAX_RUNS):
            feedback[item.run_id].append(item)
    repetitions: dict[str, int] = defaultdict(int)
    results = []
    for root in roots:
        scores: dict[str, float | None] = {}
        errors: dict[str, str] = {}
        for item in sorted(feedback[root.id], key=lambda f: f.created_us):
            if item.source_info.get("error"):
                errors[item.key] = item.comment or "evaluator failed"
            else:
                scores[item.key] = score_of(item)
        repetition = repetitions[root.reference_example_id]  # type: ignore[index]
        repetitions[root.reference_example_id] += 1  # type: ignore[index]
        latency = None if root.end_us is None else root.end_us - root.start_us
        passed = (root.error is None and root.end_us is not None and not errors
                  and all(score >= PASS_SCORE for score in scores.values() if score is not None))
        results.append(ExperimentResult(
            experiment_id=experiment.id, example_id=root.reference_example_id,  # type: ignore[arg-type]
            run_id=root.id, repetition=repetition, trace_id=root.trace_id, outputs=root.outputs, error=root.error,
            latency_us=latency, scores=scores, errors=errors, passed=passed))
    svc.meta.experiments.add_results(results)
    return results


class ExperimentSync:
    """Rebuilds experiments' results after their runs or feedback change, one task per experiment."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self._dirty: set[str] = set()
        self._running: dict[str, asyncio.Task[None]] = {}

    def experiment_of_project(self, project: str) -> Experiment | None:
        experiment = self.svc.meta.experiments.get_experiment(project)
        return experiment if experiment is not None and experiment.project == project else None

    def touch(self, experiment_ids: set[str]) -> None:
        """Schedule a rebuild of these experiments (call from the event loop)."""
        for experiment_id in experiment_ids:
            self._dirty.add(experiment_id)
            if experiment_id not in self._running:
                self._running[experiment_id] = asyncio.get_running_loop().create_task(self._loop(experiment_id))

    async def _loop(self, experiment_id: str) -> None:
        try:
            while experiment_id in self._dirty:
                self._dirty.discard(experiment_id)
                experiment = self.svc.meta.experiments.get_experiment(experiment_id)
                if experiment is None:
                    break
                try:
                    await run_in_threadpool(rebuild_results, self.svc, experiment)
                except Exception:  # a failed rebuild must not break ingest; the next touch retries
                    log.exception("rebuilding the results of experiment %s failed", experiment_id)
                await asyncio.sleep(0.05)  # let a burst of requests coalesce into the next rebuild
        finally:
            self._running.pop(experiment_id, None)

    async def flush(self) -> None:
        """Wait for scheduled rebuilds (tests, close-out)."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)


def summary_of(results: list[ExperimentResult]) -> dict[str, Any]:
    from tracehound.evals.compare import summarize

    return summarize(results)
