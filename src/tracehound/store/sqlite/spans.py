"""``SqliteSpanStore``: spans in one SQLite file, written in batches, read by index."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from tracehound.errors import StoreError
from tracehound.model import Span
from tracehound.store.base import SpanCriteria, TreeNode, Turn
from tracehound.store.payload import DEFAULT_CAP_BYTES, decode_payload, encode_payload
from tracehound.store.sql import DEFAULT_LIMIT as DEFAULT_SQL_LIMIT
from tracehound.store.sql import DEFAULT_TIMEOUT_S as DEFAULT_SQL_TIMEOUT_S
from tracehound.store.sql import SqlResult
from tracehound.store.sqlite import rollups
from tracehound.store.sqlite.analytics import SqliteSpanAnalytics
from tracehound.store.sqlite.checkpoint import Checkpointer
from tracehound.store.sqlite.connection import connect
from tracehound.store.sqlite.costs import SqliteCostStore
from tracehound.store.sqlite.detector_queries import SqliteDetectorQueries
from tracehound.store.sqlite.dropped import SqliteDroppedStore
from tracehound.store.sqlite.retention import SqliteSpanRetention
from tracehound.store.sqlite.rollup_reads import SqliteRollupReader
from tracehound.store.sqlite.runs import SqliteLookupReader, SqliteRunReader
from tracehound.store.sqlite.search import SearchIndex
from tracehound.store.sqlite.sql import run_sql
from tracehound.store.trees import tree_order
from tracehound.timefmt import now_us

COLUMNS = (
    "id", "trace_id", "parent_id", "dotted_order", "project", "session_id", "user_id", "run_type", "name",
    "start_us", "end_us", "status", "status_reason", "error", "inputs", "outputs", "metadata", "tags",
    "prompt_tokens", "completion_tokens", "total_tokens", "cost", "cost_details", "model", "step",
    "reference_example_id", "events", "ingested_us",
)
SPAN_COLUMNS = ", ".join(COLUMNS[:-1])

# On a second write of the same id (a span sent at start, then at end; or a retried batch) the newer
# values win where given, a final status is never taken back to "running", metadata objects merge and
# tags are united. This is a merge, not an append, so retries never duplicate.
_MERGE = {
    "status": "CASE WHEN excluded.status = 'running' AND spans.status != 'running' THEN spans.status"
              " ELSE excluded.status END",
    "metadata": "CASE WHEN excluded.metadata IS NULL THEN spans.metadata WHEN spans.metadata IS NULL"
                " THEN excluded.metadata ELSE json_patch(spans.metadata, excluded.metadata) END",
    "tags": "CASE WHEN excluded.tags IS NULL THEN spans.tags WHEN spans.tags IS NULL THEN excluded.tags"
            " ELSE (SELECT json_group_array(value) FROM (SELECT value FROM json_each(spans.tags)"
            " UNION SELECT value FROM json_each(excluded.tags))) END",
    "name": "excluded.name",
    "run_type": "excluded.run_type",
    "start_us": "excluded.start_us",
    "project": "excluded.project",
    "trace_id": "spans.trace_id",
    "ingested_us": "spans.ingested_us",
}
_UPSERT = (
    f"INSERT INTO spans ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    " ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{col} = {_MERGE.get(col, f'coalesce(excluded.{col}, spans.{col})')}" for col in COLUMNS[1:])
)

_json = msgspec.json.encode


class SqliteSpanStore:
    """Spans in a SQLite file. Thread-safe: one locked writer connection, one reader per thread.

    Implements ``SpanStore``; its sub-readers (``runs``, ``lookups``, ``rollups``, ``analytics``,
    ``detectors``) read through ``read_sql`` on this thread's reader connection.
    """

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", payload_cap_bytes: int = DEFAULT_CAP_BYTES):
        self.path = str(path)
        self.payload_cap_bytes = payload_cap_bytes
        self._synchronous = synchronous
        self._writer = connect(self.path, synchronous=synchronous)
        self._checkpointer: Checkpointer | None = None
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self.runs = SqliteRunReader(self)
        self.lookups = SqliteLookupReader(self)
        self.rollups = SqliteRollupReader(self)
        self.analytics = SqliteSpanAnalytics(self)
        self.detectors = SqliteDetectorQueries(self)
        self.costs = SqliteCostStore(self)

    @property
    def dropped(self) -> SqliteDroppedStore:
        """The sampling-dropped counts, on a connection of their own (opened on first use)."""
        store = self.__dict__.get("_dropped")
        if store is None:
            with self._write_lock:
                store = self.__dict__.get("_dropped")
                if store is None:
                    store = self.__dict__["_dropped"] = SqliteDroppedStore(self.path, synchronous=self._synchronous)
        return store

    # Writing ----------------------------------------------------------------------------------

    def to_row(self, span: Span, ingested_us: int) -> tuple[Any, ...]:
        """The row for one span; payloads capped and compressed (safe to call off the writer thread)."""
        cap = self.payload_cap_bytes
        return (
            span.id, span.trace_id, span.parent_id, span.dotted_order, span.project, span.session_id,
            span.user_id, span.run_type, span.name, span.start_time, span.end_time, span.status,
            span.status_reason,
            encode_payload(span.error, cap), encode_payload(span.inputs, cap), encode_payload(span.outputs, cap),
            _json(span.metadata).decode() if span.metadata else None,
            _json(span.tags).decode() if span.tags else None,
            span.prompt_tokens, span.completion_tokens, span.total_tokens, span.cost,
            _json(span.cost_details).decode() if span.cost_details else None,
            span.model, span.step, span.reference_example_id,
            encode_payload(span.events, cap) if span.events else None,
            ingested_us,
        )

    def upsert(self, spans: Sequence[Span]) -> None:
        """Store a batch in one transaction (merging spans already stored)."""
        stamp = now_us()
        self.upsert_rows([self.to_row(span, stamp) for span in spans])

    def upsert_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Store prepared rows in one transaction; the group-commit writer calls this."""
        with self._translate_errors(), self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(_UPSERT, rows)
                rollups.fold(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # Reading ----------------------------------------------------------------------------------

    def get_span(self, span_id: str) -> Span | None:
        rows = self._query(f"SELECT {SPAN_COLUMNS} FROM spans WHERE id = ?", (span_id,))
        return span_from_row(rows[0]) if rows else None

    def get_trace(self, trace_id: str) -> list[TreeNode]:
        rows = self._query(f"SELECT {SPAN_COLUMNS} FROM spans WHERE trace_id = ? ORDER BY start_us, id", (trace_id,))
        return tree_order([span_from_row(row) for row in rows])

    def get_trace_outline(self, trace_id: str) -> list[TreeNode]:
        """``get_trace`` without payloads: inputs, outputs, error, events and metadata are left empty.

        For views that draw the tree (a waterfall of 10,000 spans) and fetch one span's payloads on demand;
        skipping the decompression and JSON decoding makes the read several times cheaper.
        """
        rows = self._query(f"SELECT {_OUTLINE_COLUMNS} FROM spans WHERE trace_id = ? ORDER BY start_us, id",
                           (trace_id,))
        return tree_order([_outline(row) for row in rows])

    def trace_totals(self, trace_ids: Sequence[str]) -> dict[str, tuple[int, int, int, float]]:
        """Per trace: span count, error count, LLM tokens (the root's own when no LLM span counted any), cost."""
        ids = sorted(set(trace_ids))
        if not ids:
            return {}
        totals: dict[str, tuple[int, int, int, float]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for trace_id, count, errors, tokens, own, cost in self._query(
                    "SELECT trace_id, count(*), sum(status = 'error'),"
                    " sum(CASE WHEN run_type = 'llm' THEN coalesce(total_tokens, 0) ELSE 0 END),"
                    " sum(CASE WHEN parent_id IS NULL THEN coalesce(total_tokens, 0) ELSE 0 END),"
                    f" sum(coalesce(cost, 0)) FROM spans WHERE trace_id IN ({', '.join('?' * len(chunk))})"
                    " GROUP BY trace_id", chunk):
                totals[trace_id] = (count, errors or 0, tokens or own or 0, cost or 0.0)
        return totals

    def list_spans(self, criteria: SpanCriteria) -> list[Span]:
        where, params = [], []
        for column in ("project", "run_type", "name", "session_id", "user_id", "trace_id", "status"):
            value = getattr(criteria, column)
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if criteria.is_root is not None:
            where.append("parent_id IS NULL" if criteria.is_root else "parent_id IS NOT NULL")
        if criteria.start_us is not None:
            where.append("start_us >= ?")
            params.append(criteria.start_us)
        if criteria.end_us is not None:
            where.append("start_us < ?")
            params.append(criteria.end_us)
        sql = f"SELECT {SPAN_COLUMNS} FROM spans"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY start_us DESC, id LIMIT ?"
        params.append(criteria.limit)
        return [span_from_row(row) for row in self._query(sql, params)]

    def session_turns(self, session_id: str, project: str | None = None) -> list[Turn]:
        sql = f"SELECT {SPAN_COLUMNS} FROM spans WHERE session_id = ? AND parent_id IS NULL"
        params: list[Any] = [session_id]
        if project is not None:
            sql += " AND project = ?"
            params.append(project)
        roots = [span_from_row(row) for row in self._query(sql + " ORDER BY start_us, id", params)]
        if not roots:
            return []
        trace_ids = sorted({root.trace_id for root in roots})
        totals = {
            row[0]: row[1:]
            for row in self._query(
                "SELECT trace_id, count(*), sum(status = 'error'),"
                " sum(CASE WHEN run_type = 'llm' THEN coalesce(total_tokens, 0) ELSE 0 END), sum(coalesce(cost, 0))"
                f" FROM spans WHERE trace_id IN ({', '.join('?' * len(trace_ids))}) GROUP BY trace_id",
                trace_ids,
            )
        }
        turns = []
        for root in roots:
            count, errors, tokens, cost = totals.get(root.trace_id, (1, 0, 0, 0.0))
            # A trace without llm spans (a single hand-made span) still reports its own tokens.
            tokens = tokens or root.total_tokens or 0
            turns.append(Turn(root=root, span_count=count, error_count=errors or 0, total_tokens=tokens,
                              cost=cost or 0.0))
        return turns

    def trace_ids_of(self, span_ids: Sequence[str]) -> dict[str, str]:
        if not span_ids:
            return {}
        ids = list(span_ids)
        result: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            result.update(self._query(
                f"SELECT id, trace_id FROM spans WHERE id IN ({', '.join('?' * len(chunk))})", chunk
            ))
        return result

    def delete_project(self, project: str) -> int:
        """Delete every span of a project (rollups and the search index follow); returns how many."""
        with self.write_transaction() as conn:
            deleted = conn.execute("DELETE FROM spans WHERE project = ?", (project,)).rowcount
            rollups.fold(conn)
        return deleted

    def count(self) -> int:
        return self._query("SELECT count(*) FROM spans", ())[0][0]

    # Rollups (``tracehound.store.sqlite.rollups``; read by ``tracehound.analytics``) -------------------

    def rebuild_rollups(self) -> int:
        """Recompute every rollup bucket from the raw spans in one transaction; returns spans counted."""
        with self._translate_errors(), self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                count = rollups.rebuild(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return count

    def fold_rollups(self) -> None:
        """Fold deltas left by a write outside ``upsert_rows`` (a delete, say) into the buckets."""
        with self._translate_errors(), self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                rollups.fold(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # Query support: ``tracehound.query.sqlite`` compiles filters to SQL for these -------------------

    def sql(self, query: str, *, projects: Sequence[str] | None, limit: int = DEFAULT_SQL_LIMIT,
            timeout_s: float = DEFAULT_SQL_TIMEOUT_S) -> SqlResult:
        """Users' read-only SQL over the documented views (``store/sql.py``), scoped to ``projects``."""
        return run_sql(self.path, query, projects=projects, limit=limit, timeout_s=timeout_s)

    def read_sql(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Rows of a read-only statement on this thread's reader connection (errors as ``StoreError``)."""
        return self._query(sql, params)

    @contextmanager
    def write_transaction(self) -> Iterator[sqlite3.Connection]:
        """The writer connection inside one ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on error."""
        with self._translate_errors(), self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @property
    def retention(self) -> SqliteSpanRetention:
        """Deletions for retention and project removal (``store/sqlite/retention.py``)."""
        return SqliteSpanRetention(self)

    @property
    def search_index(self) -> SearchIndex:
        """The full-text index's catch-up indexer (one per store)."""
        index = self.__dict__.get("_search_index")
        if index is None:
            with self._write_lock:
                index = self.__dict__.setdefault("_search_index", SearchIndex(self))
        return index

    def start_background(self, is_idle: Callable[[], bool]) -> None:
        """Checkpoint the WAL off the writer and keep the full-text index caught up while ingest is idle."""
        self.checkpoint_in_background()
        self.search_index.start(is_idle=is_idle)

    def checkpoint_in_background(self) -> None:
        """Checkpoint the WAL from a thread of its own instead of inside the writer's commits (servers)."""
        if self._checkpointer is None:
            self._checkpointer = Checkpointer(self.path)
            with self._write_lock:
                self._writer.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer.start()

    def close(self) -> None:
        index = self.__dict__.get("_search_index")
        if index is not None:
            index.stop()
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        dropped = self.__dict__.pop("_dropped", None)
        if dropped is not None:
            dropped.close()
        with self._write_lock:
            self._writer.close()
        for reader in self._readers:
            reader.close()

    # Internals ---------------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, synchronous=self._synchronous, readonly=True)
            self._local.conn = conn
            self._readers.append(conn)
        return conn

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self._translate_errors():
            return self._reader().execute(sql, params).fetchall()

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc


def span_from_row(row: tuple[Any, ...]) -> Span:
    """A stored row back into a ``Span``."""
    (sid, trace_id, parent_id, dotted_order, project, session_id, user_id, run_type, name, start_us, end_us,
     status, status_reason, error, inputs, outputs, metadata, tags, prompt_tokens, completion_tokens,
     total_tokens, cost, cost_details, model, step, reference_example_id, events) = row
    return Span(
        id=sid, trace_id=trace_id, parent_id=parent_id, dotted_order=dotted_order, project=project,
        session_id=session_id, user_id=user_id, run_type=run_type, name=name, start_time=start_us,
        end_time=end_us, status=status, status_reason=status_reason, error=decode_payload(error),
        inputs=decode_payload(inputs), outputs=decode_payload(outputs),
        metadata=msgspec.json.decode(metadata) if metadata else {},
        tags=msgspec.json.decode(tags) if tags else [],
        prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, total_tokens=total_tokens, cost=cost,
        cost_details=msgspec.json.decode(cost_details) if cost_details else None, model=model, step=step,
        reference_example_id=reference_example_id, events=decode_payload(events) or [],
    )


_OUTLINE_COLUMNS = ("id, trace_id, parent_id, project, session_id, user_id, run_type, name, start_us, end_us, status,"
                    " prompt_tokens, completion_tokens, total_tokens, cost, model, step")


def _outline(row: tuple[Any, ...]) -> Span:
    """A payload-free row (``_OUTLINE_COLUMNS``) into a ``Span``."""
    (sid, trace_id, parent_id, project, session_id, user_id, run_type, name, start_us, end_us, status,
     prompt_tokens, completion_tokens, total_tokens, cost, model, step) = row
    return Span(id=sid, trace_id=trace_id, parent_id=parent_id, project=project, session_id=session_id,
                user_id=user_id, run_type=run_type, name=name, start_time=start_us, end_time=end_us, status=status,
                prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, total_tokens=total_tokens,
                cost=cost, model=model, step=step)
