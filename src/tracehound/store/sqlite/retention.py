"""``SqliteSpanRetention``: the span store's deletions for retention and project removal.

Every call is one short write transaction on the store's writer (the lock ingest's group commit
also takes), so the retention job works in small batches and ingest waits at most one batch. A
removed trace's rollup deltas are discarded before commit: the aggregates outlive the raw spans
(a policy removes them separately), which is what "30 days full fidelity, 90 days aggregated" asks.
Deleted rows' pages are reused by later inserts (the file does not shrink without ``VACUUM``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Final

import msgspec

if TYPE_CHECKING:
    from tracehound.store.sqlite.spans import SqliteSpanStore

# A trace is "failed" when any span errored or was interrupted, or its root was flagged to keep
# (``tracehound.keep()`` writes metadata.keep; tail sampling writes metadata.sampling on kept traces).
_FAILED: Final = ("(EXISTS (SELECT 1 FROM spans f WHERE f.trace_id = r.trace_id"
                  " AND f.status IN ('error', 'interrupted'))"
                  " OR json_extract(r.metadata, '$.keep') IS NOT NULL)")


class SqliteSpanRetention:
    """Implements ``SpanRetention`` for ``SqliteSpanStore``."""

    def __init__(self, store: SqliteSpanStore) -> None:
        self._store = store

    def expired_traces(self, project: str, *, before_us: int, failed: bool, limit: int,
                       skip: Collection[str] = ()) -> list[str]:
        sql = (f"SELECT r.trace_id FROM spans r WHERE r.project = ? AND r.start_us < ? AND r.parent_id IS NULL"
               f" AND {'' if failed else 'NOT '}{_FAILED}")
        params: list[Any] = [project, before_us]
        if skip:
            sql += " AND r.trace_id NOT IN (SELECT value FROM json_each(?))"
            params.append(msgspec.json.encode(sorted(skip)).decode())
        sql += " ORDER BY r.start_us LIMIT ?"
        params.append(limit)
        return [row[0] for row in self._store.read_sql(sql, params)]

    def count_expired(self, project: str, *, before_us: int, failed: bool,
                      skip: Collection[str] = ()) -> tuple[int, int]:
        sql = (f"SELECT count(*), coalesce(sum((SELECT count(*) FROM spans c WHERE c.trace_id = r.trace_id)), 0)"
               f" FROM spans r WHERE r.project = ? AND r.start_us < ? AND r.parent_id IS NULL"
               f" AND {'' if failed else 'NOT '}{_FAILED}")
        params: list[Any] = [project, before_us]
        if skip:
            sql += " AND r.trace_id NOT IN (SELECT value FROM json_each(?))"
            params.append(msgspec.json.encode(sorted(skip)).decode())
        traces, spans = self._store.read_sql(sql, params)[0]
        return int(traces), int(spans)

    def delete_traces(self, trace_ids: Sequence[str]) -> int:
        if not trace_ids:
            return 0
        marks = ", ".join("?" * len(trace_ids))
        with self._store.write_transaction() as conn:
            conn.execute(f"DELETE FROM feedback WHERE run_id IN (SELECT id FROM spans WHERE trace_id IN ({marks}))",
                         list(trace_ids))
            removed = conn.execute(f"DELETE FROM spans WHERE trace_id IN ({marks})", list(trace_ids)).rowcount
            conn.execute("DELETE FROM rollup_delta")  # only this delete's deltas: every write folds before commit
        return int(removed)

    def drop_payloads(self, project: str, *, from_us: int, before_us: int, limit: int,
                      skip: Collection[str] = ()) -> tuple[int, int | None]:
        params: list[Any] = [project, from_us, before_us]
        skip_sql = ""
        if skip:
            skip_sql = " AND trace_id NOT IN (SELECT value FROM json_each(?))"
            params.append(msgspec.json.encode(sorted(skip)).decode())
        rows = self._store.read_sql(
            f"SELECT seq, start_us FROM spans WHERE project = ? AND start_us >= ? AND start_us < ?{skip_sql}"
            " AND (inputs IS NOT NULL OR outputs IS NOT NULL OR events IS NOT NULL) ORDER BY start_us LIMIT ?",
            [*params, limit])
        if not rows:
            return 0, None
        seqs = [row[0] for row in rows]
        with self._store.write_transaction() as conn:
            changed = conn.execute(f"UPDATE spans SET inputs = NULL, outputs = NULL, events = NULL"
                                   f" WHERE seq IN ({', '.join('?' * len(seqs))})", seqs).rowcount
        return int(changed), int(rows[-1][1])

    def count_payloads(self, project: str, *, from_us: int, before_us: int, skip: Collection[str] = ()) -> int:
        params: list[Any] = [project, from_us, before_us]
        skip_sql = ""
        if skip:
            skip_sql = " AND trace_id NOT IN (SELECT value FROM json_each(?))"
            params.append(msgspec.json.encode(sorted(skip)).decode())
        return int(self._store.read_sql(
            f"SELECT count(*) FROM spans WHERE project = ? AND start_us >= ? AND start_us < ?{skip_sql}"
            " AND (inputs IS NOT NULL OR outputs IS NOT NULL OR events IS NOT NULL)", params)[0][0])

    def delete_rollups(self, project: str, *, before_us: int, dry_run: bool = False) -> int:
        where = "project = ? AND bucket_us + width_us <= ?"
        if dry_run:
            return int(self._store.read_sql(f"SELECT count(*) FROM rollups WHERE {where}", [project, before_us])[0][0])
        with self._store.write_transaction() as conn:
            return int(conn.execute(f"DELETE FROM rollups WHERE {where}", (project, before_us)).rowcount)

    def delete_project_spans(self, project: str, *, limit: int) -> int:
        with self._store.write_transaction() as conn:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (seq INTEGER PRIMARY KEY, id TEXT)")
            conn.execute("DELETE FROM doomed")
            conn.execute("INSERT INTO doomed SELECT seq, id FROM spans WHERE project = ? LIMIT ?", (project, limit))
            conn.execute("DELETE FROM feedback WHERE run_id IN (SELECT id FROM doomed)")
            removed = conn.execute("DELETE FROM spans WHERE seq IN (SELECT seq FROM doomed)").rowcount
            conn.execute("DELETE FROM rollup_delta")
            if removed < limit:  # the last batch: the project's aggregates go too
                conn.execute("DELETE FROM rollups WHERE project = ?", (project,))
                conn.execute("DELETE FROM sampling_dropped WHERE project = ?", (project,))
        return int(removed)

    def rename_project_spans(self, old: str, new: str, *, limit: int) -> int:
        with self._store.write_transaction() as conn:
            moved = conn.execute("UPDATE spans SET project = ? WHERE seq IN"
                                 " (SELECT seq FROM spans WHERE project = ? LIMIT ?)", (new, old, limit)).rowcount
            conn.execute("DELETE FROM rollup_delta")  # buckets move whole below, once every span has moved
            if moved < limit:
                conn.execute("UPDATE rollups SET project = ? WHERE project = ?", (new, old))
                conn.execute("UPDATE sampling_dropped SET project = ? WHERE project = ?", (new, old))
        return int(moved)
