"""Exporters: where finished spans go. ``BatchExporter`` sends them from a background thread.

::

    SpanExporter            export(run) on the caller's thread (must be O(1)), flush(), shutdown()
      BatchExporter         bounded queue + named daemon thread; HTTP to a tracehound server
        LocalStoreExporter  the same loop writing into tracehound.db (no server needed)
      InMemoryExporter      keeps spans in a list, for tests (tracehound.sdk.memory)

The loop follows OpenTelemetry's ``BatchSpanProcessor``: the caller only appends to a bounded deque
(when full, the oldest span is dropped and counted, never the caller blocked); the worker wakes on a
timer or when a batch is full, encodes spans (``wire``), cuts batches by count and bytes, and sends
each with retries and exponential backoff. Nothing on the worker is traced. ``flush()`` waits for the
spans ended before it; ``shutdown()`` flushes then stops; the process flushes at exit; after ``fork``
the child gets a fresh queue and thread.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from tracehound.sdk.config import STATE
from tracehound.sdk.context import CURRENT_RUN
from tracehound.sdk.run import NON_RECORDING
from tracehound.sdk.sampling import Sampling, TailSampler
from tracehound.sdk.transport import HttpTransport, LocalStoreTransport, Outcome, Transport
from tracehound.sdk.wire import encode_span

if TYPE_CHECKING:
    from tracehound.sdk.run import Run

log = logging.getLogger("tracehound.sdk")

DROP_REPORT_INTERVAL_S: Final = 10.0


class SpanExporter:
    """Receives every finished span. ``export`` runs on the traced code's thread: keep it O(1)."""

    def export(self, run: Run) -> None:
        raise NotImplementedError

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Deliver the spans ended so far; ``True`` when done within the timeout."""
        return True

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Flush, then release threads and connections."""
        return self.flush(timeout_s)


