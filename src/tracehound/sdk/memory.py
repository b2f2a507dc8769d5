"""``InMemoryExporter``: keeps finished spans in a list, for tests of code that uses tracehound.

    exporter = InMemoryExporter()
    tracehound.configure(exporter=exporter)
    run_agent()
    assert [span.name for span in exporter.get_spans()] == ["search", "agent"]
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import msgspec

from tracehound.model import Span, check_batch
from tracehound.sdk.config import STATE
from tracehound.sdk.exporter import SpanExporter

if TYPE_CHECKING:
    from tracehound.sdk.run import Run


class InMemoryExporter(SpanExporter):
    """Stores every finished span; ``get_spans()`` returns them as validated ``Span`` models, in end order."""

    def __init__(self) -> None:
        self._runs: list[Run] = []
        self._lock = threading.Lock()

    def export(self, run: Run) -> None:
        self._runs.append(run)  # list.append is atomic; the lock only guards the copy and clear below

    def get_spans(self) -> list[Span]:
        """The spans so far, encoded and decoded exactly as a server would receive them."""
        from tracehound.sdk.wire import encode_span

        with self._lock:
            runs = list(self._runs)
        body = b"[" + b",".join(encode_span(run, STATE.project) for run in runs) + b"]"
        spans = msgspec.json.decode(body, type=list[Span])
        check_batch(spans)
        return spans

    def clear(self) -> None:
        with self._lock:
            self._runs.clear()
