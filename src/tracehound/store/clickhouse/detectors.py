"""``spans.detectors`` in ClickHouse: the failure detectors' reads, one method per question.

A detector's "turns" are root spans with a session in scope; questions about their traces read the
traces' spans with ``trace_id IN (turns)`` and group in ClickHouse, joining back in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tracehound.store.clickhouse.analytics import json_value
from tracehound.store.clickhouse.rows import load
from tracehound.store.detector_queries import DetectorScope, SessionTotals

if TYPE_CHECKING:
    from tracehound.store.clickhouse.spans import ClickHouseSpanStore

_TURNS = ("SELECT trace_id FROM spans FINAL WHERE parent_id IS NULL AND session_id IS NOT NULL AND {scope}")


def _scope(scope: DetectorScope) -> tuple[str, dict[str, Any]]:
    where, params = "start_us >= {sa:Int64} AND start_us < {sb:Int64}", {"sa": scope.start_us, "sb": scope.end_us}
    if scope.project:
        where += " AND project = {sp:String}"
        params["sp"] = scope.project
    return where, params


class ClickHouseDetectorQueries:
    def __init__(self, store: ClickHouseSpanStore) -> None:
        self._store = store

    def _rows(self, sql: str, params: dict[str, Any]) -> list[Any]:
        return self._store.db.rows(sql, params)

    def _turn_sessions(self, scope: DetectorScope) -> dict[str, str]:
        where, params = _scope(scope)
        return dict(self._rows("SELECT trace_id, session_id FROM spans FINAL WHERE parent_id IS NULL"
                               f" AND session_id IS NOT NULL AND {where}", params))

    def tool_traces(self, scope: DetectorScope, tool: str, limit: int) -> list[str]:
        where, params = _scope(scope)
        return [t for t, _ in self._rows(
            f"SELECT trace_id, max(start_us) AS m FROM spans FINAL WHERE run_type = 'tool' AND name = {{tool:String}}"
            f" AND {where} GROUP BY trace_id ORDER BY m DESC LIMIT {{l:UInt64}}", {**params, "tool": tool, "l": limit})]

    def turn_latencies(self, scope: DetectorScope) -> list[tuple[str, int]]:
        where, params = _scope(scope)
        return [(t, int(latency)) for t, latency in self._rows(
            "SELECT trace_id, end_us - start_us FROM spans FINAL WHERE parent_id IS NULL AND end_us IS NOT NULL"
            f" AND {where}", params)]

    def tool_time_in(self, trace_ids: Sequence[str]) -> list[tuple[str, str, int]]:
        if not trace_ids:
            return []
        return [(t, name, int(total)) for t, name, total in self._rows(
            "SELECT trace_id, name, sum(end_us - start_us) FROM spans FINAL WHERE trace_id IN {t:Array(UUID)}"
            " AND run_type = 'tool' AND end_us IS NOT NULL GROUP BY trace_id, name", {"t": list(trace_ids)})]

    def tool_time(self, scope: DetectorScope) -> dict[str, int]:
        where, params = _scope(scope)
        return {name: int(total) for name, total in self._rows(
            "SELECT name, sum(end_us - start_us) FROM spans FINAL WHERE run_type = 'tool' AND end_us IS NOT NULL"
            f" AND {where} GROUP BY name", params)}

    def metadata_versions(self, scope: DetectorScope, key: str,
                          run_type: str) -> list[tuple[Any, int, int, float, int]]:
        where, params = _scope(scope)
        rows = self._rows(
            "SELECT JSONExtractRaw(metadata, {key:String}) AS v, count(), sum(ifNull(total_tokens, 0)),"
            f" sum(ifNull(cost, 0)), min(start_us) AS first FROM spans FINAL WHERE run_type = {{rt:String}} AND {where}"
            " GROUP BY v HAVING v NOT IN ('', 'null') ORDER BY first", {**params, "key": key, "rt": run_type})
        return [(json_value(v), int(n), int(tokens), float(cost), int(first)) for v, n, tokens, cost, first in rows]

    def costliest_traces(self, scope: DetectorScope, key: str, value: str, run_type: str, limit: int) -> list[str]:
        where, params = _scope(scope)
        return [t for (t,) in self._rows(
            f"SELECT trace_id FROM spans FINAL WHERE run_type = {{rt:String}} AND JSONType(metadata, {{key:String}})"
            f" = 'String' AND JSONExtractString(metadata, {{key:String}}) = {{v:String}} AND {where}"
            " ORDER BY total_tokens DESC LIMIT {l:UInt64}", {**params, "rt": run_type, "key": key, "v": value,
                                                              "l": limit})]

    def outputs(self, scope: DetectorScope, *, run_type: str | None, in_sessions: bool,
                limit: int) -> list[tuple[str | None, str, int, Any]]:
        where, params = _scope(scope)
        kind = "run_type = {rt:String}" if run_type else "parent_id IS NULL"
        session = "session_id IS NOT NULL AND " if in_sessions else ""
        rows = self._rows(f"SELECT session_id, trace_id, start_us, outputs FROM spans FINAL WHERE {session}{kind}"
                          f" AND outputs != '' AND {where} ORDER BY start_us DESC LIMIT {{l:UInt64}}",
                          {**params, "rt": run_type or "", "l": limit})
        return [(session_id, trace_id, start, load(outputs)) for session_id, trace_id, start, outputs in rows]

    def session_inputs(self, scope: DetectorScope) -> list[tuple[str, str, str, str, int, Any]]:
        where, params = _scope(scope)
        rows = self._rows("SELECT session_id, trace_id, run_type, name, start_us, inputs FROM spans FINAL"
                          f" WHERE session_id IS NOT NULL AND inputs != '' AND {where} ORDER BY start_us", params)
        return [(*row[:5], load(row[5])) for row in rows]

    def trace_outcomes(self, trace_id: str) -> list[tuple[str, str, Any, list[str]]]:
        return [(run_type, status, load(outputs), list(tags)) for run_type, status, outputs, tags
                in self._store._trace_rows(trace_id, "run_type, status, outputs, tags")]

    def retrievals(self, scope: DetectorScope) -> list[tuple[str, str, int, Any]]:
        where, params = _scope(scope)
        return [(t, name, start, load(outputs)) for t, name, start, outputs in self._rows(
            "SELECT trace_id, name, start_us, outputs FROM spans FINAL WHERE run_type = 'retriever'"
            f" AND end_us IS NOT NULL AND {where}", params)]

    def next_llm(self, trace_id: str, after_us: int) -> tuple[str, Any] | None:
        rows = self._store._trace_rows(trace_id, "run_type, status, start_us, outputs")
        for run_type, status, start, outputs in rows:
            if run_type == "llm" and start >= after_us:
                return status, load(outputs)
        return None

    def session_totals(self, scope: DetectorScope) -> list[SessionTotals]:
        where, params = _scope(scope)
        roots = self._rows("SELECT session_id, trace_id, end_us - start_us FROM spans FINAL WHERE parent_id IS NULL"
                           f" AND session_id IS NOT NULL AND {where}", params)
        errors = dict(self._rows(f"SELECT trace_id, countIf(status = 'error') FROM spans FINAL WHERE trace_id IN"
                                 f" ({_TURNS.format(scope=where)}) GROUP BY trace_id", params))
        by_session: dict[str, list[Any]] = {}
        for session, trace_id, latency in roots:
            entry = by_session.setdefault(session, [set(), 0, 0])
            entry[0].add(trace_id)
            entry[1] += int(errors.get(trace_id, 0))
            entry[2] = max(entry[2], int(latency or 0))
        return [SessionTotals(session, len(traces), errs, slowest) for session, (traces, errs, slowest)
                in by_session.items()]

    def looping_traces(self, scope: DetectorScope, threshold: int) -> list[tuple[str, str]]:
        where, params = _scope(scope)
        sessions = self._turn_sessions(scope)
        return [(sessions[t], t) for t, _name in self._rows(
            "SELECT trace_id, name FROM spans FINAL WHERE run_type = 'tool'"
            f" AND trace_id IN ({_TURNS.format(scope=where)})"
            " GROUP BY trace_id, name HAVING count() >= {th:UInt64}", {**params, "th": threshold}) if t in sessions]

    def negative_feedback(self, scope: DetectorScope, *, below: float,
                          values: Sequence[str]) -> list[tuple[str, str]] | None:
        where, params = _scope(scope)
        sessions = self._turn_sessions(scope)
        runs = [run_id for (run_id,) in self._rows(
            "SELECT run_id FROM feedback FINAL WHERE (score < {below:Float64} OR lower(if(JSONType(value) = 'String',"
            " JSONExtractString(value), value)) IN {vals:Array(String)})"
            f" AND run_id IN (SELECT id FROM spans FINAL WHERE trace_id IN ({_TURNS.format(scope=where)}))",
            {**params, "below": below, "vals": list(values)})]
        traces = self._store.trace_ids_of(runs)
        return [(sessions[traces[run]], traces[run]) for run in runs if traces.get(run) in sessions]

    def error_traces(self, scope: DetectorScope) -> list[tuple[str, str]]:
        where, params = _scope(scope)
        sessions = self._turn_sessions(scope)
        return [(sessions[t], t) for (t,) in self._rows(
            f"SELECT DISTINCT trace_id FROM spans FINAL WHERE status = 'error' AND trace_id IN"
            f" ({_TURNS.format(scope=where)})", params) if t in sessions]

    def slowest_turns(self, scope: DetectorScope, session_ids: Sequence[str]) -> dict[str, str]:
        if not session_ids:
            return {}
        where, params = _scope(scope)
        slowest: dict[str, tuple[int, str]] = defaultdict(lambda: (-1, ""))
        for session, trace_id, latency in self._rows(
                "SELECT session_id, trace_id, ifNull(end_us - start_us, -1) FROM spans FINAL WHERE parent_id IS NULL"
                f" AND {where} AND session_id IN {{ids:Array(String)}}", {**params, "ids": list(session_ids)}):
            if latency >= slowest[session][0]:
                slowest[session] = (latency, trace_id)
        return {session: trace_id for session, (_, trace_id) in slowest.items()}
