"""Pools that fill themselves: failures worth a human look, and a random sample to watch for drift.

A **failure pool** takes ended traces of its project for the reasons it lists:

    error               the root run failed
    tool_error          a step inside failed or was interrupted (the root may still be "ok")
    slow                the root took longer than its name's p99 over the trailing 7 days
    negative_feedback   a user's thumbs down (score < 0.5) or a CSAT of 2 or less, when it arrives
    online_flag         an online evaluator rule failed the run
    detector            a scheduled detector named the trace as evidence

A **drift pool** takes a random ``sample_rate`` of the project's traces (by session hash, like
sampling). Both may narrow by a ``filter``; a pool with a ``queue_id`` adds each new member to that
annotation queue. Members carry their trace's shape (latency, tokens, cost, tool calls), which the
drift monitor (``analytics.drift``) compares between windows.

The filler runs on its own thread behind a bounded queue (``queue_limit``): ``offer`` never blocks
ingest, and what does not fit is dropped and counted (``stats()["dropped"]``).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

from tracehound.analytics.online import run_matches
from tracehound.analytics.online_worker import EndedRoot
from tracehound.model import Span
from tracehound.store.review import Pool, PoolMember, QueueItem
from tracehound.timefmt import now_us

log = logging.getLogger("tracehound.pools")
REASONS: Final = ("error", "tool_error", "slow", "negative_feedback", "online_flag", "detector")
KINDS: Final = ("failure", "drift")
DEFAULT_QUEUE_LIMIT: Final = 1000
_P99_TTL_S: Final = 300.0
_DRIFT_SALT: Final = "drift:"


def trace_stats(spans: Sequence[Span], root: Span) -> dict[str, Any]:
    """The shape of a trace that drift monitors compare: latency, tokens, cost, tool calls, failures."""
    tools = Counter(s.name for s in spans if s.run_type == "tool")
    failed = [s for s in spans if s.id != root.id and s.status in ("error", "interrupted")]
    return {"latency_ms": None if root.end_us is None else (root.end_us - root.start_us) / 1000,
            "tokens": sum(s.total_tokens or 0 for s in spans if s.run_type == "llm"),
            "cost": round(sum(s.cost or 0.0 for s in spans), 9), "tools": dict(tools),
            "steps": len(spans) - 1, "failed_steps": len(failed), "status": root.status}


class PoolFiller:
    """Adds ended traces to the pools that want them; ``offer`` and ``add`` are cheap and never block."""

    def __init__(self, spans: Any, reviews: Any, *, settings: Any = None,
                 queue_limit: int = DEFAULT_QUEUE_LIMIT) -> None:
        self.spans, self.reviews, self.settings = spans, reviews, settings
        self.queue_limit = queue_limit
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(maxsize=queue_limit)
        self._thread: threading.Thread | None = None
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._p99: dict[tuple[str, str], tuple[float, float | None]] = {}  # (project, name) → (at, p99 ms)
        self._pools: tuple[float, list[Pool]] = (0.0, [])

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tracehound-pools", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._thread is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=timeout_s)
            self._thread.join(timeout_s)
            self._thread = None

    def stats(self) -> dict[str, Any]:
        with self._lock:
            counts = dict(self._counts)
        return {"queue_depth": self._queue.qsize(), "queue_limit": self.queue_limit, **counts}

    def pools(self) -> list[Pool]:
        """The pools, re-read at most every 2 s (a pool created through the API starts filling at once)."""
        at, pools = self._pools
        if time.monotonic() - at > 2.0:
            pools = self.reviews.list_pools()
            self._pools = (time.monotonic(), pools)
        return pools

    def invalidate(self) -> None:
        self._pools = (0.0, [])

    # Intake -----------------------------------------------------------------------------------
    def offer(self, roots: Sequence[EndedRoot]) -> None:
        """Ended roots from the commit hook."""
        if roots and self.pools():
            self._put(("roots", list(roots)))

    def add(self, reason: str, project: str | None, runs: Sequence[tuple[str | None, str | None]]) -> None:
        """Runs flagged later (feedback, online verdicts, detectors): ``(run_id, trace_id)`` pairs."""
        if runs and any(p.kind == "failure" and reason in p.reasons for p in self.pools()):
            self._put(("flag", (reason, project, list(runs))))

    def _put(self, item: tuple[str, Any]) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._count("dropped")

    def _count(self, what: str, n: int = 1) -> None:
        with self._lock:
            self._counts[what] += n

    def drain(self, timeout_s: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.02)
        return False

    # Work -------------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                kind, payload = item
                if kind == "roots":
                    self.fill(payload)
                else:
                    self.flag(*payload)
            except Exception:  # the filler must outlive one bad trace or a store hiccup
                self._count("failed")
                log.exception("pool filling failed")
            finally:
                self._queue.task_done()

    def fill(self, roots: Sequence[EndedRoot]) -> int:
        """Decide membership of ended roots now; returns how many memberships were added."""
        added = 0
        for root in roots:
            pools = [p for p in self.pools() if p.project == root.project]
            if pools:
                added += self._fill_one(pools, root)
        return added

    def _fill_one(self, pools: list[Pool], root: EndedRoot) -> int:
        from tracehound.sdk.sampling import session_fraction

        spans = [node.span for node in self.spans.get_trace(root.trace_id)]
        root_span = next((s for s in spans if s.id == root.id), None)
        if root_span is None:
            return 0
        members: list[tuple[Pool, str]] = []
        for pool in pools:
            if pool.filter and not run_matches(self.spans, pool.filter, root.id):
                continue
            if pool.kind == "drift":
                if session_fraction(_DRIFT_SALT + (root.session_id or root.trace_id)) < pool.sample_rate:
                    members.append((pool, "sample"))
                continue
            reason = self._failure_reason(pool, root_span, spans)
            if reason:
                members.append((pool, reason))
        return self._add(members, root_span, spans)

    def _failure_reason(self, pool: Pool, root: Span, spans: list[Span]) -> str | None:
        reasons = pool.reasons
        if "error" in reasons and root.status == "error":
            return "error"
        if "tool_error" in reasons and any(s.id != root.id and s.status in ("error", "interrupted") for s in spans):
            return "tool_error"
        if "slow" in reasons and root.end_us is not None:
            p99 = self._p99_ms(root.project, root.name)
            if p99 is not None and (root.end_us - root.start_us) / 1000 > p99:
                return "slow"
        return None

    def _p99_ms(self, project: str, name: str) -> float | None:
        cached = self._p99.get((project, name))
        if cached is not None and time.monotonic() - cached[0] < _P99_TTL_S:
            return cached[1]
        from tracehound.analytics import metrics

        now = now_us()
        groups = metrics.summary(self.spans, metrics.Window(now - 7 * 86_400_000_000, now), group_by=("name",),
                                 filters={"project": project, "name": name, "root": True})
        p99 = groups[0]["p99_ms"] if groups and groups[0]["calls"] >= 20 else None
        self._p99[(project, name)] = (time.monotonic(), p99)
        return p99

    def flag(self, reason: str, project: str | None, runs: Sequence[tuple[str | None, str | None]]) -> int:
        """Add runs flagged after the fact to the failure pools that take ``reason``; a ``(None, trace_id)``
        pair stands for the trace's root run (detectors name traces)."""
        added = 0
        for run_id, trace_id in runs:
            root = self.spans.get_span(run_id) if run_id else trace_root(self.spans, trace_id)
            if root is None:
                continue
            pools = [p for p in self.pools() if p.kind == "failure" and reason in p.reasons
                     and p.project == root.project and (project is None or p.project == project)]
            pools = [p for p in pools if not p.filter or run_matches(self.spans, p.filter, root.id)]
            if pools:
                spans = [node.span for node in self.spans.get_trace(trace_id or root.trace_id)]
                added += self._add([(p, reason) for p in pools], root, spans)
        return added

    def _add(self, members: list[tuple[Pool, str]], root: Span, spans: list[Span]) -> int:
        if not members:
            return 0
        stamp = now_us()
        stats = trace_stats(spans, root)
        added = 0
        for pool, reason in members:
            new = self.reviews.add_pool_members([PoolMember(pool.id, root.id, root.trace_id, stamp, root.start_us,
                                                            reason, root.session_id, stats)])
            added += new
            if new and pool.queue_id:
                self.reviews.add_queue_items([QueueItem(pool.queue_id, root.id, root.trace_id, stamp,
                                                        source=f"pool:{pool.name}")])
        self._count("added", added)
        return added


