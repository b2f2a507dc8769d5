"""``ClickHouseSpanStore``: spans, their rollups and look-ups in ClickHouse (a server, or chDB in process).

Writing a batch is a read and two appends: the stored versions of the batch's ids (one primary-key
read of ``span_keys``, one of ``spans``), merged in Python; the merged rows appended to ``spans``
with a higher version (materialized views keep ``span_keys``/``trace_keys``); the signed rollup
deltas appended to ``rollup_delta``. Both inserts are synchronous, so ``upsert_rows`` returns only
once ClickHouse holds the rows. Reads use ``FINAL``, so they see one merged row per span whether
or not ClickHouse has merged the parts yet.

Two nodes writing the *same* span id at the same moment can each miss the other's version; the
row is still one span once merged (the higher version wins), but its rollup may count twice until
``rollups.rebuild()``. Different spans, the normal case of many nodes, never interact.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from tracehound.model import Span
from tracehound.store.base import SpanCriteria, TreeNode, Turn
from tracehound.store.clickhouse import rows as R
from tracehound.store.clickhouse.connection import ClickHouse
from tracehound.store.clickhouse.schema import migrate
from tracehound.store.payload import DEFAULT_CAP_BYTES
from tracehound.store.trees import tree_order
from tracehound.timefmt import now_us

_CHUNK = 5000
_OUTLINE = ("id, trace_id, parent_id, project, session_id, user_id, run_type, name, start_us, end_us, status,"
            " prompt_tokens, completion_tokens, total_tokens, cost, model, step")


class ClickHouseSpanStore:
    """Implements ``SpanStore`` over one ClickHouse database. Thread-safe; one writer at a time per node."""

    def __init__(self, url: str, *, payload_cap_bytes: int = DEFAULT_CAP_BYTES) -> None:
        self.url = url
        self.payload_cap_bytes = payload_cap_bytes
        self.db = ClickHouse(url)
        migrate(self.db)
        self._write_lock = threading.Lock()
        self._last_version = 0
        from tracehound.store.clickhouse.analytics import ClickHouseSpanAnalytics
        from tracehound.store.clickhouse.costs import ClickHouseCostStore
        from tracehound.store.clickhouse.detectors import ClickHouseDetectorQueries
        from tracehound.store.clickhouse.rollups import ClickHouseDroppedStore, ClickHouseRollupReader
        from tracehound.store.clickhouse.runs import ClickHouseLookupReader, ClickHouseRunReader

        self.runs = ClickHouseRunReader(self)
        self.lookups = ClickHouseLookupReader(self)
        self.rollups = ClickHouseRollupReader(self)
        self.analytics = ClickHouseSpanAnalytics(self)
        self.detectors = ClickHouseDetectorQueries(self)
        self.dropped = ClickHouseDroppedStore(self.db)
        self.costs = ClickHouseCostStore(self)

    # Writing ----------------------------------------------------------------------------------

    def to_row(self, span: Span, ingested_us: int) -> tuple[Any, ...]:
        return R.to_row(span, ingested_us, self.payload_cap_bytes)

    def upsert(self, spans: Sequence[Span]) -> None:
        stamp = now_us()
        self.upsert_rows([self.to_row(span, stamp) for span in spans])

    def upsert_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Merge with stored versions, then append spans and rollup deltas (both synchronous inserts)."""
        if not rows:
            return
        with self._write_lock:
            stored = self._stored([row[0] for row in rows])
            version = self._next_version(max((v for _, v in stored.values()), default=0))
            out: list[tuple[Any, ...]] = []
            deltas: list[tuple[Any, ...]] = []
            latest: dict[str, tuple[Any, ...]] = {}
            for row in rows:
                span_id = row[0]
                previous = latest.get(span_id) or (stored[span_id][0] if span_id in stored else None)
                merged = row if previous is None else R.merge(previous, row)
                if previous is not None:
                    if (previous[R.COL["project"]], previous[R.COL["start_us"]]) != (merged[R.COL["project"]],
                                                                                  merged[R.COL["start_us"]]):
                        out.append((*previous, version - 1, 1))  # the old sort key's tombstone
                    if R.rollup_key(previous) == R.rollup_key(merged):
                        latest[span_id] = merged
                        out.append((*merged, version, 0))
                        continue
                    old = R.delta(previous, -1)
                    if old is not None:
                        deltas.append(old)
                new = R.delta(merged, 1)
                if new is not None:
                    deltas.append(new)
                latest[span_id] = merged
                out.append((*merged, version, 0))
            # Only the last version of an id in this batch matters to ReplacingMergeTree; keep them all
            # anyway (same version, later wins) would be ambiguous, so write one row per id and key.
            unique: dict[tuple[Any, ...], tuple[Any, ...]] = {}
            for row in out:
                unique[(row[0], row[R.COL["project"]], row[R.COL["start_us"]])] = row
            self.db.insert("spans", list(unique.values()), R.INSERT_COLUMNS)
            self.db.insert("rollup_delta", deltas, R.DELTA_COLUMNS)

    def _next_version(self, floor: int) -> int:
        """A version above every stored one and every one this process gave (nanoseconds, so nodes agree)."""
        version = max(time.time_ns(), floor + 2, self._last_version + 2)
        self._last_version = version
        return version

    def _stored(self, ids: Sequence[str]) -> dict[str, tuple[tuple[Any, ...], int]]:
        """The stored row and version of each known id."""
        found: dict[str, tuple[tuple[Any, ...], int]] = {}
        unique = sorted(set(ids))
        for first in range(0, len(unique), _CHUNK):
            chunk = unique[first:first + _CHUNK]
            keys = self.db.rows("SELECT id, project, start_us FROM span_keys FINAL WHERE id IN {ids:Array(UUID)}",
                                {"ids": chunk})
            if not keys:
                continue
            for row in self._by_keys(keys, columns=f"{', '.join(R.COLUMNS)}, version"):
                found[row[0]] = (tuple(row[:-1]), row[-1])
        return found

    def _by_keys(self, keys: Sequence[tuple[Any, ...]], *, columns: str = R.SELECT,
                 order: str = "") -> list[tuple[Any, ...]]:
        """Rows of spans by their sort keys ``(id, project, start_us)``: a primary-key read."""
        if not keys:
            return []
        projects = sorted({key[1] for key in keys})
        starts = sorted({key[2] for key in keys})
        ids = sorted({key[0] for key in keys})
        return self.db.rows(
            f"SELECT {columns} FROM spans FINAL WHERE project IN {{p:Array(String)}} AND start_us IN {{s:Array(Int64)}}"
            f" AND id IN {{i:Array(UUID)}}{order}", {"p": projects, "s": starts, "i": ids})

    # Reading ----------------------------------------------------------------------------------

    def get_span(self, span_id: str) -> Span | None:
        keys = self.db.rows("SELECT id, project, start_us FROM span_keys FINAL WHERE id = {i:UUID}", {"i": span_id})
        rows = self._by_keys(keys)
        return R.to_span(rows[0]) if rows else None

    def _trace_rows(self, trace_id: str, columns: str) -> list[tuple[Any, ...]]:
        keys = self.db.rows("SELECT id, project, start_us FROM trace_keys FINAL WHERE trace_id = {t:UUID}",
                            {"t": trace_id})
        if not keys:
            return []
        projects = sorted({key[1] for key in keys})
        return self.db.rows(
            f"SELECT {columns} FROM spans FINAL WHERE project IN {{p:Array(String)}} AND start_us >= {{a:Int64}}"
            " AND start_us <= {b:Int64} AND trace_id = {t:UUID} ORDER BY start_us, id",
            {"p": projects, "a": min(key[2] for key in keys), "b": max(key[2] for key in keys), "t": trace_id})

    def get_trace(self, trace_id: str) -> list[TreeNode]:
        return tree_order([R.to_span(row) for row in self._trace_rows(trace_id, R.SELECT)])

    def get_trace_outline(self, trace_id: str) -> list[TreeNode]:
        spans = []
        for (sid, trace, parent, project, session, user, run_type, name, start, end, status, pt, ct, tt, cost,
             model, step) in self._trace_rows(trace_id, _OUTLINE):
            spans.append(Span(id=sid, trace_id=trace, parent_id=parent, project=project, session_id=session,
                              user_id=user, run_type=run_type, name=name, start_time=start, end_time=end,
                              status=status, prompt_tokens=pt, completion_tokens=ct, total_tokens=tt, cost=cost,
                              model=model, step=step))
        return tree_order(spans)

    def trace_totals(self, trace_ids: Sequence[str]) -> dict[str, tuple[int, int, int, float]]:
        ids = sorted(set(trace_ids))
        totals: dict[str, tuple[int, int, int, float]] = {}
        for first in range(0, len(ids), _CHUNK):
            for trace_id, count, errors, tokens, own, cost in self.db.rows(
                    "SELECT trace_id, count(), countIf(status = 'error'),"
                    " sumIf(ifNull(total_tokens, 0), run_type = 'llm'),"
                    " sumIf(ifNull(total_tokens, 0), parent_id IS NULL), sum(ifNull(cost, 0))"
                    " FROM spans FINAL WHERE trace_id IN {t:Array(UUID)} GROUP BY trace_id",
                    {"t": ids[first:first + _CHUNK]}):
                totals[trace_id] = (int(count), int(errors), int(tokens or own or 0), float(cost))
        return totals

    def list_spans(self, criteria: SpanCriteria) -> list[Span]:
        where, params = [], {}
        for column, kind in (("project", "String"), ("run_type", "String"), ("name", "String"),
                             ("session_id", "String"), ("user_id", "String"), ("trace_id", "UUID"),
                             ("status", "String")):
            value = getattr(criteria, column)
            if value is not None:
                where.append(f"{column} = {{{column}:{kind}}}")
                params[column] = value
        if criteria.is_root is not None:
            where.append("parent_id IS NULL" if criteria.is_root else "parent_id IS NOT NULL")
        if criteria.start_us is not None:
            where.append("start_us >= {start_us:Int64}")
            params["start_us"] = criteria.start_us
        if criteria.end_us is not None:
            where.append("start_us < {end_us:Int64}")
            params["end_us"] = criteria.end_us
        sql = f"SELECT {R.SELECT} FROM spans FINAL"
        if where:
            sql += " WHERE " + " AND ".join(where)
        params["limit"] = criteria.limit
        return [R.to_span(row) for row in self.db.rows(sql + " ORDER BY start_us DESC, id LIMIT {limit:UInt64}",
                                                       params)]

    def session_turns(self, session_id: str, project: str | None = None) -> list[Turn]:
        sql = f"SELECT {R.SELECT} FROM spans FINAL WHERE session_id = {{s:String}} AND parent_id IS NULL"
        params: dict[str, Any] = {"s": session_id}
        if project is not None:
            sql += " AND project = {p:String}"
            params["p"] = project
        roots = [R.to_span(row) for row in self.db.rows(sql + " ORDER BY start_us, id", params)]
        if not roots:
            return []
        totals = self.trace_totals([root.trace_id for root in roots])
        turns = []
        for root in roots:
            count, errors, tokens, cost = totals.get(root.trace_id, (1, 0, 0, 0.0))
            turns.append(Turn(root=root, span_count=count, error_count=errors,
                              total_tokens=tokens or root.total_tokens or 0, cost=cost))
        return turns

    def trace_ids_of(self, span_ids: Sequence[str]) -> dict[str, str]:
        ids = sorted(set(span_ids))
        found: dict[str, str] = {}
        for first in range(0, len(ids), _CHUNK):
            found.update(self.db.rows("SELECT id, trace_id FROM span_keys FINAL WHERE id IN {i:Array(UUID)}",
                                      {"i": ids[first:first + _CHUNK]}))
        return found

    def delete_project(self, project: str) -> int:
        """Delete the project's spans, keys and rollups (synchronous mutations); returns spans deleted."""
        with self._write_lock:
            (count,) = self.db.rows("SELECT count() FROM spans FINAL WHERE project = {p:String}", {"p": project})[0]
            for table in ("spans", "span_keys", "trace_keys", "rollups_minute", "rollups_hour", "sampling_dropped"):
                self.db.command(f"ALTER TABLE {table} DELETE WHERE project = {{p:String}} SETTINGS mutations_sync = 2",
                                {"p": project})
        return int(count)

    def count(self) -> int:
        return int(self.db.rows("SELECT count() FROM span_keys FINAL")[0][0])

    def rebuild_rollups(self) -> int:
        """Recompute every rollup bucket from the stored spans; returns spans counted."""
        from tracehound.store.sketch import LOG_GAMMA_SQL

        with self._write_lock:
            for table in ("rollups_minute", "rollups_hour"):
                self.db.command(f"TRUNCATE TABLE {table}")
            self.db.command(
                "INSERT INTO rollup_delta SELECT start_us, project, run_type, name, ifNull(model, ''), status,"
                f" parent_id IS NULL, toInt16(ceil(log(greatest(end_us - start_us, 1)) / {LOG_GAMMA_SQL})), 1,"
                " ifNull(prompt_tokens, 0), ifNull(completion_tokens, 0), ifNull(total_tokens, 0),"
                " toInt64(round(ifNull(cost, 0) * 1e9)), end_us - start_us FROM spans FINAL WHERE end_us IS NOT NULL")
            return int(self.db.rows("SELECT count() FROM spans FINAL WHERE end_us IS NOT NULL")[0][0])

    def start_background(self, is_idle: Callable[[], bool]) -> None:
        """Nothing to keep up: ClickHouse merges parts and maintains indexes itself."""

    def close(self) -> None:
        self.db.close()
