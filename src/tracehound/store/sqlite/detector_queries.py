"""``spans.detectors`` in SQLite: the failure detectors' reads, one method per question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from tracehound.store.detector_queries import DetectorScope, SessionTotals
from tracehound.store.payload import decode_payload

if TYPE_CHECKING:
    from tracehound.store.sqlite.spans import SqliteSpanStore


def _scope(scope: DetectorScope, alias: str = "") -> tuple[str, list[Any]]:
    """``start_us`` in the window, and the project when given."""
    prefix = f"{alias}." if alias else ""
    where, args = f"{prefix}start_us >= ? AND {prefix}start_us < ?", [scope.start_us, scope.end_us]
    if scope.project:
        where += f" AND {prefix}project = ?"
        args.append(scope.project)
    return where, args


def _turns(scope: DetectorScope) -> tuple[str, list[Any]]:
    """``FROM`` the turns (root spans with a session, in scope) joined with every span of their traces."""
    where, args = _scope(scope, "r")
    return ("FROM spans AS r JOIN spans AS s ON s.trace_id = r.trace_id WHERE r.parent_id IS NULL"
            f" AND r.session_id IS NOT NULL AND {where}"), args


class SqliteDetectorQueries:
    def __init__(self, store: SqliteSpanStore) -> None:
        self._store = store

    def _rows(self, sql: str, params: Sequence[Any]) -> list[Any]:
        return self._store.read_sql(sql, params)

    def tool_traces(self, scope: DetectorScope, tool: str, limit: int) -> list[str]:
        where, args = _scope(scope)
        return [t for (t,) in self._rows(
            f"SELECT DISTINCT trace_id FROM spans WHERE run_type = 'tool' AND name = ? AND {where}"
            " ORDER BY start_us DESC LIMIT ?", [tool, *args, limit])]

    def turn_latencies(self, scope: DetectorScope) -> list[tuple[str, int]]:
        where, args = _scope(scope)
        return [tuple(row) for row in self._rows(
            f"SELECT trace_id, end_us - start_us FROM spans WHERE parent_id IS NULL AND end_us IS NOT NULL AND {where}",
            args)]

    def tool_time_in(self, trace_ids: Sequence[str]) -> list[tuple[str, str, int]]:
        ids = list(trace_ids)
        found: list[tuple[str, str, int]] = []
        for first in range(0, len(ids), 500):
            chunk = ids[first:first + 500]
            found.extend(tuple(row) for row in self._rows(
                "SELECT trace_id, name, sum(end_us - start_us) FROM spans"
                f" WHERE trace_id IN ({', '.join('?' * len(chunk))}) AND run_type = 'tool' AND end_us IS NOT NULL"
                " GROUP BY trace_id, name", chunk))
        return found

    def tool_time(self, scope: DetectorScope) -> dict[str, int]:
        where, args = _scope(scope, "s")
        return dict(self._rows(
            "SELECT s.name, sum(s.end_us - s.start_us) FROM spans AS s WHERE s.run_type = 'tool'"
            f" AND s.end_us IS NOT NULL AND {where} GROUP BY s.name", args))

    def metadata_versions(self, scope: DetectorScope, key: str,
                          run_type: str) -> list[tuple[Any, int, int, float, int]]:
        where, args = _scope(scope)
        return [tuple(row) for row in self._rows(
            "SELECT json_extract(metadata, ?) AS v, count(*), sum(coalesce(total_tokens, 0)),"
            f" sum(coalesce(cost, 0)), min(start_us) FROM spans WHERE run_type = ? AND metadata IS NOT NULL AND {where}"
            " GROUP BY v HAVING v IS NOT NULL ORDER BY min(start_us)", [f"$.{key}", run_type, *args])]

    def costliest_traces(self, scope: DetectorScope, key: str, value: str, run_type: str, limit: int) -> list[str]:
        where, args = _scope(scope)
        return [t for (t,) in self._rows(
            f"SELECT trace_id FROM spans WHERE run_type = ? AND json_extract(metadata, ?) = ? AND {where}"
            " ORDER BY total_tokens DESC LIMIT ?", [run_type, f"$.{key}", value, *args, limit])]

    def outputs(self, scope: DetectorScope, *, run_type: str | None, in_sessions: bool,
                limit: int) -> list[tuple[str | None, str, int, Any]]:
        where, args = _scope(scope)
        kind = "run_type = ?" if run_type else "parent_id IS NULL"
        session = "session_id IS NOT NULL AND " if in_sessions else ""
        rows = self._rows(
            f"SELECT session_id, trace_id, start_us, outputs FROM spans WHERE {session}{kind}"
            f" AND outputs IS NOT NULL AND {where} ORDER BY start_us DESC LIMIT ?",
            [*([run_type] if run_type else []), *args, limit])
        return [(session_id, trace_id, start, decode_payload(outputs)) for session_id, trace_id, start, outputs in rows]

    def session_inputs(self, scope: DetectorScope) -> list[tuple[str, str, str, str, int, Any]]:
        where, args = _scope(scope)
        rows = self._rows("SELECT session_id, trace_id, run_type, name, start_us, inputs FROM spans"
                          f" WHERE session_id IS NOT NULL AND inputs IS NOT NULL AND {where} ORDER BY start_us", args)
        return [(*row[:5], decode_payload(row[5])) for row in rows]

    def trace_outcomes(self, trace_id: str) -> list[tuple[str, str, Any, list[str]]]:
        rows = self._rows("SELECT run_type, status, outputs, tags FROM spans WHERE trace_id = ?", (trace_id,))
        return [(run_type, status, decode_payload(outputs), msgspec.json.decode(tags) if tags else [])
                for run_type, status, outputs, tags in rows]

    def retrievals(self, scope: DetectorScope) -> list[tuple[str, str, int, Any]]:
        where, args = _scope(scope, "r")
        rows = self._rows(f"SELECT r.trace_id, r.name, r.start_us, r.outputs FROM spans AS r"
                          f" WHERE r.run_type = 'retriever' AND r.end_us IS NOT NULL AND {where}", args)
        return [(trace_id, name, start, decode_payload(outputs)) for trace_id, name, start, outputs in rows]

    def next_llm(self, trace_id: str, after_us: int) -> tuple[str, Any] | None:
        rows = self._rows("SELECT status, outputs FROM spans WHERE trace_id = ? AND run_type = 'llm'"
                          " AND start_us >= ? ORDER BY start_us LIMIT 1", (trace_id, after_us))
        return (rows[0][0], decode_payload(rows[0][1])) if rows else None

    def session_totals(self, scope: DetectorScope) -> list[SessionTotals]:
        turns, args = _turns(scope)
        rows = self._rows("SELECT r.session_id, count(DISTINCT r.trace_id), sum(s.status = 'error'),"
                          f" max(r.end_us - r.start_us) {turns} GROUP BY r.session_id", args)
        return [SessionTotals(session, count, errors or 0, slowest or 0) for session, count, errors, slowest in rows]

    def looping_traces(self, scope: DetectorScope, threshold: int) -> list[tuple[str, str]]:
        turns, args = _turns(scope)
        return [(session, trace_id) for session, trace_id, _name, _calls in self._rows(
            f"SELECT r.session_id, s.trace_id, s.name, count(*) {turns} AND s.run_type = 'tool'"
            " GROUP BY s.trace_id, s.name HAVING count(*) >= ?", [*args, threshold])]

    def negative_feedback(self, scope: DetectorScope, *, below: float,
                          values: Sequence[str]) -> list[tuple[str, str]] | None:
        if not self._rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feedback'", ()):
            return None
        turns, args = _turns(scope)
        joined = turns.replace("WHERE", "JOIN feedback AS f ON f.run_id = s.id WHERE", 1)
        marks = ", ".join("?" * len(values))
        # ``value`` is stored as JSON: compare the text of a JSON string ("thumbs_down"), not its quoted form.
        return [tuple(row) for row in self._rows(
            f"SELECT r.session_id, s.trace_id {joined}"
            f" AND (f.score < ? OR lower(json_extract(f.value, '$')) IN ({marks}))", [*args, below, *values])]

    def error_traces(self, scope: DetectorScope) -> list[tuple[str, str]]:
        turns, args = _turns(scope)
        return [tuple(row) for row in self._rows(
            f"SELECT r.session_id, s.trace_id {turns} AND s.status = 'error' GROUP BY s.trace_id", args)]

    def slowest_turns(self, scope: DetectorScope, session_ids: Sequence[str]) -> dict[str, str]:
        if not session_ids:
            return {}
        where, args = _scope(scope, "r")
        # Ordered by latency, so the dict keeps each session's slowest turn (the last one seen).
        return dict(self._rows(
            f"SELECT r.session_id, r.trace_id FROM spans AS r WHERE r.parent_id IS NULL AND {where}"
            f" AND r.session_id IN ({', '.join('?' * len(session_ids))}) ORDER BY r.end_us - r.start_us",
            [*args, *session_ids]))