def new_pool(reviews: Any, *, name: str, project: str, kind: str = "failure", reasons: Sequence[str] = (),
             filter_text: str | None = None, sample_rate: float = 0.05, queue_id: str | None = None,
             params: dict[str, Any] | None = None) -> Pool:
    """Validate and store a new pool.

    Raises:
        QueryError: naming the bad field (a taken name included).
    """
    import uuid

    from tracehound.errors import QueryError
    from tracehound.query.runs import parse_checked

    if not 0 < len(name) <= 256:
        raise QueryError("a pool `name` is 1 to 256 characters", field="name")
    if not project:
        raise QueryError("a pool belongs to a `project`", field="project")
    if kind not in KINDS:
        raise QueryError("`kind` is failure or drift", field="kind")
    unknown = [r for r in reasons if r not in REASONS]
    if unknown:
        raise QueryError(f"unknown reason(s) {', '.join(unknown)}; reasons: {', '.join(REASONS)}", field="reasons")
    if kind == "failure" and not reasons:
        raise QueryError(f"a failure pool lists its `reasons` ({', '.join(REASONS)})", field="reasons")
    if not 0 < sample_rate <= 1:
        raise QueryError("`sample_rate` must be above 0 and at most 1", field="sample_rate")
    if filter_text:
        parse_checked(filter_text, now_us(), "filter")
    if reviews.get_pool(name) is not None:
        raise QueryError(f"a pool named {name!r} exists already", field="name")
    pool = Pool(str(uuid.uuid4()), name, project, kind, now_us(), filter_text or None, list(dict.fromkeys(reasons)),
                sample_rate, queue_id, dict(params or {}))
    reviews.put_pool(pool)
    return pool


def trace_root(spans: Any, trace_id: str | None) -> Span | None:
    """The root run of a stored trace (its id differs from the trace id for OpenTelemetry traces)."""
    if not trace_id:
        return None
    nodes = spans.get_trace(trace_id)
    return nodes[0].span if nodes and nodes[0].depth == 0 else None


def ended_roots(spans: Sequence[Span]) -> list[EndedRoot]:
    """The root runs among committed spans that have ended (what online rules and pools look at)."""
    return [EndedRoot(s.id, s.trace_id, s.project, s.session_id, s.start_us) for s in spans
            if s.parent_id is None and s.end_us is not None]
