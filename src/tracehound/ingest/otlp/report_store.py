"""The mapping report kept by the meta store (``meta.ingest_sources``), so the CLI and a restarted
server see it.

The server accumulates in memory and saves changed sources at most once a second (``ReportSaver``);
a snapshot replaces the stored record, so saving is idempotent.
"""

from __future__ import annotations

import time

from tracehound.errors import StoreError
from tracehound.ingest.otlp.report import MappingReport, SourceStats
from tracehound.store.sources import IngestSourceStore, SourceRecord

PROTOCOL = "otlp"


class ReportStore:
    """Reads and writes the OTLP sources' stats through the meta store's ``ingest_sources`` records."""

    def __init__(self, records: IngestSourceStore):
        self.records = records

    def load(self) -> list[SourceStats]:
        return [SourceStats.from_state(record.state) for record in self.records.load(PROTOCOL)]

    def save(self, sources: list[SourceStats]) -> None:
        self.records.save([SourceRecord(PROTOCOL, s.service, s.scope, s.first_seen_us, s.last_seen_us, s.state())
                           for s in sources])


class ReportSaver:
    """A ``MappingReport`` loaded from the store, saved back when changed and at most every ``interval_s``."""

    def __init__(self, store: ReportStore, *, interval_s: float = 1.0):
        self.store = store
        self.report = MappingReport({(s.service, s.scope): s for s in store.load()})
        self.interval_s = interval_s
        self._last_save = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self._last_save >= self.interval_s

    def save(self) -> None:
        """Write the changed sources (call off the event loop); on failure they stay marked for next time."""
        self._last_save = time.monotonic()
        changed = self.report.take_dirty()
        try:
            self.store.save(changed)
        except StoreError:
            self.report.mark_dirty(changed)
            raise