class BatchExporter(SpanExporter):
    """Batches spans on a daemon thread and sends them to a tracehound server.

    Args:
        endpoint: server URL (``http://host:6180``); spans go to ``{endpoint}/api/v1/spans``.
        api_key: sent as ``X-API-Key``.
        transport: send batches somewhere else instead (see ``LocalStoreExporter``).
        max_batch_spans, max_batch_bytes: a batch is cut at whichever comes first.
        interval_s: longest wait before a partial batch is sent.
        max_queue_spans: spans kept while the server is unreachable; beyond it the oldest are dropped.
        max_attempts: tries per batch before it is dropped (connection errors, 5xx, 429, 408); ``None``
            (the default) keeps retrying until shutdown: an unreachable server then costs spans only
            through the bounded queue, oldest first, never a batch that could still be delivered.
        initial_backoff_s, max_backoff_s: exponential backoff between tries (with jitter);
            a ``Retry-After`` from the server wins.

    Attributes:
        dropped_spans: spans pushed out of a full queue (counted approximately under contention).
        failed_spans: spans in batches given up on (rejected, or still failing after every try).
        exported_spans: spans delivered.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        api_key: str | None = None,
        transport: Transport | None = None,
        max_batch_spans: int = 512,
        max_batch_bytes: int = 4 * 1024 * 1024,
        interval_s: float = 0.2,
        max_queue_spans: int = 20_000,
        max_attempts: int | None = None,
        initial_backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        timeout_s: float = 10.0,
    ) -> None:
        if transport is None:
            if not endpoint:
                raise ValueError("endpoint: BatchExporter needs a server URL (or a transport)")
            transport = HttpTransport(endpoint, api_key=api_key, timeout_s=timeout_s)
        for name, value in (("max_batch_spans", max_batch_spans), ("max_batch_bytes", max_batch_bytes),
                            ("max_queue_spans", max_queue_spans), ("max_attempts", max_attempts)):
            if value is not None and value < 1:
                raise ValueError(f"{name}: must be at least 1, got {value!r}")
        self.transport = transport
        self.max_batch_spans = max_batch_spans
        self.max_batch_bytes = max_batch_bytes
        self.interval_s = interval_s
        self.max_queue_spans = max_queue_spans
        self.max_attempts = max_attempts
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.dropped_spans = 0
        self.failed_spans = 0
        self.exported_spans = 0
        self._shut_down = False
        self._closing = False  # shutdown() began: traces still waiting for sampling are decided now
        self._sampler: TailSampler | None = None
        self._sampling: Sampling | None = None
        self._start()
        if hasattr(os, "register_at_fork"):
            ref = weakref.WeakMethod(self._after_fork_in_child)
            os.register_at_fork(after_in_child=lambda: _call(ref))

    def _start(self) -> None:
        # Appends go to the right, the worker pops from the left: the left end is the oldest span,
        # which is the end a full deque(maxlen) discards.
        self._queue: deque[Run] = deque(maxlen=self.max_queue_spans)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._waiters: list[threading.Event] = []
        self._waiters_lock = threading.Lock()
        self._deadline: float | None = None
        self._dropped_reported = 0
        self._last_drop_report = 0.0
        self._thread = threading.Thread(target=self._loop, name="tracehound-exporter", daemon=True)
        self._thread.start()

    # Caller's thread -----------------------------------------------------------------------------

    def export(self, run: Run) -> None:
        queue = self._queue
        if len(queue) >= self.max_queue_spans:
            self.dropped_spans += 1  # not atomic across threads: a close count is enough for a warning
        queue.append(run)
        if len(queue) >= self.max_batch_spans and not self._wake.is_set():
            self._wake.set()

    def flush(self, timeout_s: float = 10.0) -> bool:
        if self._shut_down or not self._thread.is_alive():
            return not self._queue
        done = threading.Event()
        with self._waiters_lock:
            self._waiters.append(done)
        self._wake.set()
        return done.wait(timeout_s)

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        if self._shut_down:
            return True
        deadline = time.monotonic() + timeout_s
        self._deadline = deadline  # retries stop trying past this
        self._closing = True
        self._stop.set()  # cut any backoff sleep short
        delivered = self.flush(timeout_s)
        self._shut_down = True
        self._wake.set()
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if not self._thread.is_alive():
            self.transport.close()
        return delivered

    @property
    def queued_spans(self) -> int:
        """Spans waiting for the worker."""
        return len(self._queue)

    # Worker thread -------------------------------------------------------------------------------

    def _loop(self) -> None:
        CURRENT_RUN.set(NON_RECORDING)  # this thread's own context: nothing done here is traced
        while True:
            self._wake.wait(self.interval_s)
            self._wake.clear()
            with self._waiters_lock:
                waiters, self._waiters = self._waiters, []
            try:
                self._drain()
            except Exception:
                log.exception("tracehound: exporter failed; spans may be lost")
            for waiter in waiters:
                waiter.set()
            self._report_drops()
            if self._shut_down and not self._queue:
                return

    def _drain(self) -> None:
        """Send what is queued now (not what arrives meanwhile, so a flush cannot be starved)."""
        queue = self._queue
        remaining = len(queue)
        project = STATE.project
        sampler = self._current_sampler()
        runs: list[Run] = []
        while remaining > 0:
            remaining -= 1
            try:
                run = queue.popleft()
            except IndexError:
                break
            if sampler is None:
                runs.append(run)
            else:
                runs += sampler.offer(run, project)
        if sampler is not None:
            runs += sampler.release_all(project) if self._closing else sampler.expire(project)
        parts: list[bytes] = []
        size = 0
        redactor = STATE.redactor
        for run in runs:
            try:
                part = encode_span(run, project, redactor)
            except Exception:
                self.failed_spans += 1
                log.exception("tracehound: could not encode span %r; dropped", run.spec.name)
                continue
            if parts and (size + len(part) > self.max_batch_bytes or len(parts) >= self.max_batch_spans):
                self._send(parts)
                parts, size = [], 0
            parts.append(part)
            size += len(part) + 1
        if parts:
            self._send(parts)
        if sampler is not None and sampler.dropped:
            self._send_dropped(sampler)

    def _current_sampler(self) -> TailSampler | None:
        rules = STATE.sampling
        if rules is not self._sampling:
            old = self._sampler
            self._sampling = rules
            self._sampler = None if rules is None else TailSampler(rules)
            if old is not None and self._sampler is not None:  # keep the counts of the old rules
                self._sampler.dropped.merge(old.dropped.take())
        return self._sampler

    @property
    def sampler(self) -> TailSampler | None:
        """The tail sampler (``None`` while sampling is off); its counters say what was kept and dropped."""
        return self._sampler

    def _send_dropped(self, sampler: TailSampler) -> None:
        rows = sampler.dropped.take()
        send = getattr(self.transport, "send_dropped", None)
        if send is None:
            return
        try:
            outcome = send(rows)
        except Exception:
            log.exception("tracehound: sending dropped-span counts failed")
            outcome = Outcome(False, retry=True)
        if not outcome.ok and outcome.retry and not self._shut_down:
            sampler.dropped.merge(rows)  # try again with the next batch

    def _send(self, parts: list[bytes]) -> None:
        attempt = 0
        while True:
            try:
                outcome = self.transport.send(parts)
            except Exception as exc:
                log.exception("tracehound: transport failed")
                outcome = Outcome(False, reason=f"transport failed: {exc!r}")
            if outcome.ok:
                self.exported_spans += len(parts)
                return
            if outcome.split and len(parts) > 1:
                half = len(parts) // 2
                self._send(parts[:half])
                self._send(parts[half:])
                return
            attempt += 1
            deadline = self._deadline
            limit = self.max_attempts
            if not outcome.retry or (limit is not None and attempt >= limit) or (
                    deadline is not None and time.monotonic() >= deadline) or self._shut_down:
                self.failed_spans += len(parts)
                log.warning("tracehound: dropped a batch of %d spans after %d attempt(s): %s",
                            len(parts), attempt, outcome.reason)
                return
            delay = outcome.retry_after_s
            if delay is None:
                delay = min(self.initial_backoff_s * 2 ** (attempt - 1), self.max_backoff_s)
                delay *= 0.5 + random.random() / 2  # jitter: many clients must not retry in step
            if deadline is not None:
                delay = min(delay, max(0.0, deadline - time.monotonic()))
            self._stop.wait(delay)  # shutdown() sets it: retry at once until its deadline

    def _report_drops(self) -> None:
        dropped = self.dropped_spans
        now = time.monotonic()
        if dropped > self._dropped_reported and now - self._last_drop_report >= DROP_REPORT_INTERVAL_S:
            log.warning(
                "tracehound: span queue full (%d spans); dropped %d oldest spans (%d in total). "
                "The server is unreachable or slower than this process makes spans.",
                self.max_queue_spans, dropped - self._dropped_reported, dropped,
            )
            self._dropped_reported = dropped
            self._last_drop_report = now

    def _after_fork_in_child(self) -> None:
        # The parent's thread does not exist in the child and its queued spans are the parent's to send.
        self.transport.after_fork()
        self.dropped_spans = self.failed_spans = self.exported_spans = 0
        if not self._shut_down:
            self._start()


def _call(ref: weakref.WeakMethod) -> None:  # type: ignore[type-arg]
    method = ref()
    if method is not None:
        method()


class LocalStoreExporter(BatchExporter):
    """Writes spans into ``tracehound.db`` in ``data_dir`` from the background thread: zero set-up tracing.

    The server (``tracehound serve --data-dir``) and the UI read the same file.
    """

    def __init__(self, data_dir: str | Path = "~/.tracehound", **options: Any) -> None:
        self.data_dir = data_dir
        super().__init__(transport=LocalStoreTransport(data_dir), **options)
