"""``SqliteDroppedStore``: per-minute counts of spans that tail sampling dropped before storage.

Sampling keeps every failure but only some successes, so counting stored spans alone would inflate
error rates and understate throughput. SDKs (``POST /api/v1/sampling/dropped``) and ingest-side
sampling add what they dropped here, keyed like the rollups (project, minute, run_type, name, model,
status); metrics add these counts back when they compute rates and throughput.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from tracehound.errors import StoreError
from tracehound.store.sqlite.connection import connect

KEY_COLUMNS: Final = ("project", "minute_us", "run_type", "name", "model", "status")
_ADD = (
    "INSERT INTO sampling_dropped (project, minute_us, run_type, name, model, status, spans, traces)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project, minute_us, run_type, name, model, status)"
    " DO UPDATE SET spans = spans + excluded.spans, traces = traces + excluded.traces"
)


class SqliteDroppedStore:
    """The ``sampling_dropped`` table. Thread-safe: one locked connection (writes are small and rare)."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self.path = str(path)
        self._conn = connect(self.path, synchronous=synchronous)
        self._lock = threading.Lock()

    def add_dropped(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add counts (``minute_us`` is floored to the minute); existing buckets are summed into."""
        values = [(str(r["project"]), int(r["minute_us"]) // 60_000_000 * 60_000_000, str(r["run_type"]),
                   str(r["name"]), str(r.get("model") or ""), str(r.get("status") or "ok"), int(r["spans"]),
                   int(r.get("traces", 0))) for r in rows]
        if not values:
            return
        try:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._conn.executemany(_ADD, values)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc

    def dropped_counts(self, project: str | None = None, start_us: int | None = None,
                       end_us: int | None = None) -> list[dict[str, Any]]:
        """Rows of counts, oldest minute first; ``start_us`` inclusive, ``end_us`` exclusive."""
        where, params = [], []
        for clause, value in (("project = ?", project), ("minute_us >= ?", start_us), ("minute_us < ?", end_us)):
            if value is not None:
                where.append(clause)
                params.append(value)
        sql = ("SELECT project, minute_us, run_type, name, model, status, spans, traces FROM sampling_dropped"
               + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY minute_us, project, run_type, name")
        try:
            with self._lock:
                rows = self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc
        return [dict(zip((*KEY_COLUMNS, "spans", "traces"), row, strict=True)) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
