"""``InMemoryExporter``: keeps finished spans in a list, for tests of code that uses tracehound.

    exporter = InMemoryExporter()
    tracehound.configure(exporter=exporter)
    run_agent()
    assert [span.name for span in exporter.get_spans()] == ["search", "agent"]
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import msgspec

from tracehound.model import Span, check_batch
from tracehound.sdk.config import STATE
from tracehound.sdk.exporter import SpanExporter
from tracehound.sdk.sampling import Sampling, TailSampler

if TYPE_CHECKING:
    from tracehound.sdk.run import Run


class InMemoryExporter(SpanExporter):
    """Stores every finished span; ``get_spans()`` returns them as validated ``Span`` models, in end order.

    Tail sampling (``configure(sampling=...)``) and redaction apply as in ``BatchExporter``: a span
    shows once its trace is decided and kept, and ``dropped_counts()`` tells what was dropped.
    """

    def __init__(self) -> None:
        self._runs: list[Run] = []
        self._kept: list[Run] = []
        self._seen = 0
        self._lock = threading.Lock()
        self._sampler: TailSampler | None = None
        self._sampling: Sampling | None = None
        self._dropped: list[dict[str, Any]] = []

    def export(self, run: Run) -> None:
        self._runs.append(run)  # list.append is atomic; the lock only guards the copy and clear below

    def _decide(self, final: bool = False) -> list[Run]:
        with self._lock:
            new = self._runs[self._seen:]
            self._seen += len(new)
            rules = STATE.sampling
            if rules is not self._sampling:
                self._sampling = rules
                self._sampler = None if rules is None else TailSampler(rules)
            sampler = self._sampler
            if sampler is None:
                self._kept += new
            else:
                for run in new:
                    self._kept += sampler.offer(run, STATE.project)
                self._kept += sampler.release_all(STATE.project) if final else sampler.expire(STATE.project)
                self._dropped += sampler.dropped.take()
            return list(self._kept)

    def get_spans(self) -> list[Span]:
        """The spans so far, encoded and decoded exactly as a server would receive them."""
        from tracehound.sdk.wire import encode_span

        runs = self._decide()
        redactor = STATE.redactor
        body = b"[" + b",".join(encode_span(run, STATE.project, redactor) for run in runs) + b"]"
        spans = msgspec.json.decode(body, type=list[Span])
        check_batch(spans)
        return spans

    def dropped_counts(self) -> list[dict[str, Any]]:
        """Per-minute counts of the spans tail sampling dropped (what ``BatchExporter`` sends to the server)."""
        self._decide()
        with self._lock:
            return list(self._dropped)

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        self._decide(final=True)  # traces still waiting are decided with what is known
        return True

    def clear(self) -> None:
        with self._lock:
            self._runs.clear()
            self._kept.clear()
            self._dropped.clear()
            self._seen = 0
            self._sampler = None
            self._sampling = None
