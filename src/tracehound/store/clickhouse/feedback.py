"""``ClickHouseFeedbackStore``: scores on runs, beside the spans they score (the filter language joins them).

``feedback`` is a ReplacingMergeTree ordered by ``(run_id, id)``: storing an id again appends a
newer version (a reviewer correcting a score) and deleting appends a tombstone; reads use ``FINAL``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, Final

import msgspec

from tracehound.store.base import Feedback, Verdict
from tracehound.store.clickhouse.connection import ClickHouse
from tracehound.store.clickhouse.schema import migrate

_COLUMNS: Final = ("id", "run_id", "key", "created_us", "score", "value", "comment", "source", "source_info",
                   "trace_id")
_SELECT: Final = ", ".join(_COLUMNS)


class ClickHouseFeedbackStore:
    """Implements ``FeedbackStore`` over the span store's ClickHouse database."""

    def __init__(self, url: str, *, db: ClickHouse | None = None) -> None:
        self._owned = db is None
        self.db = db or ClickHouse(url)
        if self._owned:
            migrate(self.db)
        self._lock = threading.Lock()

    def add_feedback(self, items: Sequence[Feedback]) -> None:
        if not items:
            return
        with self._lock:
            version = time.time_ns()
            stored = {row[0]: row for row in self._rows_of_ids([item.id for item in items])}
            rows = []
            for item in items:
                old = stored.get(item.id)
                if old is not None and old[1] != item.run_id:
                    rows.append((*old, version - 1, 1))  # moved to another run: retire the old key
                rows.append((item.id, item.run_id, item.key, item.created_us, item.score,
                             "" if item.value is None else msgspec.json.encode(item.value).decode(), item.comment,
                             item.source, msgspec.json.encode(item.source_info).decode(), item.trace_id, version, 0))
            self.db.insert("feedback", rows, (*_COLUMNS, "version", "is_deleted"))

    def _rows_of_ids(self, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        return self.db.rows(f"SELECT {_SELECT} FROM feedback FINAL WHERE id IN {{ids:Array(UUID)}}", {"ids": list(ids)})

    def list_feedback(self, *, run_ids: Sequence[str] | None = None, key: str | None = None,
                      source: str | None = None, limit: int = 1000) -> list[Feedback]:
        where, params = [], {"limit": limit}
        if run_ids is not None:
            if not run_ids:
                return []
            where.append("run_id IN {runs:Array(UUID)}")
            params["runs"] = list(run_ids)
        for column, value in (("key", key), ("source", source)):
            if value is not None:
                where.append(f"{column} = {{{column}:String}}")
                params[column] = value
        sql = f"SELECT {_SELECT} FROM feedback FINAL"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_feedback(row) for row in self.db.rows(sql + " ORDER BY created_us DESC, id LIMIT {limit:UInt64}",
                                                       params)]

    def verdicts(self, source: str, start_us: int, end_us: int, *, key: str | None = None,
                 limit: int = 100_000) -> list[Verdict]:
        at = ("if(JSONHas(source_info, 'run_start_us'), JSONExtractInt(source_info, 'run_start_us'), created_us)")
        passed = ("multiIf(JSONType(value, 'passed') = 'Bool', JSONExtractBool(value, 'passed'),"
                  " JSONHas(value, 'passed'), JSONExtractFloat(value, 'passed') != 0,"
                  " score IS NULL, 1, score >= 0.5)")
        sql = (f"SELECT run_id, trace_id, key, {at} AS at, score, {passed} FROM feedback FINAL"
               " WHERE source = {source:String} AND at >= {a:Int64} AND at < {b:Int64}")
        params: dict[str, Any] = {"source": source, "a": start_us, "b": end_us, "limit": limit}
        if key is not None:
            sql += " AND key = {key:String}"
            params["key"] = key
        rows = self.db.rows(sql + " ORDER BY at, id LIMIT {limit:UInt64}", params)
        return [Verdict(r[0], r[1], r[2], int(r[3]), r[4], bool(r[5])) for r in rows]

    def get_feedback(self, feedback_id: str) -> Feedback | None:
        rows = self._rows_of_ids([feedback_id]) if _is_uuid(feedback_id) else []
        return _feedback(rows[0]) if rows else None

    def delete_feedback(self, feedback_id: str) -> bool:
        if not _is_uuid(feedback_id):
            return False
        with self._lock:
            rows = self._rows_of_ids([feedback_id])
            if not rows:
                return False
            self.db.insert("feedback", [(*rows[0], time.time_ns(), 1)], (*_COLUMNS, "version", "is_deleted"))
        return True

    def close(self) -> None:
        if self._owned:
            self.db.close()


def _is_uuid(text: str) -> bool:
    try:
        import uuid

        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _feedback(row: tuple[Any, ...]) -> Feedback:
    feedback_id, run_id, key, created_us, score, value, comment, source, source_info, trace_id = row
    return Feedback(feedback_id, run_id, key, created_us, score, msgspec.json.decode(value) if value else None,
                    comment, source, msgspec.json.decode(source_info) if source_info else {}, trace_id)
