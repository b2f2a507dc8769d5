"""Detector results kept in the ``detector_results`` table, newest first."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import msgspec

from tracehound.analytics.detectors.base import DetectorResult
from tracehound.store.sqlite._locked import LockedConnection
from tracehound.store.sqlite.connection import connect


class DetectorResultStore:
    """Saved detector runs (on demand with ``save``, or by the scheduler)."""

    def __init__(self, path: str | Path) -> None:
        self._db = LockedConnection(connect(path), threading.Lock())

    def save(self, result: DetectorResult) -> int:
        """Store a result; returns its id."""
        body = result.to_dict()
        with self._db.transaction() as conn:
            cursor = conn.execute("INSERT INTO detector_results (detector, at_us, params, result) VALUES (?, ?, ?, ?)",
                                  (result.detector, result.at_us, msgspec.json.encode(body["params"]).decode(),
                                   msgspec.json.encode(body).decode()))
        return int(cursor.lastrowid or 0)

    def list(self, detector: str | None = None, *, limit: int = 50, fired_only: bool = False) -> list[dict[str, Any]]:
        sql, args = "SELECT seq, result FROM detector_results", []
        if detector:
            sql += " WHERE detector = ?"
            args.append(detector)
        rows = self._db.rows(sql + " ORDER BY seq DESC LIMIT ?", [*args, limit * (10 if fired_only else 1)])
        found = [{"id": seq, **msgspec.json.decode(text)} for seq, text in rows]
        return [r for r in found if r["fired"] or not fired_only][:limit]

    def close(self) -> None:
        with self._db.lock:
            self._db.conn.close()
