"""Worst sessions: the worst ``fraction`` (0.5%) of sessions by errors, loops, latency and negative feedback.

Per session (its root spans in the window, everything in their traces): error spans, looping traces
(one tool called ``loop_threshold``+ times in a trace), the slowest turn, and negative feedback
(a ``feedback`` row on any of its runs with ``score < negative_score``, or a value such as
``thumbs_down``; stores without a feedback table skip this part). Each signal is scaled to [0, 1]
by its maximum over the sessions, latency only counting above ``latency_factor`` × the median slowest
turn, and the scaled signals are added. Sessions scoring 0 are never listed, so a clean window fires nothing.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from tracehound.analytics.detectors.base import DetectorResult, Finding, Param, scope_sql, window_of
from tracehound.store.sqlite.spans import SqliteSpanStore

NAME = "worst_sessions"
DESCRIPTION = "The worst 0.5% of sessions by errors, loops, latency and negative feedback."
NEGATIVE_VALUES = ("thumbs_down", "negative", "bad", "escalated", "unresolved", "0", "false")
PARAMS = {
    "fraction": Param(0.005, "Share of sessions listed (at least one when any session scores).", float),
    "loop_threshold": Param(3, "Calls of one tool in one trace that count as a loop.", int),
    "latency_factor": Param(3.0, "A slowest turn counts when above this many times the median.", float),
    "negative_score": Param(0.5, "Feedback scores below this are negative.", float),
}


def _has_feedback(store: SqliteSpanStore) -> bool:
    return bool(store.read_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feedback'", ()))


def detect(store: SqliteSpanStore, params: dict[str, Any]) -> DetectorResult:
    window = window_of(params)
    where, args = scope_sql(params, window, "r")
    roots = f"FROM spans AS r JOIN spans AS s ON s.trace_id = r.trace_id WHERE r.parent_id IS NULL" \
            f" AND r.session_id IS NOT NULL AND {where}"
    sessions: dict[str, dict[str, Any]] = {}
    for session, turns, errors, slowest in store.read_sql(
            "SELECT r.session_id, count(DISTINCT r.trace_id), sum(s.status = 'error'),"
            f" max(r.end_us - r.start_us) {roots} GROUP BY r.session_id", args):
        sessions[session] = {"session_id": session, "turns": turns, "errors": errors or 0, "loops": 0,
                             "slowest_ms": (slowest or 0) / 1000, "negative_feedback": 0, "traces": {}}
    for session, trace_id, _name, _calls in store.read_sql(
            f"SELECT r.session_id, s.trace_id, s.name, count(*) {roots} AND s.run_type = 'tool'"
            " GROUP BY s.trace_id, s.name HAVING count(*) >= ?", [*args, params["loop_threshold"]]):
        sessions[session]["loops"] += 1
        sessions[session]["traces"][trace_id] = None
    feedback = _has_feedback(store)
    if feedback:
        marks = ", ".join("?" * len(NEGATIVE_VALUES))
        joined = roots.replace("WHERE", "JOIN feedback AS f ON f.run_id = s.id WHERE", 1)
        for session, trace_id in store.read_sql(
                f"SELECT r.session_id, s.trace_id {joined}"
                f" AND (f.score < ? OR lower(f.value) IN ({marks}))",
                [*args, params["negative_score"], *NEGATIVE_VALUES]):
            sessions[session]["negative_feedback"] += 1
            sessions[session]["traces"][trace_id] = None
    error_traces = store.read_sql(f"SELECT r.session_id, s.trace_id {roots} AND s.status = 'error'"
                                  " GROUP BY s.trace_id", args)
    for session, trace_id in error_traces:
        sessions[session]["traces"][trace_id] = None
    rows = list(sessions.values())
    median = statistics.median([r["slowest_ms"] for r in rows]) if rows else 0.0
    for row in rows:
        row["slow"] = row["slowest_ms"] if row["slowest_ms"] > params["latency_factor"] * median else 0.0
    peaks = {key: max((r[key] for r in rows), default=0) for key in ("errors", "loops", "slow", "negative_feedback")}
    for row in rows:
        row["score"] = sum(row[key] / peak for key, peak in peaks.items() if peak)
    scored = sorted((r for r in rows if r["score"] > 0), key=lambda r: -r["score"])
    listed = scored[:max(1, math.ceil(params["fraction"] * len(rows)))] if scored else []
    if listed:
        slow_traces = dict(store.read_sql(
            f"SELECT r.session_id, r.trace_id FROM spans AS r WHERE r.parent_id IS NULL AND {where}"
            f" AND r.session_id IN ({', '.join('?' * len(listed))}) ORDER BY r.end_us - r.start_us",
            [*args, *(r["session_id"] for r in listed)]))
    findings = []
    for row in listed:
        traces = list(row.pop("traces"))
        if row["slow"] and slow_traces.get(row["session_id"]) not in traces:
            traces.append(slow_traces[row["session_id"]])
        findings.append(Finding(
            row["session_id"], f"session {row['session_id']}: {row['errors']} error(s), {row['loops']} loop(s),"
            f" slowest turn {row['slowest_ms']:.0f} ms, {row['negative_feedback']} negative feedback",
            value=round(row["score"], 4), traces=traces[:20], details={k: v for k, v in row.items() if k != "slow"}))
    note = "" if feedback else " (no feedback table: feedback not used)"
    return DetectorResult(NAME, params, findings, f"{len(rows)} session(s); {len(scored)} with a problem,"
                          f" {len(findings)} listed{note}", scanned=len(rows),
                          details={"median_slowest_ms": median, "feedback_used": feedback})
