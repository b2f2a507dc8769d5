"""``spans.analytics`` in ClickHouse: the raw-span reads of metrics, the alert evaluator and backtests.

Joins of a root with its trace are two grouped reads joined in Python: ClickHouse answers each
with one scan, and the result sets are per-run, so the join is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracehound.model import Span
from tracehound.store.analytics import RunTotals, TokenGroup
from tracehound.store.clickhouse import rows as R
from tracehound.store.clickhouse.rows import load

if TYPE_CHECKING:
    from tracehound.store.clickhouse.spans import ClickHouseSpanStore


def json_value(raw: str) -> Any:
    """A raw JSON value extracted by ``JSONExtractRaw`` (``""`` when the key is missing) as Python."""
    return load(raw) if raw else None


def _sort_key(value: Any) -> tuple[int, Any]:
    """SQLite's order of values: NULL, numbers, text (anything else as its JSON text)."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, R._encode(value).decode())


class ClickHouseSpanAnalytics:
    def __init__(self, store: ClickHouseSpanStore) -> None:
        self._store = store

    def _trace_sums(self, roots_sql: str, params: dict[str, Any]) -> dict[str, tuple[int, int, int, float]]:
        """Per trace of the roots query: spans, llm spans, their tokens, cost."""
        return {row[0]: row[1:] for row in self._store.db.rows(
            "SELECT trace_id, count(), countIf(run_type = 'llm'), sumIf(ifNull(total_tokens, 0), run_type = 'llm'),"
            f" sum(ifNull(cost, 0)) FROM spans FINAL WHERE trace_id IN (SELECT trace_id FROM ({roots_sql}))"
            " GROUP BY trace_id", params)}

    def run_totals(self, start_us: int, end_us: int, *, project: str | None = None, agent: str | None = None,
                   task_key: str | None = None) -> list[RunTotals]:
        params: dict[str, Any] = {"a": start_us, "b": end_us, "key": task_key or ""}
        where = ["parent_id IS NULL", "start_us >= {a:Int64}", "start_us < {b:Int64}"]
        if project:
            where.append("project = {project:String}")
            params["project"] = project
        if agent:
            where.append("name = {agent:String}")
            params["agent"] = agent
        by_session = not task_key or task_key == "session"
        roots_sql = (f"SELECT trace_id, name, status, start_us, JSONExtractRaw(metadata, {{key:String}}) AS task,"
                     f" session_id, ifNull(total_tokens, 0) AS own FROM spans FINAL WHERE {' AND '.join(where)}")
        roots = self._store.db.rows(roots_sql + " ORDER BY start_us, id", params)
        sums = self._trace_sums(roots_sql, params)
        totals = []
        for trace_id, name, status, start, task, session_id, own in roots:
            steps, llm_spans, tokens, cost = sums.get(trace_id, (1, 0, 0, 0.0))
            totals.append(RunTotals(trace_id, name, status, start, session_id if by_session else json_value(task),
                                    session_id, int(steps), int(tokens) if llm_spans else None, float(cost), int(own)))
        return totals

    def tokens_by(self, start_us: int, end_us: int, key: str, *, project: str | None = None,
                  run_type: str = "llm") -> list[TokenGroup]:
        group = "ifNull(model, '')" if key == "model" else "JSONExtractRaw(metadata, {key:String})"
        params: dict[str, Any] = {"key": key, "rt": run_type, "a": start_us, "b": end_us}
        where = "run_type = {rt:String} AND start_us >= {a:Int64} AND start_us < {b:Int64}"
        if project:
            where += " AND project = {project:String}"
            params["project"] = project
        rows = self._store.db.rows(
            f"SELECT {group} AS k, count(), sum(ifNull(total_tokens, 0)), sum(ifNull(cost, 0)) FROM spans FINAL"
            f" WHERE {where} GROUP BY k", params)
        groups = [TokenGroup((k or None) if key == "model" else json_value(k), int(n), int(tokens), float(cost))
                  for k, n, tokens, cost in rows]
        return sorted(groups, key=lambda g: _sort_key(g.key))

    def evidence_traces(self, name: str, start_us: int, end_us: int, *, errors: bool, limit: int = 10) -> list[str]:
        order = "start_us DESC" if errors else "(end_us - start_us) DESC"
        status = " AND status = 'error'" if errors else ""
        return [t for (t,) in self._store.db.rows(
            f"SELECT trace_id FROM spans FINAL WHERE name = {{n:String}} AND start_us >= {{a:Int64}}"
            f" AND start_us < {{b:Int64}}{status} AND end_us IS NOT NULL ORDER BY {order} LIMIT {{l:UInt64}}",
            {"n": name, "a": start_us, "b": end_us, "l": limit})]

    def recent_run_tokens(self, agent: str, *, exclude_trace_id: str, since_us: int, limit: int) -> list[int]:
        params = {"agent": agent, "x": exclude_trace_id, "since": since_us, "l": limit}
        roots_sql = ("SELECT trace_id, start_us FROM spans FINAL WHERE parent_id IS NULL AND name = {agent:String}"
                     " AND toString(trace_id) != {x:String} AND start_us >= {since:Int64}"
                     " ORDER BY start_us DESC LIMIT {l:UInt64}")
        roots = self._store.db.rows(roots_sql, params)
        sums = self._trace_sums(roots_sql, params)
        return [int(sums[trace_id][2]) if trace_id in sums else 0 for trace_id, _ in roots]

    def spans_ended_between(self, after_us: int, until_us: int) -> list[Span]:
        return [R.to_span(row) for row in self._store.db.rows(
            f"SELECT {R.SELECT} FROM spans FINAL WHERE end_us > {{a:Int64}} AND end_us <= {{b:Int64}}"
            " ORDER BY end_us", {"a": after_us, "b": until_us})]
