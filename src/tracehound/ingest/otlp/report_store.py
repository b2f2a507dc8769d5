"""The mapping report kept in the embedded store (table ``ingest_sources``), so the CLI and a restarted
server see it.

The server accumulates in memory and saves changed sources at most once a second (``ReportSaver``);
a snapshot replaces the stored row, so saving is idempotent.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

from tracehound.errors import StoreError
from tracehound.ingest.otlp.report import MappingReport, SourceStats
from tracehound.store.sqlite.connection import connect

PROTOCOL = "otlp"


class ReportStore:
    """Reads and writes ``ingest_sources`` rows in the SQLite file."""

    def __init__(self, path: str | Path):
        self.path = str(path)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # A connection per use (at most once a second): nothing to close when the app stops. NORMAL
        # sync: the report is diagnostics, not data a 2xx promised.
        conn = connect(self.path, synchronous="NORMAL")
        try:
            yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc
        finally:
            conn.close()

    def load(self) -> list[SourceStats]:
        with self._connection() as conn:
            rows = conn.execute("SELECT stats FROM ingest_sources WHERE protocol = ? ORDER BY service, scope",
                                (PROTOCOL,)).fetchall()
        return [SourceStats.from_state(msgspec.json.decode(row[0])) for row in rows]

    def save(self, sources: list[SourceStats]) -> None:
        if not sources:
            return
        rows = [(PROTOCOL, s.service, s.scope, s.first_seen_us, s.last_seen_us, msgspec.json.encode(s.state()).decode())
                for s in sources]
        with self._connection() as conn:
            conn.executemany(
                "INSERT INTO ingest_sources (protocol, service, scope, first_seen_us, last_seen_us, stats)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (protocol, service, scope) DO UPDATE SET"
                " last_seen_us = excluded.last_seen_us, stats = excluded.stats", rows)


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
