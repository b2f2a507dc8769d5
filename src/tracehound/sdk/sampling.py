"""Tail sampling: decide whether to keep a trace once it has ended, knowing how it went.

    tracehound.configure(sampling=tracehound.Sampling(keep_rate=0.1, slow_s=20))

Kept always: a trace with an error, with an interrupt (paused for a human), flagged by the code
(``tracehound.keep()``, a guard that fired, an online check) or slower than ``slow_s``. Of the rest,
``keep_rate`` is kept, chosen by a hash of the session id (of the trace id when there is no session),
so a conversation is kept or dropped whole and the SDK and the server agree on it.

The SDK decides on the exporter's thread (``TailSampler``): the caller's thread does nothing more
than before. Spans wait in a per-trace buffer until their root ends; memory is bounded by
``max_spans_per_trace`` (a trace that outgrows it is kept, streaming from then on) and
``max_buffered_spans`` (the oldest trace is kept to make room); a trace whose root never ends is
decided after ``trace_timeout_s``. What is dropped is counted per minute (``DroppedCounts``) and sent
to the server, so error rates and throughput stay true.

The rules (``Sampling``, ``TraceFacts``, ``session_fraction``) are pure and shared with ingest.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from tracehound.sdk.run import Run

KEEP_REASON_KEY: Final = "keep"  # in a run's extra fields: why user code asked to keep the trace
DECISIONS_REMEMBERED: Final = 20_000  # traces whose late spans still follow their trace's decision


@dataclass(frozen=True, slots=True)
class Sampling:
    """Tail-sampling rules.

    Args:
        keep_rate: fraction of ordinary traces (no error, interrupt, flag, not slow) kept, 0 to 1.
        slow_s: keep every trace whose root took longer than this many seconds (``None``: no rule).
        keep_errors: keep every trace with a failed span.
        keep_interrupts: keep every trace with an interrupted span.
        max_spans_per_trace: spans buffered for one trace; a bigger trace is kept.
        max_buffered_spans: spans buffered over all traces; beyond it the oldest trace is kept.
        trace_timeout_s: a trace whose root has not ended after this long is decided with what is known.

    Raises:
        ValueError: a value out of range.
    """

    keep_rate: float = 1.0
    slow_s: float | None = None
    keep_errors: bool = True
    keep_interrupts: bool = True
    max_spans_per_trace: int = 2_000
    max_buffered_spans: int = 100_000
    trace_timeout_s: float = 300.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.keep_rate <= 1.0:
            raise ValueError(f"keep_rate: {self.keep_rate!r} is not between 0 and 1")
        if self.slow_s is not None and self.slow_s < 0:
            raise ValueError(f"slow_s: {self.slow_s!r} must not be negative")
        if self.max_spans_per_trace < 1 or self.max_buffered_spans < 1:
            raise ValueError("max_spans_per_trace and max_buffered_spans must be at least 1")
        if self.trace_timeout_s <= 0:
            raise ValueError(f"trace_timeout_s: {self.trace_timeout_s!r} must be positive")

    def decide(self, facts: TraceFacts) -> str | None:
        """Why the trace is kept (``error interrupt flagged slow sampled``), or ``None`` to drop it."""
        if facts.error and self.keep_errors:
            return "error"
        if facts.interrupt and self.keep_interrupts:
            return "interrupt"
        if facts.flagged:
            return "flagged"
        if self.slow_s is not None and facts.latency_s is not None and facts.latency_s > self.slow_s:
            return "slow"
        if self.keep_rate >= 1.0 or session_fraction(facts.session_id or facts.trace_id) < self.keep_rate:
            return "sampled"
        return None


def session_fraction(key: str) -> float:
    """A number in [0, 1) fixed by ``key``: the same session id gives the same number everywhere."""
    digest = hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


class TraceFacts:
    """What the rules need to know about one trace, gathered span by span."""

    __slots__ = ("error", "flagged", "interrupt", "latency_s", "session_id", "trace_id")

    def __init__(self, trace_id: str, session_id: str | None = None) -> None:
        self.trace_id = trace_id
        self.session_id = session_id
        self.error = False
        self.interrupt = False
        self.flagged = False
        self.latency_s: float | None = None

    def add(self, status: str | None, flagged: bool = False) -> None:
        if status == "error":
            self.error = True
        elif status == "interrupted":
            self.interrupt = True
        if flagged:
            self.flagged = True


def run_status(run: Run) -> str:
    """The status a finished run will be exported with (same rules as ``wire.span_dict``)."""
    extra = run._extra
    if extra is not None and "interrupted" in extra:
        return "interrupted"
    exc = run.exc
    if exc is None:
        return "ok"
    return "error" if isinstance(exc, Exception) else "interrupted"


class DroppedCounts:
    """Spans and traces dropped, per minute and per (project, run_type, name, model, status)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[int, str, str, str, str, str], list[int]] = {}

    def add(self, run: Run, project: str, trace_dropped: bool) -> None:
        extra = run._extra or {}
        minute_us = run.start_ns // 60_000_000_000 * 60_000_000
        key = (minute_us, project, run.spec.run_type, run.spec.name, str(extra.get("model", "")), run_status(run))
        counts = self._counts.get(key)
        if counts is None:
            counts = self._counts[key] = [0, 0]
        counts[0] += 1
        counts[1] += trace_dropped

    def take(self) -> list[dict[str, Any]]:
        """The counts so far as rows (``minute_us``, ..., ``spans``, ``traces``), then start again."""
        counts, self._counts = self._counts, {}
        return [
            {"minute_us": minute_us, "project": project, "run_type": run_type, "name": name, "model": model,
             "status": status, "spans": spans, "traces": traces}
            for (minute_us, project, run_type, name, model, status), (spans, traces) in counts.items()
        ]

    def merge(self, rows: Iterable[dict[str, Any]]) -> None:
        """Put rows back (a delivery failed; they go with the next one)."""
        for row in rows:
            key = (row["minute_us"], row["project"], row["run_type"], row["name"], row["model"], row["status"])
            counts = self._counts.setdefault(key, [0, 0])
            counts[0] += row["spans"]
            counts[1] += row["traces"]

    def __bool__(self) -> bool:
        return bool(self._counts)


