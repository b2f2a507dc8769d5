"""``spans.runs`` and ``spans.lookups`` in ClickHouse: filtered run pages and the on-call look-ups.

Pages are ordered by ``(start_us, position)``; ``position`` is a 63-bit hash of the span id (unique
in practice, stable, and computable in SQL). The high-water mark is a time: a span whose first
ingest was stamped after it is left out of a listing, so pages stay stable while nodes ingest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

from tracehound.store.clickhouse.filter_sql import compile_filter, trace_condition
from tracehound.store.clickhouse.rows import load
from tracehound.store.filter_ast import Node
from tracehound.store.runs import RunKey, RunSelection, ToolFailure, TraceMatch
from tracehound.timefmt import now_us

if TYPE_CHECKING:
    from tracehound.store.clickhouse.spans import ClickHouseSpanStore

POSITION: Final = "toInt64(bitShiftRight(cityHash64(id), 1))"


def _none_if_empty(text: str) -> Any:
    return load(text) if text else None


# Run field → (column expression, conversion of a non-NULL value).
_FIELDS: Final[dict[str, tuple[str, Any]]] = {
    "id": ("id", None), "trace_id": ("trace_id", None), "parent_id": ("parent_id", None),
    "dotted_order": ("dotted_order", lambda v: v or None), "project": ("project", None),
    "session_id": ("session_id", None), "user_id": ("user_id", None), "run_type": ("run_type", None),
    "name": ("name", None), "start_time": ("start_us", None), "end_time": ("end_us", None),
    "status": ("status", None), "status_reason": ("status_reason", None), "error": ("error", _none_if_empty),
    "inputs": ("inputs", _none_if_empty), "outputs": ("outputs", _none_if_empty),
    "metadata": ("metadata", _none_if_empty), "tags": ("tags", lambda v: list(v) or None),
    "prompt_tokens": ("prompt_tokens", None), "completion_tokens": ("completion_tokens", None),
    "total_tokens": ("total_tokens", None), "cost": ("cost", None),
    "cost_details": ("cost_details", _none_if_empty), "model": ("model", None), "step": ("step", None),
    "reference_example_id": ("reference_example_id", None), "events": ("events", lambda v: load(v, [])),
    "latency_s": ("(end_us - start_us) / 1e6", None), "is_root": ("parent_id IS NULL", bool),
}


def selection_where(selection: RunSelection, params: dict[str, Any]) -> list[str]:
    """The conditions over ``spans FINAL`` for a selection (values added to ``params``)."""
    where: list[str] = []
    if selection.projects:
        params["sel_projects"] = list(selection.projects)
        where.append("project IN {sel_projects:Array(String)}")
    if selection.run_types:
        params["sel_types"] = list(selection.run_types)
        where.append("run_type IN {sel_types:Array(String)}")
    if selection.is_root is not None:
        where.append(f"parent_id IS {'' if selection.is_root else 'NOT '}NULL")
    if selection.start_us is not None:
        params["sel_start"] = selection.start_us
        where.append("start_us >= {sel_start:Int64}")
    if selection.end_us is not None:
        params["sel_end"] = selection.end_us
        where.append("start_us < {sel_end:Int64}")
    if selection.filter is not None:
        where.append(compile_filter(selection.filter, params))
    if selection.trace_filter is not None:
        where.append(trace_condition(selection.trace_filter, params, roots_only=True))
    if selection.tree_filter is not None:
        where.append(trace_condition(selection.tree_filter, params, roots_only=False))
    return where


class ClickHouseRunReader:
    def __init__(self, store: ClickHouseSpanStore) -> None:
        self._store = store

    def high_water(self) -> int:
        return now_us()

    def page(self, selection: RunSelection, *, fields: Sequence[str], order: Literal["desc", "asc"], limit: int,
             mark: int, after: RunKey | None = None) -> list[tuple[RunKey, dict[str, Any]]]:
        params: dict[str, Any] = {"mark": mark, "limit": limit}
        where = ["ingested_us <= {mark:Int64}", *selection_where(selection, params)]
        older = order == "desc"
        if after is not None:
            params.update(after_start=after.start_us, after_pos=after.position)
            lt = "<" if older else ">"
            where.append(f"(start_us {lt} {{after_start:Int64}} OR (start_us = {{after_start:Int64}}"
                         f" AND {POSITION} {lt} {{after_pos:Int64}}))")
        direction = "DESC" if older else "ASC"
        # Keys first, columns after: the sort moves a few integers per candidate, and only the page's
        # rows have their payload columns read.
        keys = self._store.db.rows(
            f"SELECT id, project, start_us, {POSITION} AS pos FROM spans FINAL WHERE {' AND '.join(where)}"
            f" ORDER BY start_us {direction}, pos {direction} LIMIT {{limit:UInt64}}", params)
        if not keys:
            return []
        names = tuple(fields)
        columns = ", ".join(["id", *(_FIELDS[name][0] for name in names)])
        rows = {row[0]: row[1:] for row in self._store._by_keys([key[:3] for key in keys], columns=columns)}
        return [(RunKey(start, pos), _run(rows[sid], names)) for sid, _, start, pos in keys if sid in rows]


def _run(values: Sequence[Any], names: tuple[str, ...]) -> dict[str, Any]:
    run: dict[str, Any] = {}
    for name, value in zip(names, values, strict=True):
        convert = _FIELDS[name][1]
        run[name] = value if value is None or convert is None else convert(value)
        if name == "events" and run[name] is None:
            run[name] = []
    return run


class ClickHouseLookupReader:
    def __init__(self, store: ClickHouseSpanStore) -> None:
        self._store = store

    def find_traces(self, condition: Node, limit: int) -> list[TraceMatch]:
        db = self._store.db
        params: dict[str, Any] = {}
        where = compile_filter(condition, params)
        window = limit * 16
        while True:
            rows = db.rows(f"SELECT trace_id FROM spans FINAL WHERE {where} ORDER BY start_us DESC,"
                           f" {POSITION} DESC LIMIT {{w:UInt64}}", {**params, "w": window})
            ids = list(dict.fromkeys(row[0] for row in rows))
            if len(ids) >= limit or len(rows) < window:
                ids = ids[:limit]
                break
            window *= 4
        if not ids:
            return []
        params["ids"] = ids
        matched = dict(db.rows(f"SELECT trace_id, count() FROM spans FINAL WHERE trace_id IN {{ids:Array(UUID)}}"
                               f" AND {where} GROUP BY trace_id", params))
        totals = {row[0]: row[1:] for row in db.rows(
            "SELECT trace_id, count(), countIf(status = 'error'), min(start_us), max(end_us) FROM spans FINAL"
            " WHERE trace_id IN {ids:Array(UUID)} GROUP BY trace_id", {"ids": ids})}
        roots = {row[0]: row[1:] for row in db.rows(
            "SELECT trace_id, id, name, project, session_id, user_id, status, start_us, end_us FROM spans FINAL"
            " WHERE trace_id IN {ids:Array(UUID)} AND parent_id IS NULL", {"ids": ids})}
        found = []
        for trace_id in ids:
            count, errors, first_us, last_us = totals[trace_id]
            root_id, name, project, session, user, status, start_us, end_us = roots.get(
                trace_id, (None, None, None, None, None, None, first_us, last_us))
            found.append(TraceMatch(trace_id, root_id, name, project, session, user, status, start_us, end_us,
                                    int(count), int(errors), int(matched.get(trace_id, 0))))
        return found

    def tool_failures(self, tool: str, since_us: int, project: str | None = None) -> list[ToolFailure]:
        sql = ("SELECT trace_id, session_id, user_id, start_us, error FROM spans FINAL WHERE run_type = 'tool'"
               " AND name = {tool:String} AND status = 'error' AND start_us >= {since:Int64}")
        params: dict[str, Any] = {"tool": tool, "since": since_us}
        if project is not None:
            sql += " AND project = {project:String}"
            params["project"] = project
        return [ToolFailure(trace_id, session_id, user_id, start_us, load(error))
                for trace_id, session_id, user_id, start_us, error
                in self._store.db.rows(sql + " ORDER BY start_us DESC, ingested_us DESC", params)]
