"""``spans.rollups`` and ``spans.dropped`` in ClickHouse: bucket reads and sampling-dropped counts.

Buckets live in ``rollups_minute`` and ``rollups_hour`` (AggregatingMergeTree, filled by
materialized views from the store's signed deltas). A window reads whole hours from the hour
table and its ragged minutes from the minute table; sums and ``sumMapMerge`` of the latency bins
happen in ClickHouse, so a 7-day read returns one row per dimension tuple.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tracehound.store.clickhouse.connection import ClickHouse
from tracehound.store.rollups import DIMENSIONS, HOUR_US, MINUTE_US, DroppedCount, RollupFilters, RollupRow

if TYPE_CHECKING:
    from tracehound.store.clickhouse.spans import ClickHouseSpanStore

_KINDS = {"project": "String", "run_type": "String", "name": "String", "model": "String", "status": "String",
          "root": "UInt8"}
_DIMS = "name, model, status, root, project, run_type"


def dimension_where(filters: Mapping[str, Any], params: dict[str, Any]) -> str:
    """``AND``-ed equality conditions on rollup dimensions; a list means any of them."""
    parts = []
    for key, value in filters.items():
        if key not in DIMENSIONS:
            raise ValueError(f"{key!r} is not a rollup dimension ({', '.join(DIMENSIONS)})")
        if value is None:
            continue
        kind = _KINDS[key]
        name = f"d_{key}"
        if isinstance(value, Sequence) and not isinstance(value, str):
            params[name] = [int(v) if key == "root" else (v or "") if key == "model" else v for v in value]
            parts.append(f"{key} IN {{{name}:Array({kind})}}")
        else:
            params[name] = int(value) if key == "root" else (value or "") if key == "model" else value
            parts.append(f"{key} = {{{name}:{kind}}}")
    return " AND ".join(parts) if parts else "1"


def segments(start_us: int, end_us: int) -> list[tuple[str, int, int]]:
    """``(table, first, end)`` ranges covering the window rounded outward to minutes."""
    first = start_us // MINUTE_US * MINUTE_US
    last = -(-end_us // MINUTE_US) * MINUTE_US
    if last <= first:
        return []
    hour_first = -(-first // HOUR_US) * HOUR_US
    hour_last = last // HOUR_US * HOUR_US
    if hour_first >= hour_last:
        return [("rollups_minute", first, last)]
    parts = [("rollups_hour", hour_first, hour_last)]
    if first < hour_first:
        parts.append(("rollups_minute", first, hour_first))
    if hour_last < last:
        parts.append(("rollups_minute", hour_last, last))
    return parts


class ClickHouseRollupReader:
    def __init__(self, store: ClickHouseSpanStore) -> None:
        self._store = store

    def buckets(self, start_us: int, end_us: int, filters: RollupFilters) -> list[RollupRow]:
        params: dict[str, Any] = {}
        where = dimension_where(filters, params)
        parts = []
        for index, (table, first, end) in enumerate(segments(start_us, end_us)):
            params[f"a{index}"], params[f"b{index}"] = first, end
            parts.append(f"SELECT {_DIMS}, calls, prompt_tokens, completion_tokens, total_tokens, cost_nusd,"
                         f" latency_us, bins FROM {table} WHERE bucket_us >= {{a{index}:Int64}}"
                         f" AND bucket_us < {{b{index}:Int64}} AND {where}")
        if not parts:
            return []
        rows = self._store.db.rows(
            f"SELECT {_DIMS}, sum(calls), sum(prompt_tokens), sum(completion_tokens), sum(total_tokens),"
            f" sum(cost_nusd), sum(latency_us), sumMapMerge(bins) FROM ({' UNION ALL '.join(parts)})"
            f" GROUP BY {_DIMS}", params)
        found = []
        for name, model, status, root, project, run_type, calls, pt, ct, tt, cost, latency, (keys, counts) in rows:
            if calls == 0 and not any(counts):
                continue  # every span of this tuple was re-sent into another one
            found.append(RollupRow(name, model, status, bool(root), project, run_type, int(calls), int(pt), int(ct),
                                   int(tt), int(cost), int(latency),
                                   {int(k): int(c) for k, c in zip(keys, counts, strict=True) if c}))
        return found

    def dropped(self, start_us: int, end_us: int, filters: RollupFilters) -> list[DroppedCount]:
        start = start_us // MINUTE_US * MINUTE_US
        end = -(-end_us // MINUTE_US) * MINUTE_US
        if end <= start:
            return []
        root = filters.get("root")
        params: dict[str, Any] = {"a": start, "b": end}
        where = dimension_where({k: v for k, v in filters.items() if k != "root"}, params)
        found = self._store.db.rows(
            "SELECT name, model, status, project, run_type, sum(spans), sum(traces) FROM sampling_dropped"
            f" WHERE minute_us >= {{a:Int64}} AND minute_us < {{b:Int64}} AND {where}"
            " GROUP BY project, run_type, name, model, status", params)
        rows = []
        for name, model, status, project, run_type, spans, traces in found:
            for is_root, calls in ((True, traces), (False, spans - traces)):
                if calls > 0 and (root is None or bool(root) == is_root):
                    rows.append(DroppedCount(name, model, status, is_root, project, run_type, int(calls)))
        return rows

    def dropped_runs(self, start_us: int, end_us: int, *, project: str | None = None,
                     agent: str | None = None) -> dict[str, int]:
        params: dict[str, Any] = {"a": start_us // MINUTE_US * MINUTE_US, "b": end_us}
        where = ["minute_us >= {a:Int64}", "minute_us < {b:Int64}"]
        for column, value in (("project", project), ("name", agent)):
            if value:
                params[column] = value
                where.append(f"{column} = {{{column}:String}}")
        rows = self._store.db.rows(f"SELECT status, sum(traces) AS n FROM sampling_dropped WHERE {' AND '.join(where)}"
                                   " GROUP BY status HAVING n > 0", params)
        return {status: int(count) for status, count in rows}

    def rebuild(self) -> int:
        return self._store.rebuild_rollups()


class ClickHouseDroppedStore:
    """``sampling_dropped`` (SummingMergeTree): adding is an append; reads sum, so merges never matter."""

    _KEYS = ("project", "minute_us", "run_type", "name", "model", "status")

    def __init__(self, db: ClickHouse) -> None:
        self._db = db

    def add_dropped(self, rows: Iterable[Mapping[str, Any]]) -> None:
        values = [(str(r["project"]), int(r["minute_us"]) // MINUTE_US * MINUTE_US, str(r["run_type"]),
                   str(r["name"]), str(r.get("model") or ""), str(r.get("status") or "ok"), int(r["spans"]),
                   int(r.get("traces", 0))) for r in rows]
        self._db.insert("sampling_dropped", values, (*self._KEYS, "spans", "traces"))

    def dropped_counts(self, project: str | None = None, start_us: int | None = None,
                       end_us: int | None = None) -> list[dict[str, Any]]:
        where, params = [], {}
        for clause, name, value in (("project = {project:String}", "project", project),
                                    ("minute_us >= {a:Int64}", "a", start_us), ("minute_us < {b:Int64}", "b", end_us)):
            if value is not None:
                where.append(clause)
                params[name] = value
        rows = self._db.rows(
            f"SELECT {', '.join(self._KEYS)}, sum(spans), sum(traces) FROM sampling_dropped"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + f" GROUP BY {', '.join(self._KEYS)} ORDER BY minute_us, project, run_type, name", params)
        return [dict(zip((*self._KEYS, "spans", "traces"), (*row[:6], int(row[6]), int(row[7])), strict=True))
                for row in rows]

    def close(self) -> None:
        """Shares the span store's connection; closed with it."""
