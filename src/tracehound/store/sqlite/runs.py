"""``spans.runs`` and ``spans.lookups`` in SQLite: filtered run pages and the on-call look-ups.

Pages are ordered by ``(start_us, seq)`` (``seq`` is the rowid, the ``RunKey.position``); the
high-water mark is the highest ``seq`` committed, so a listing with a mark ignores later spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import msgspec

from tracehound.store.filter_ast import Node
from tracehound.store.payload import decode_payload
from tracehound.store.runs import RunKey, RunSelection, ToolFailure, TraceMatch
from tracehound.store.sqlite.filter_sql import compile_filter, trace_condition, uses_search_index

if TYPE_CHECKING:
    from tracehound.store.sqlite.spans import SqliteSpanStore

_json = msgspec.json.decode
# Run field → (SQL expression over `s`, how the stored value becomes the model value; applied when not NULL).
_FIELDS: Final[dict[str, tuple[str, Any]]] = {
    "id": ("s.id", None), "trace_id": ("s.trace_id", None), "parent_id": ("s.parent_id", None),
    "dotted_order": ("s.dotted_order", None), "project": ("s.project", None), "session_id": ("s.session_id", None),
    "user_id": ("s.user_id", None), "run_type": ("s.run_type", None), "name": ("s.name", None),
    "start_time": ("s.start_us", None), "end_time": ("s.end_us", None), "status": ("s.status", None),
    "status_reason": ("s.status_reason", None), "error": ("s.error", decode_payload),
    "inputs": ("s.inputs", decode_payload), "outputs": ("s.outputs", decode_payload),
    "metadata": ("s.metadata", lambda v: _json(v) if v else {}),
    "tags": ("s.tags", lambda v: _json(v) if v else []),
    "prompt_tokens": ("s.prompt_tokens", None), "completion_tokens": ("s.completion_tokens", None),
    "total_tokens": ("s.total_tokens", None), "cost": ("s.cost", None),
    "cost_details": ("s.cost_details", lambda v: _json(v) if v else None), "model": ("s.model", None),
    "step": ("s.step", None), "reference_example_id": ("s.reference_example_id", None),
    "events": ("s.events", lambda v: decode_payload(v) or []),
    "latency_s": ("(s.end_us - s.start_us) / 1e6", None), "is_root": ("s.parent_id IS NULL", bool),
}
_EMPTY: Final = {"events": []}


class SqliteRunReader:
    def __init__(self, store: SqliteSpanStore) -> None:
        self._store = store

    def high_water(self) -> int:
        return int(self._store.read_sql("SELECT coalesce(max(seq), 0) FROM spans", ())[0][0])

    def page(self, selection: RunSelection, *, fields: Sequence[str], order: Literal["desc", "asc"], limit: int,
             mark: int, after: RunKey | None = None) -> list[tuple[RunKey, dict[str, Any]]]:
        where, params = selection_where(self._store, selection)
        where.insert(0, "s.seq <= ?")
        params.insert(0, mark)
        older = order == "desc"
        if after is not None:
            where.append(f"s.start_us {'<=' if older else '>='} ? AND (s.start_us {'<' if older else '>'} ?"
                         f" OR s.seq {'<' if older else '>'} ?)")
            params.extend((after.start_us, after.start_us, after.position))
        direction = "DESC" if older else "ASC"
        # Keys first, columns after: a sort (a search's matches ordered by time) then moves two integers
        # per candidate instead of whole rows, and only the page's rows are read in full.
        keys = self._store.read_sql(f"SELECT s.start_us, s.seq FROM spans AS s WHERE {' AND '.join(where)}"
                                    f" ORDER BY s.start_us {direction}, s.seq {direction} LIMIT ?", [*params, limit])
        runs = self._fetch([seq for _, seq in keys], tuple(fields))
        return [(RunKey(start, seq), runs[seq]) for start, seq in keys if seq in runs]

    def _fetch(self, seqs: list[int], fields: tuple[str, ...]) -> dict[int, dict[str, Any]]:
        if not seqs:
            return {}
        columns = ", ".join(_FIELDS[name][0] for name in fields)
        rows = self._store.read_sql(
            f"SELECT s.seq, {columns} FROM spans AS s WHERE s.seq IN ({', '.join('?' * len(seqs))})", seqs)
        return {row[0]: _run(row[1:], fields) for row in rows}


def _run(values: tuple[Any, ...], fields: tuple[str, ...]) -> dict[str, Any]:
    run = {}
    for name, value in zip(fields, values, strict=True):
        convert = _FIELDS[name][1]
        if value is None:
            run[name] = _EMPTY.get(name)
            continue
        run[name] = convert(value) if convert is not None else value
    return run


def selection_where(store: SqliteSpanStore, selection: RunSelection) -> tuple[list[str], list[Any]]:
    """The ``WHERE`` conditions over ``spans AS s`` for a selection, and their values.

    When a filter reads the full-text index, the index is caught up first, so a search sees every
    committed span.
    """
    where: list[str] = []
    params: list[Any] = []
    projects = selection.projects
    if projects:
        where.append("s.project = ?" if len(projects) == 1 else f"s.project IN ({', '.join('?' * len(projects))})")
        params.extend(projects)
    if selection.run_types:
        where.append(f"s.run_type IN ({', '.join('?' * len(selection.run_types))})")
        params.extend(selection.run_types)
    if selection.is_root is not None:
        where.append(f"s.parent_id IS {'' if selection.is_root else 'NOT '}NULL")
    if selection.start_us is not None:
        where.append("s.start_us >= ?")
        params.append(selection.start_us)
    if selection.end_us is not None:
        where.append("s.start_us < ?")
        params.append(selection.end_us)
    filters = [(name, node) for name, node in (("filter", selection.filter), ("trace_filter", selection.trace_filter),
                                               ("tree_filter", selection.tree_filter)) if node is not None]
    is_common = _term_check(store, [node for _, node in filters])
    for name, node in filters:
        if name == "filter":
            where.append(compile_filter(node, "s", params, is_common=is_common))
        else:
            where.append(trace_condition(node, "s", params, roots_only=name == "trace_filter", is_common=is_common))
    return where, params


def _term_check(store: SqliteSpanStore, nodes: Sequence[Node]) -> Any:
    if any(uses_search_index(node) for node in nodes):
        store.search_index.catch_up()
        return store.search_index.is_common
    return None


class SqliteLookupReader:
    def __init__(self, store: SqliteSpanStore) -> None:
        self._store = store

    def find_traces(self, condition: Node, limit: int) -> list[TraceMatch]:
        store = self._store
        params: list[Any] = []
        where = compile_filter(condition, "s", params, is_common=_term_check(store, [condition]))
        ids = self._recent_traces(where, params, limit)
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        matched = dict(store.read_sql(
            f"SELECT s.trace_id, count(*) FROM spans AS s WHERE s.trace_id IN ({marks}) AND {where}"
            " GROUP BY s.trace_id", [*ids, *params]))
        totals = {row[0]: row[1:] for row in store.read_sql(
            f"SELECT trace_id, count(*), sum(status = 'error'), min(start_us), max(end_us) FROM spans"
            f" WHERE trace_id IN ({marks}) GROUP BY trace_id", ids)}
        roots = {row[0]: row[1:] for row in store.read_sql(
            f"SELECT trace_id, id, name, project, session_id, user_id, status, start_us, end_us FROM spans"
            f" WHERE trace_id IN ({marks}) AND parent_id IS NULL", ids)}
        found = []
        for trace_id in ids:
            count, errors, first_us, last_us = totals[trace_id]
            root_id, name, proj, session, user, status, start_us, end_us = roots.get(
                trace_id, (None, None, None, None, None, None, first_us, last_us))
            found.append(TraceMatch(trace_id, root_id, name, proj, session, user, status, start_us, end_us,
                                    count, errors or 0, matched.get(trace_id, 0)))
        return found

    def _recent_traces(self, where: str, params: list[Any], limit: int) -> list[str]:
        """The ``limit`` traces with the latest matching spans, walking matches newest first.

        Reading matches in time order and stopping early keeps a busy user (thousands of spans) as cheap
        as a session; the window grows only when the matches so far span too few traces.
        """
        window = limit * 16
        while True:
            rows = self._store.read_sql(f"SELECT s.trace_id FROM spans AS s WHERE {where}"
                                        " ORDER BY s.start_us DESC, s.seq DESC LIMIT ?", [*params, window])
            ids = list(dict.fromkeys(row[0] for row in rows))
            if len(ids) >= limit or len(rows) < window:
                return ids[:limit]
            window *= 4

    def projects(self) -> list[str]:
        """Every project with spans, by skipping through the (project, start_us) index: one seek each."""
        rows = self._store.read_sql(
            "WITH RECURSIVE p(name) AS (SELECT min(project) FROM spans UNION ALL"
            " SELECT (SELECT min(project) FROM spans WHERE project > p.name) FROM p WHERE p.name IS NOT NULL)"
            " SELECT name FROM p WHERE name IS NOT NULL", ())
        return [row[0] for row in rows]

    def tool_failures(self, tool: str, since_us: int, project: str | None = None) -> list[ToolFailure]:
        sql = ("SELECT trace_id, session_id, user_id, start_us, error FROM spans"
               " WHERE run_type = 'tool' AND name = ? AND status = 'error' AND start_us >= ?")
        params: list[Any] = [tool, since_us]
        projects = [project] if project is not None else self.projects()
        # Naming the projects lets SQLite read (project, run_type, name, start_us) straight from its index
        # instead of every span of the window from the time index (~300 ms over a day at 1M spans).
        sql += f" AND project IN ({', '.join('?' * len(projects))})"
        params.extend(projects)
        return [ToolFailure(trace_id, session_id, user_id, start_us, decode_payload(error))
                for trace_id, session_id, user_id, start_us, error
                in self._store.read_sql(sql + " ORDER BY start_us DESC, seq DESC", params)]
