"""The online evaluation worker pool: ended root runs in, feedback out, never in ingest's way.

The ingest pipeline's commit hook calls ``offer`` with the roots that just ended. ``offer`` only
matches rules by project and session hash and puts ``(rule, root)`` on a bounded queue
(``queue_limit``, default 1,000); when the queue is full the item is **dropped and counted** per rule
(``stats()["dropped"]``), so a slow judge can never slow ingest or grow memory. ``workers`` threads
(default 2) take items, check the rule's filter against the stored root, load the trace, run the
evaluators and store each verdict as feedback. A failing evaluator is counted and logged, never
retried: online scores are a sample, not a ledger.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tracehound.analytics.online import (
    OnlineRule,
    build_evaluator,
    evaluator_key,
    evaluator_version,
    run_matches,
    sampled,
)
from tracehound.evals.evaluators.base import EvalRun, normalize
from tracehound.store.base import Example, Feedback
from tracehound.timefmt import now_us

log = logging.getLogger("tracehound.online")
DEFAULT_QUEUE_LIMIT: Final = 1000
DEFAULT_WORKERS: Final = 2


@dataclass(frozen=True, slots=True)
class EndedRoot:
    """What ``offer`` needs to know of a root run that just ended."""

    id: str
    trace_id: str
    project: str
    session_id: str | None
    start_us: int


class OnlineEvaluation:
    """Runs online rules on ended traces; ``offer`` is cheap and never blocks."""

    def __init__(self, spans: Any, feedback: Any, rules: Callable[[], Sequence[OnlineRule]], *,
                 settings: Any = None, workers: int = DEFAULT_WORKERS,
                 queue_limit: int = DEFAULT_QUEUE_LIMIT) -> None:
        self.spans, self.feedback, self._rules = spans, feedback, rules
        self.settings = settings
        self.queue_limit = queue_limit
        self._queue: queue.Queue[tuple[OnlineRule, EndedRoot] | None] = queue.Queue(maxsize=queue_limit)
        self._threads: list[threading.Thread] = []
        self._workers = workers
        self._lock = threading.Lock()
        self._counts: dict[str, Counter[str]] = {}
        self._evaluators: dict[tuple[str, str], Any] = {}  # (rule id, version) → built evaluator

    # Lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        for index in range(self._workers - len(self._threads)):
            thread = threading.Thread(target=self._run, name=f"tracehound-online-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 5.0) -> None:
        for _ in self._threads:
            try:
                self._queue.put(None, timeout=timeout_s)
            except queue.Full:
                break
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads = []

    # Intake -----------------------------------------------------------------------------------
    def offer(self, roots: Sequence[EndedRoot]) -> int:
        """Queue the (rule, root) pairs the rules sample; returns how many were queued."""
        rules = [rule for rule in self._rules() if rule.enabled]
        if not rules or not roots:
            return 0
        queued = 0
        for root in roots:
            for rule in rules:
                if rule.project and rule.project != root.project:
                    continue
                if not sampled(rule, root.session_id, root.trace_id):
                    continue
                try:
                    self._queue.put_nowait((rule, root))
                except queue.Full:
                    self._count(rule.id, "dropped")
                    continue
                self._count(rule.id, "queued")
                queued += 1
        return queued

    def _count(self, rule_id: str, what: str, n: int = 1) -> None:
        with self._lock:
            self._counts.setdefault(rule_id, Counter())[what] += n

    def stats(self) -> dict[str, Any]:
        """Queue depth and limit, and per rule: queued, dropped (queue full), evaluated, skipped, failed."""
        with self._lock:
            per_rule = {rule_id: dict(counts) for rule_id, counts in self._counts.items()}
        return {"queue_depth": self._queue.qsize(), "queue_limit": self.queue_limit, "workers": self._workers,
                "rules": per_rule}

    # Work -------------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            rule, root = item
            try:
                self.evaluate(rule, root)
            except Exception:  # one bad trace or judge outage must not kill the worker
                self._count(rule.id, "failed")
                log.exception("online rule %s failed on trace %s", rule.id, root.trace_id)
            finally:
                self._queue.task_done()

    def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until everything queued so far is evaluated (tests, backfill)."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout_s)

    def evaluate(self, rule: OnlineRule, root: EndedRoot) -> list[Feedback]:
        """Evaluate one trace under one rule now and store the verdicts; ``[]`` when the filter rejects it."""
        if rule.filter and not run_matches(self.spans, rule.filter, root.id):
            self._count(rule.id, "skipped")
            return []
        nodes = self.spans.get_trace(root.trace_id)
        spans = [node.span for node in nodes]
        root_span = next((s for s in spans if s.id == root.id), None)
        if root_span is None:
            self._count(rule.id, "skipped")
            return []
        run = EvalRun(root_span.id, root_span.trace_id, root_span.inputs, root_span.outputs,
                      error=root_span.error,
                      latency_s=None if root_span.end_us is None else (root_span.end_us - root_span.start_us) / 1e6,
                      spans=spans)
        example = Example(id="", dataset_id="", inputs=root_span.inputs)
        judge_model = getattr(self.settings, "judge_model", None)
        items: list[Feedback] = []
        stamp = now_us()
        for spec in rule.evaluators:
            version = evaluator_version(spec, judge_model)
            key = evaluator_key(spec)
            try:
                evaluator = self._evaluator(rule, spec, version)
                results = normalize(evaluator(run, example), key)
            except Exception as exc:  # counted and logged per evaluator; the others still run
                self._count(rule.id, "failed")
                log.warning("online rule %s: evaluator %s failed on %s: %s", rule.id, key, root.trace_id, exc)
                continue
            for result in results:
                items.append(Feedback(
                    id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{rule.id}/{version}/{key}/{root.id}")),
                    run_id=root.id, key=key, created_us=stamp, score=result.score,
                    value={"passed": result.ok, "value": result.value}, comment=result.comment,
                    source=rule.feedback_source,
                    source_info={"rule": rule.id, "evaluator": spec["name"], "version": version,
                                 "passed": result.ok, "run_start_us": root.start_us, "project": root.project},
                    trace_id=root.trace_id))
        if items:
            self.feedback.add_feedback(items)
        self._count(rule.id, "evaluated")
        return items

    def _evaluator(self, rule: OnlineRule, spec: dict[str, Any], version: str) -> Any:
        cache_key = (rule.id, version)
        evaluator = self._evaluators.get(cache_key)
        if evaluator is None:
            evaluator = self._evaluators[cache_key] = build_evaluator(spec, self.settings)
        return evaluator
