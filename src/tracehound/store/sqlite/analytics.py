"""``spans.analytics`` in SQLite: the raw-span reads of metrics, the alert evaluator and backtests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracehound.model import Span
from tracehound.store.analytics import RunTotals, TokenGroup

if TYPE_CHECKING:
    from tracehound.store.sqlite.spans import SqliteSpanStore


class SqliteSpanAnalytics:
    def __init__(self, store: SqliteSpanStore) -> None:
        self._store = store

    def run_totals(self, start_us: int, end_us: int, *, project: str | None = None, agent: str | None = None,
                   task_key: str | None = None) -> list[RunTotals]:
        where, params = ["r.parent_id IS NULL", "r.start_us >= ?", "r.start_us < ?"], [start_us, end_us]
        if project:
            where.append("r.project = ?")
            params.append(project)
        if agent:
            where.append("r.name = ?")
            params.append(agent)
        by_session = not task_key or task_key == "session"
        task = "r.session_id" if by_session else "json_extract(r.metadata, ?)"
        task_params = [] if by_session else [f"$.{task_key}"]
        sql = (f"SELECT r.trace_id, r.name, r.status, r.start_us, {task}, r.session_id, count(s.id),"
               " sum(coalesce(s.total_tokens, 0)) FILTER (WHERE s.run_type = 'llm'), sum(coalesce(s.cost, 0)),"
               " coalesce(r.total_tokens, 0)"
               f" FROM spans AS r JOIN spans AS s ON s.trace_id = r.trace_id WHERE {' AND '.join(where)}"
               " GROUP BY r.id ORDER BY r.start_us")
        return [RunTotals(*row) for row in self._store.read_sql(sql, [*task_params, *params])]

    def tokens_by(self, start_us: int, end_us: int, key: str, *, project: str | None = None,
                  run_type: str = "llm") -> list[TokenGroup]:
        group = "coalesce(model, '')" if key == "model" else "json_extract(metadata, ?)"
        params: list[Any] = [] if key == "model" else [f"$.{key}"]
        where = "run_type = ? AND start_us >= ? AND start_us < ?"
        params += [run_type, start_us, end_us]
        if project:
            where += " AND project = ?"
            params.append(project)
        rows = self._store.read_sql(
            f"SELECT {group} AS k, count(*), sum(coalesce(total_tokens, 0)), sum(coalesce(cost, 0))"
            f" FROM spans WHERE {where} GROUP BY k ORDER BY k", params)
        return [TokenGroup(k if k != "" else None, n, tokens, cost) for k, n, tokens, cost in rows]

    def evidence_traces(self, name: str, start_us: int, end_us: int, *, errors: bool, limit: int = 10) -> list[str]:
        order = "start_us DESC" if errors else "end_us - start_us DESC"
        status = " AND status = 'error'" if errors else ""
        return [t for (t,) in self._store.read_sql(
            f"SELECT trace_id FROM spans WHERE name = ? AND start_us >= ? AND start_us < ?{status}"
            f" AND end_us IS NOT NULL ORDER BY {order} LIMIT ?", (name, start_us, end_us, limit))]

    def recent_run_tokens(self, agent: str, *, exclude_trace_id: str, since_us: int, limit: int) -> list[int]:
        return [t for (t,) in self._store.read_sql(
            "SELECT (SELECT coalesce(sum(total_tokens), 0) FROM spans AS s WHERE s.trace_id = r.trace_id"
            " AND s.run_type = 'llm') FROM spans AS r WHERE r.parent_id IS NULL AND r.name = ? AND r.trace_id != ?"
            " AND r.start_us >= ? ORDER BY r.start_us DESC LIMIT ?", (agent, exclude_trace_id, since_us, limit))]

    def spans_ended_between(self, after_us: int, until_us: int) -> list[Span]:
        from tracehound.store.sqlite.spans import SPAN_COLUMNS, span_from_row

        return [span_from_row(row) for row in self._store.read_sql(
            f"SELECT {SPAN_COLUMNS} FROM spans WHERE end_us > ? AND end_us <= ? ORDER BY end_us",
            (after_us, until_us))]
