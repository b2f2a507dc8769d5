"""Redaction and tail sampling at ingest, for data from SDKs we do not control.

Every ingest path (native, OTLP, LangSmith) passes its decoded spans through ``IngestFilters.apply``
inside ``IngestPipeline.prepare``, configured on the server::

    TRACEHOUND_INGEST_REDACT=true  TRACEHOUND_REDACTION_KEY=...        # same redactor as the SDK
    TRACEHOUND_INGEST_SAMPLING_KEEP_RATE=0.1  TRACEHOUND_INGEST_SAMPLING_SLOW_MS=20000

Both off (the default) costs one ``None`` check per batch.

Sampling uses the SDK's rules (``tracehound.sdk.sampling``) on the traces whose root arrives, ended,
in the batch: a trace is decided from the spans of that batch. Spans of a trace decided earlier
follow its decision (a bounded memory of recent decisions); spans of a trace not decided yet are
kept, because the server cannot hold a request's acknowledgement until a trace ends. SDKs that batch
whole traces (ours, with tail sampling on) send a trace in one batch. Dropped spans are counted per
minute like the SDK's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Final

from tracehound.model import Span
from tracehound.sdk.redaction import Redactor
from tracehound.sdk.sampling import Sampling, TraceFacts
from tracehound.settings import Settings

DECISIONS_REMEMBERED: Final = 100_000


class IngestFilters:
    """The server's redactor and sampler; ``from_settings`` returns ``None`` when both are off."""

    def __init__(self, redactor: Redactor | None, sampling: Sampling | None) -> None:
        self.redactor = redactor
        self.sampling = sampling
        # Per-project redaction configured through the API/CLI (governance/redaction.py); a project
        # listed here uses its own redactor instead of the server-wide one.
        self.project_redactors: dict[str, Redactor | None] = {}
        self._decided: OrderedDict[str, bool] = OrderedDict()
        self.dropped_spans = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestFilters | None:
        redactor = Redactor(key=settings.redaction_key) if settings.ingest_redact else None
        sampling = None
        if settings.ingest_sampling_keep_rate is not None:
            slow_ms = settings.ingest_sampling_slow_ms
            sampling = Sampling(keep_rate=settings.ingest_sampling_keep_rate,
                                slow_s=None if slow_ms is None else slow_ms / 1000.0)
        return None if redactor is None and sampling is None else cls(redactor, sampling)

    def apply(self, spans: Sequence[Span]) -> tuple[list[Span], list[dict[str, Any]]]:
        """The spans to store (sampled, then redacted) and per-minute counts of those dropped."""
        dropped_rows: list[dict[str, Any]] = []
        kept = list(spans)
        if self.sampling is not None:
            kept, dropped = self._sample(kept)
            dropped_rows = dropped_counts(dropped)
            self.dropped_spans += len(dropped)
        if self.project_redactors:
            for span in kept:
                redactor = self.project_redactors.get(span.project, self.redactor)
                if redactor is not None:
                    redactor.span(span)
        elif self.redactor is not None:
            for span in kept:
                self.redactor.span(span)
        return kept, dropped_rows

    def _sample(self, spans: list[Span]) -> tuple[list[Span], list[Span]]:
        assert self.sampling is not None
        by_trace: dict[str, list[Span]] = {}
        for span in spans:
            by_trace.setdefault(span.trace_id, []).append(span)
        kept: list[Span] = []
        dropped: list[Span] = []
        for trace_id, members in by_trace.items():
            decision = self._decided.get(trace_id)
            if decision is None:
                root = next((s for s in members if s.parent_id is None and s.end_time is not None), None)
                if root is None:
                    kept += members  # undecided: the trace has not ended in what we have seen
                    continue
                facts = TraceFacts(trace_id, root.session_id)
                for span in members:
                    facts.add(span.status, "keep" in span.metadata)
                facts.latency_s = root.latency_s
                decision = self.sampling.decide(facts) is not None
                self._decided[trace_id] = decision
                if len(self._decided) > DECISIONS_REMEMBERED:
                    self._decided.popitem(last=False)
            (kept if decision else dropped).extend(members)
        return kept, dropped


def dropped_counts(spans: Sequence[Span]) -> list[dict[str, Any]]:
    """Per-minute rows, in the shape ``POST /api/v1/sampling/dropped`` takes, for dropped spans."""
    counts: dict[tuple[int, str, str, str, str, str], list[int]] = {}
    for span in spans:
        key = (span.start_us // 60_000_000 * 60_000_000, span.project, span.run_type, span.name, span.model or "",
               span.status or "ok")
        row = counts.setdefault(key, [0, 0])
        row[0] += 1
        row[1] += span.parent_id is None
    return [{"minute_us": k[0], "project": k[1], "run_type": k[2], "name": k[3], "model": k[4], "status": k[5],
             "spans": n, "traces": t} for k, (n, t) in counts.items()]
