"""The ingest pipeline: check a decoded batch against what is stored, then commit it durably.

Every ingest path (native, LangSmith, OTLP) ends here, so every one gets the same guarantees::

    pipeline = IngestPipeline(span_store, meta_store, settings)
    pipeline.start()
    await pipeline.submit(spans)   # returns once the spans are committed

Group commit: one writer thread owns the write connection. It takes the first waiting batch, waits
``commit_interval_ms`` for more to arrive, and commits them all in one transaction, so concurrent
requests share one fsync. A caller is answered only after its transaction commits; if a shared
transaction fails, each batch is retried alone so one bad batch cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracehound.errors import InvalidSpan, StoreError, TracehoundError
from tracehound.ingest.enrich import Enricher, renumber_with_stored
from tracehound.ingest.filters import IngestFilters
from tracehound.ingest.tally import Tally
from tracehound.model import Span
from tracehound.settings import Settings
from tracehound.store.base import MetaStore, SpanStore
from tracehound.timefmt import now_us

log = logging.getLogger(__name__)


class Backpressure(TracehoundError):
    """Too many spans are waiting for the writer; the client should retry after a moment."""

    status = 503
    code = "backpressure"
    retry_after_s = 1


@dataclass(slots=True)
class _Batch:
    spans: Sequence[Span]
    rows: list[object]  # the span store's prepared rows (``SpanStore.to_row``)
    projects: set[str]
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[None] | None
    done: threading.Event | None = None
    error: BaseException | None = field(default=None)


_STOP = object()


class IngestPipeline:
    """Validates batches against the store and commits them in shared transactions."""

    def __init__(self, spans: SpanStore, meta: MetaStore, settings: Settings):
        self.spans = spans
        self.meta = meta
        self.settings = settings
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pending_spans = 0
        self._pending_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.filters = IngestFilters.from_settings(settings)  # redaction and sampling; None when both are off
        # Usage, model, cost, pinned-model tag and steps for every source (ingest/enrich.py).
        prices = getattr(meta, "prices", None)
        self.enricher = Enricher(prices.override_rows if prices is not None else None)
        self.committed_spans = 0
        self.commits = 0
        self.backpressure_refusals = 0  # requests answered 503 (Prometheus: backpressure responses)
        self.commit_seconds = Tally()  # time each shared transaction took, on the writer thread
        self._last_commit_s = 0.0
        # Called on the writer thread with the spans of each commit; must only hand them off (alerts).
        self.on_commit: list[Callable[[list[Span]], None]] = []

    def set_project_redactors(self, redactors: dict[str, Any]) -> None:
        """Use these per-project redactors (``None`` = no redaction for that project) from the next batch on."""
        if self.filters is None:
            if not redactors:
                return
            self.filters = IngestFilters(None, None)
        self.filters.project_redactors = dict(redactors)

    # Lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tracehound-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Commit what is queued, then stop the writer."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout_s)
            self._thread = None

    @property
    def pending_spans(self) -> int:
        """Spans accepted for writing but not yet committed."""
        return self._pending_spans

    def is_idle(self, quiet_s: float = 1.0) -> bool:
        """Nothing waiting and no commit for ``quiet_s``: a moment for background work (indexing)."""
        return self._pending_spans == 0 and time.monotonic() - self._last_commit_s >= quiet_s

    # Submitting -------------------------------------------------------------------------------

    def prepare(self, spans: Sequence[Span], source: str = "native") -> _Batch:
        """Check the batch against stored spans and turn it into rows (done on the caller's thread).

        Raises:
            InvalidSpan: a span whose parent is stored in another trace.
            Backpressure: when the writer is too far behind.
        """
        with self._pending_lock:
            if self._pending_spans + len(spans) > self.settings.max_pending_spans and self._pending_spans:
                self.backpressure_refusals += 1
                raise Backpressure(f"{self._pending_spans} spans are waiting to be stored; retry shortly")
        ended_roots = self.enricher.apply(spans, source)
        if self.filters is not None:
            spans, dropped = self.filters.apply(spans)
            if dropped:  # sampled-out counts, so metrics can add them back
                self.spans.dropped.add_dropped(dropped)
        self._check_against_store(spans)
        stamp = now_us()
        to_row = self.spans.to_row
        renumbered: list[Span] = []
        for trace_id in ended_roots:  # number with the trace's spans stored by earlier batches (one indexed read)
            stored = [node.span for node in self.spans.get_trace_outline(trace_id)]
            renumbered += renumber_with_stored(list(spans), trace_id, stored)
        rows = [to_row(span, stamp) for span in spans]
        rows += [to_row(span, stamp) for span in renumbered]  # re-sent for their step only: a merge keeps the rest
        return _Batch(spans, rows, {span.project for span in spans}, None, None)

    async def submit(self, spans: Sequence[Span], source: str = "native") -> None:
        """Store a decoded batch; returns once it is committed. ``source`` names the protocol (the ledger's key).

        Raises:
            InvalidSpan, Backpressure, StoreError: nothing of the batch is stored.
        """
        if not spans:
            return
        batch = self.prepare(spans, source)
        loop = asyncio.get_running_loop()
        batch.loop, batch.future = loop, loop.create_future()
        self._enqueue(batch)
        await batch.future

    def submit_sync(self, spans: Sequence[Span], timeout_s: float = 60.0) -> None:
        """``submit`` for callers without an event loop (CLI, demo backfill, tests)."""
        if not spans:
            return
        batch = self.prepare(spans)
        batch.done = threading.Event()
        self._enqueue(batch)
        if not batch.done.wait(timeout_s):
            raise StoreError(f"the writer did not commit within {timeout_s} s")
        if batch.error is not None:
            raise batch.error

    def _enqueue(self, batch: _Batch) -> None:
        if self._thread is None:
            raise StoreError("the ingest pipeline is not running")
        with self._pending_lock:
            self._pending_spans += len(batch.rows)
        self._queue.put(batch)

    def _check_against_store(self, spans: Sequence[Span]) -> None:
        """A parent stored earlier must be in the same trace (parents within the batch are checked on decode).

        Only parents outside the batch are looked up, so a whole trace sent at once costs no read.
        A re-sent span never moves to another trace: the merge keeps the stored ``trace_id``.
        """
        in_batch = {span.id for span in spans}
        outside = {s.parent_id for s in spans if s.parent_id is not None and s.parent_id not in in_batch}
        if not outside:
            return
        stored = self.spans.trace_ids_of(sorted(outside))
        for index, span in enumerate(spans):
            parent_trace = stored.get(span.parent_id) if span.parent_id else None
            if parent_trace is not None and parent_trace != span.trace_id:
                raise InvalidSpan(
                    f"span {index} ({span.id}): `parent_id`: parent {span.parent_id} is in trace {parent_trace},"
                    f" not {span.trace_id}",
                    field="parent_id", index=index, span_id=span.id,
                )

    # The writer thread --------------------------------------------------------------------------

    def _run(self) -> None:
        interval_s = self.settings.commit_interval_ms / 1000
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            group: list[_Batch] = [first]
            deadline = time.monotonic() + interval_s
            # Gather what arrives during the commit interval: concurrent requests share one commit.
            while True:
                remaining = deadline - time.monotonic()
                try:
                    item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                group.append(item)
            self._commit(group)
        # Drain anything submitted before the stop.
        leftovers = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                leftovers.append(item)
        if leftovers:
            self._commit(leftovers)

    def _commit(self, group: list[_Batch]) -> None:
        errors: list[Exception | None]
        try:
            self._write(group)
            errors = [None] * len(group)
        except Exception as exc:
            # One failing batch must not fail the others: retry each alone.
            errors = [exc] if len(group) == 1 else [self._write_alone(batch) for batch in group]
        for batch, error in zip(group, errors, strict=True):
            self._finish(batch, None if error is None else _store_error(error))

    def _write_alone(self, batch: _Batch) -> Exception | None:
        try:
            self._write([batch])
        except Exception as exc:
            return exc
        return None

    def _write(self, group: list[_Batch]) -> None:
        projects: set[str] = set()
        rows: list[object] = []
        for batch in group:
            projects |= batch.projects
            rows.extend(batch.rows)
        started = time.perf_counter()
        self.meta.ensure_projects(sorted(projects))
        self.spans.upsert_rows(rows)
        self.commit_seconds.add(time.perf_counter() - started)
        self.committed_spans += len(rows)
        self.commits += 1
        self._last_commit_s = time.monotonic()
        if not self.on_commit:
            return
        spans = [span for batch in group for span in batch.spans]
        for hook in self.on_commit:
            try:
                hook(spans)
            except Exception:  # a hook must never fail a commit that already happened
                log.exception("commit hook failed")

    def _finish(self, batch: _Batch, error: BaseException | None) -> None:
        with self._pending_lock:
            self._pending_spans -= len(batch.rows)
        if batch.done is not None:
            batch.error = error
            batch.done.set()
            return
        assert batch.loop is not None and batch.future is not None
        batch.loop.call_soon_threadsafe(_resolve, batch.future, error)


def _store_error(exc: Exception) -> Exception:
    if isinstance(exc, TracehoundError):
        return exc
    log.error("ingest commit failed: %s", exc)
    error = StoreError(f"could not store the batch: {exc}")
    error.__cause__ = exc
    return error


def _resolve(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
