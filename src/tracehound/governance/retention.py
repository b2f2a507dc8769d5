"""Retention that runs itself: each project's policy applied in small batches, and a record of what went.

A policy (``RetentionPolicy``) says, in days, how long a project keeps successful traces, failed ones
(an error, an interrupt, or flagged ``keep``; ``None`` = forever), full payloads (after which
inputs/outputs/events are cleared but the span, its timing, tokens and cost stay) and rollups.

Rules that always hold: a trace is removed whole (chosen by its root's start time); a trace holding a
run that a dataset example was promoted from, or one waiting in an annotation queue, is never removed
nor stripped; the rollups outlive the
raw spans. Every pass appends a ``RetentionRun`` per project (what it removed, or would remove when
``dry_run``), and an audit entry when it removed anything.

``RetentionWorker`` runs ``apply_all`` every ``TRACEHOUND_RETENTION_INTERVAL_S`` on its own thread;
it also finishes project deletions and renames (``governance/projects.py``) in the same batches.
Between batches it sleeps ``pause_s`` so the ingest writer, which shares the write lock, is never
held up for more than one batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from tracehound.governance import audit
from tracehound.store.base import MetaStore, SpanStore
from tracehound.store.governance import RetentionPolicy, RetentionRun
from tracehound.timefmt import now_us

log = logging.getLogger("tracehound.retention")

DAY_US: Final = 86_400 * 1_000_000
PAYLOAD_MARK: Final = "retention.payloads_cleared_before_us"
DELETING: Final = "deleting"  # project setting: the project was deleted at this time; spans go in the background
RENAMING: Final = "renaming_to"  # project setting on the old name: spans move to this name in the background


@dataclass(frozen=True, slots=True)
class Batching:
    traces: int = 25
    spans: int = 2000
    pause_s: float = 0.02


def cutoff_us(days: float | None, now: int) -> int | None:
    return None if days is None else now - int(days * DAY_US)


def protected_traces(spans: SpanStore, meta: MetaStore) -> set[str]:
    """Traces holding a run a dataset example was promoted from or an open annotation-queue item."""
    run_ids = meta.governance.protected_run_ids()
    return set(spans.trace_ids_of(sorted(run_ids)).values()) if run_ids else set()


def apply_policy(spans: SpanStore, meta: MetaStore, policy: RetentionPolicy, *, dry_run: bool = False,
                 now: int | None = None, batching: Batching = Batching(), protected: set[str] | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> RetentionRun:
    """Apply one project's policy (or count what it would remove); records and returns the run."""
    now = now_us() if now is None else now
    skip = protected_traces(spans, meta) if protected is None else protected
    store = spans.retention
    traces = removed_spans = payloads = rollups = 0
    for failed, days in ((False, policy.ok_days), (True, policy.failed_days)):
        before = cutoff_us(days, now)
        if before is None:
            continue
        if dry_run:
            count_traces, count_spans = store.count_expired(policy.project, before_us=before, failed=failed, skip=skip)
            traces += count_traces
            removed_spans += count_spans
            # what would go whole is not also counted as stripped of its payloads below
            doomed = store.expired_traces(policy.project, before_us=before, failed=failed, limit=count_traces,
                                          skip=skip) if count_traces else []
            skip = skip | set(doomed)
            continue
        while not should_stop():
            batch = store.expired_traces(policy.project, before_us=before, failed=failed, limit=batching.traces,
                                         skip=skip)
            if not batch:
                break
            traces += len(batch)
            removed_spans += store.delete_traces(batch)
            time.sleep(batching.pause_s)
    payload_before = cutoff_us(policy.payload_days, now)
    if payload_before is not None:
        mark = meta.governance.get_project_setting(policy.project, PAYLOAD_MARK) or 0
        if dry_run:
            payloads = store.count_payloads(policy.project, from_us=mark, before_us=payload_before, skip=skip)
        else:
            while not should_stop():
                changed, reached = store.drop_payloads(policy.project, from_us=mark, before_us=payload_before,
                                                       limit=batching.spans, skip=skip)
                payloads += changed
                if reached is None:
                    meta.governance.set_project_setting(policy.project, PAYLOAD_MARK, payload_before)
                    break
                time.sleep(batching.pause_s)
    rollup_before = cutoff_us(policy.rollup_days, now)
    if rollup_before is not None:
        rollups = store.delete_rollups(policy.project, before_us=rollup_before, dry_run=dry_run)
    run = RetentionRun(now_us(), policy.project, traces, removed_spans, payloads, rollups, dry_run)
    if dry_run or traces or payloads or rollups:  # idle passes leave no row
        meta.governance.add_retention_run(run)
    if not dry_run and (traces or payloads or rollups):
        audit.record(meta.governance, "job:retention", "retention.run", policy.project, policy.project,
                     traces=traces, spans=removed_spans, payloads=payloads, rollups=rollups)
    return run