class _Pending:
    __slots__ = ("facts", "first_s", "runs")

    def __init__(self, root: Run, now_s: float) -> None:
        session = root.session
        self.facts = TraceFacts(root.id, session[0] if session else None)
        self.runs: list[Run] = []
        self.first_s = now_s


class TailSampler:
    """Buffers each trace's finished spans until its root ends, then keeps or drops them together.

    Used from one thread at a time (the exporter's worker). ``offer`` returns the spans to export now.
    """

    def __init__(self, rules: Sampling, clock: Any = time.monotonic) -> None:
        self.rules = rules
        self._clock = clock
        self._pending: dict[int, _Pending] = {}  # insertion order: the first key is the oldest trace
        self._decided: OrderedDict[int, bool] = OrderedDict()
        self._buffered = 0
        self.dropped = DroppedCounts()
        self.kept_traces = 0
        self.dropped_traces = 0

    @property
    def buffered_spans(self) -> int:
        return self._buffered

    def offer(self, run: Run, project: str) -> list[Run]:
        """Take one finished span; returns the spans now decided to be kept (maybe none)."""
        root = run.root
        key = root._id
        decided = self._decided.get(key)
        if decided is not None:  # a late span of a trace already decided (a detached task)
            if decided:
                return [run]
            self.dropped.add(run, project, False)
            return []
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending(root, self._clock())
        extra = run._extra
        pending.facts.add(run_status(run), extra is not None and KEEP_REASON_KEY in extra)
        pending.runs.append(run)
        self._buffered += 1
        if run is root:
            pending.facts.latency_s = (root.end_ns - root.start_ns) / 1e9
            return self._release(key, project, self.rules.decide(pending.facts))
        if len(pending.runs) >= self.rules.max_spans_per_trace:
            return self._release(key, project, "large")
        if self._buffered > self.rules.max_buffered_spans:
            return self._release(next(iter(self._pending)), project, "memory")
        return []

    def expire(self, project: str, now_s: float | None = None) -> list[Run]:
        """Decide the traces waiting longer than ``trace_timeout_s`` with what is known of them."""
        now_s = self._clock() if now_s is None else now_s
        limit = now_s - self.rules.trace_timeout_s
        released: list[Run] = []
        while self._pending:
            key, pending = next(iter(self._pending.items()))
            if pending.first_s > limit:
                break
            released += self._decide_unfinished(key, pending, project)
        return released

    def release_all(self, project: str) -> list[Run]:
        """Decide every waiting trace now (at shutdown)."""
        released: list[Run] = []
        for key, pending in list(self._pending.items()):
            released += self._decide_unfinished(key, pending, project)
        return released

    def _decide_unfinished(self, key: int, pending: _Pending, project: str) -> list[Run]:
        root = pending.runs[0].root
        pending.facts.latency_s = (time.time_ns() - root.start_ns) / 1e9
        return self._release(key, project, self.rules.decide(pending.facts))

    def _release(self, key: int, project: str, reason: str | None) -> list[Run]:
        pending = self._pending.pop(key)
        self._buffered -= len(pending.runs)
        self._decided[key] = reason is not None
        if len(self._decided) > DECISIONS_REMEMBERED:
            self._decided.popitem(last=False)
        if reason is not None:
            self.kept_traces += 1
            root = pending.runs[0].root
            if root.end_ns and root in pending.runs:  # ended: no user code writes to it any more
                root._fields().setdefault("metadata", {})["sampling"] = reason
            return pending.runs
        self.dropped_traces += 1
        for run in pending.runs:
            self.dropped.add(run, project, run is run.root)
        return []


def keep(reason: str = "flagged") -> None:
    """Keep the current trace whatever the sampling rate (an online check fired, a user complained).

    Args:
        reason: why, recorded in the span's metadata as ``keep``.
    """
    from tracehound.sdk.context import CURRENT_RUN

    run = CURRENT_RUN.get()
    if run is None or not run.is_recording or run.end_ns:
        return
    run._fields()[KEEP_REASON_KEY] = str(reason)
    run.set_metadata(keep=str(reason))
