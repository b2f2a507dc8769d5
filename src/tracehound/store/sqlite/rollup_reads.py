"""``spans.rollups`` in SQLite: bucket reads over the ``rollups`` table and the ``sampling_dropped`` counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracehound.store.rollups import MINUTE_US, DroppedCount, RollupFilters, RollupRow
from tracehound.store.sqlite.rollups import decode_bins, dimension_where, segments

if TYPE_CHECKING:
    from tracehound.store.sqlite.spans import SqliteSpanStore

_COLUMNS = ("name, model, status, root, project, run_type, calls, prompt_tokens, completion_tokens, total_tokens,"
            " cost_nusd, latency_us, bins")


class SqliteRollupReader:
    def __init__(self, store: SqliteSpanStore) -> None:
        self._store = store

    def buckets(self, start_us: int, end_us: int, filters: RollupFilters) -> list[RollupRow]:
        # One indexed range per segment (whole days, then hours, then minutes), glued with UNION ALL.
        parts, params = [], []
        for width, first, end in segments(start_us, end_us):
            dims: list[Any] = []
            where = dimension_where(dict(filters), dims)
            parts.append(f"SELECT {_COLUMNS} FROM rollups WHERE width_us = ? AND bucket_us >= ? AND bucket_us < ?"
                         f" AND {where}")
            params += [width, first, end, *dims]
        if not parts:
            return []
        return [RollupRow(name, model, status, bool(root), project, run_type, calls, pt, ct, tt, cost, latency,
                          decode_bins(blob))
                for name, model, status, root, project, run_type, calls, pt, ct, tt, cost, latency, blob
                in self._store.read_sql(" UNION ALL ".join(parts), params)]

    def dropped(self, start_us: int, end_us: int, filters: RollupFilters) -> list[DroppedCount]:
        start = start_us // MINUTE_US * MINUTE_US
        end = -(-end_us // MINUTE_US) * MINUTE_US
        if end <= start:
            return []
        root = filters.get("root")
        params: list[Any] = [start, end]
        where = dimension_where({k: v for k, v in filters.items() if k != "root"}, params)
        found = self._store.read_sql(
            "SELECT name, model, status, project, run_type, sum(spans), sum(traces) FROM sampling_dropped"
            f" WHERE minute_us >= ? AND minute_us < ? AND {where} GROUP BY project, run_type, name, model, status",
            params)
        rows = []
        for name, model, status, project, run_type, spans, traces in found:
            # A dropped row's ``traces`` are its root spans, so it splits into a root and a non-root part.
            for is_root, calls in ((True, traces), (False, spans - traces)):
                if calls > 0 and (root is None or bool(root) == is_root):
                    rows.append(DroppedCount(name, model, status, is_root, project, run_type, calls))
        return rows

    def dropped_runs(self, start_us: int, end_us: int, *, project: str | None = None,
                     agent: str | None = None) -> dict[str, int]:
        where, params = ["minute_us >= ?", "minute_us < ?", "traces > 0"], [start_us // MINUTE_US * MINUTE_US, end_us]
        for column, value in (("project", project), ("name", agent)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        rows = self._store.read_sql(f"SELECT status, sum(traces) FROM sampling_dropped WHERE {' AND '.join(where)}"
                                    " GROUP BY status", params)
        return {status: count for status, count in rows}

    def rebuild(self) -> int:
        return self._store.rebuild_rollups()