def apply_all(spans: SpanStore, meta: MetaStore, *, dry_run: bool = False, project: str | None = None,
              batching: Batching = Batching(), should_stop: Callable[[], bool] = lambda: False) -> list[RetentionRun]:
    """Apply every project's policy (or one project's); returns one run per policy."""
    policies = [p for p in meta.governance.list_retention() if project is None or p.project == project]
    protected = protected_traces(spans, meta) if policies else set()
    return [apply_policy(spans, meta, policy, dry_run=dry_run, batching=batching, protected=protected,
                         should_stop=should_stop) for policy in policies]


def finish_project_changes(spans: SpanStore, meta: MetaStore, *, batching: Batching = Batching(),
                           should_stop: Callable[[], bool] = lambda: False) -> int:
    """Remove the spans of deleted projects and move those of renamed ones, in batches; returns spans done."""
    done = 0
    for project in meta.governance.project_settings(DELETING):
        while not should_stop():
            removed = spans.retention.delete_project_spans(project, limit=batching.spans)
            done += removed
            if removed < batching.spans:
                meta.governance.set_project_setting(project, DELETING, None)
                break
            time.sleep(batching.pause_s)
    for old, new in meta.governance.project_settings(RENAMING).items():
        while not should_stop():
            moved = spans.retention.rename_project_spans(old, new, limit=batching.spans)
            done += moved
            if moved < batching.spans:
                meta.governance.set_project_setting(old, RENAMING, None)
                break
            time.sleep(batching.pause_s)
    return done


def run_record(run: RetentionRun) -> dict[str, Any]:
    from tracehound.timefmt import iso

    return {"at": iso(run.at_us), "project": run.project, "traces": run.traces, "spans": run.spans,
            "payloads": run.payloads, "rollups": run.rollups, "dry_run": run.dry_run}


def policy_record(policy: RetentionPolicy | None, project: str) -> dict[str, Any]:
    if policy is None:
        return {"project": project, "ok_days": None, "failed_days": None, "payload_days": None, "rollup_days": None,
                "keeps_everything": True}
    return {"project": policy.project, "ok_days": policy.ok_days, "failed_days": policy.failed_days,
            "payload_days": policy.payload_days, "rollup_days": policy.rollup_days,
            "keeps_everything": all(v is None for v in (policy.ok_days, policy.failed_days, policy.payload_days,
                                                         policy.rollup_days))}


class RetentionWorker:
    """A daemon thread applying every policy (and finishing project deletions) every ``interval_s``."""

    def __init__(self, spans: SpanStore, meta: MetaStore, *, interval_s: float, batching: Batching) -> None:
        self.spans, self.meta, self.interval_s, self.batching = spans, meta, interval_s, batching
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0

    def start(self) -> None:
        if self.interval_s <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="tracehound-retention", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run a pass now (after a project is deleted or a policy changes)."""
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                finish_project_changes(self.spans, self.meta, batching=self.batching, should_stop=self._stop.is_set)
                apply_all(self.spans, self.meta, batching=self.batching, should_stop=self._stop.is_set)
            except Exception:
                log.exception("retention pass failed; retrying in %.0f s", self.interval_s)
            self.passes += 1
            self._wake.wait(self.interval_s)
            self._wake.clear()
