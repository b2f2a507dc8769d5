"""``SqliteFeedbackStore``: scores on runs, in the same file as the spans they score.

Feedback belongs with spans, not with the relational metadata: the filter language selects runs by
it (``and(eq(feedback_key, "correctness"), lt(feedback_score, 0.5))`` is an ``EXISTS`` over this
table), and a column store keeps it next to the spans it joins. Sources: ``evaluator`` (an
experiment's evaluators), ``user`` (thumbs, CSAT, resolved/escalated from the product), ``human``
(a reviewer), ``api`` (anything else).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import msgspec

from tracehound.store.base import Feedback, Verdict
from tracehound.store.sqlite._locked import LockedConnection
from tracehound.store.sqlite.connection import connect

SOURCES: Final = ("evaluator", "user", "human", "api")
_COLUMNS: Final = "id, run_id, key, created_us, score, value, comment, source, source_info, trace_id"


class SqliteFeedbackStore:
    """Implements ``FeedbackStore``; its own connection, since feedback arrives apart from spans."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self.path = str(path)
        self._conn: sqlite3.Connection = connect(self.path, synchronous=synchronous)
        self._db = LockedConnection(self._conn, threading.Lock())

    def add_feedback(self, items: Sequence[Feedback]) -> None:
        with self._db.transaction() as conn:
            conn.executemany(
                f"INSERT OR REPLACE INTO feedback ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(f.id, f.run_id, f.key, f.created_us, f.score,
                  None if f.value is None else msgspec.json.encode(f.value).decode(), f.comment, f.source,
                  msgspec.json.encode(f.source_info).decode(), f.trace_id) for f in items],
            )

    def list_feedback(self, *, run_ids: Sequence[str] | None = None, key: str | None = None,
                      source: str | None = None, limit: int = 1000) -> list[Feedback]:
        where: list[str] = []
        params: list[Any] = []
        if run_ids is not None:
            if not run_ids:
                return []
            where.append(f"run_id IN ({', '.join('?' * len(run_ids))})")
            params.extend(run_ids)
        for column, value in (("key", key), ("source", source)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = f"SELECT {_COLUMNS} FROM feedback"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._db.rows(sql + " ORDER BY created_us DESC, id LIMIT ?", [*params, limit])
        return [_feedback(row) for row in rows]

    def verdicts(self, source: str, start_us: int, end_us: int, *, key: str | None = None,
                 limit: int = 100_000) -> list[Verdict]:
        at = "coalesce(json_extract(source_info, '$.run_start_us'), created_us)"
        sql = (f"SELECT run_id, trace_id, key, {at}, score,"
               " coalesce(json_extract(value, '$.passed'), score >= 0.5, 1) FROM feedback"
               f" WHERE source = ? AND {at} >= ? AND {at} < ?")
        params: list[Any] = [source, start_us, end_us]
        if key is not None:
            sql += " AND key = ?"
            params.append(key)
        rows = self._db.rows(sql + f" ORDER BY {at} LIMIT ?", [*params, limit])
        return [Verdict(r[0], r[1], r[2], int(r[3]), r[4], bool(r[5])) for r in rows]

    def get_feedback(self, feedback_id: str) -> Feedback | None:
        rows = self._db.rows(f"SELECT {_COLUMNS} FROM feedback WHERE id = ?", (feedback_id,))
        return _feedback(rows[0]) if rows else None

    def delete_feedback(self, feedback_id: str) -> bool:
        with self._db.transaction() as conn:
            return conn.execute("DELETE FROM feedback WHERE id = ?", (feedback_id,)).rowcount > 0

    def close(self) -> None:
        with self._db.lock:
            self._conn.close()


def _feedback(row: tuple[Any, ...]) -> Feedback:
    feedback_id, run_id, key, created_us, score, value, comment, source, source_info, trace_id = row
    return Feedback(feedback_id, run_id, key, created_us, score,
                    None if value is None else msgspec.json.decode(value), comment, source,
                    msgspec.json.decode(source_info) if source_info else {}, trace_id)
