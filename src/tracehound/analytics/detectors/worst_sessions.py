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

from tracehound.analytics.detectors.base import DetectorResult, Finding, Param, scope_of, window_of
from tracehound.store.base import SpanStore

NAME = "worst_sessions"
DESCRIPTION = "The worst 0.5% of sessions by errors, loops, latency and negative feedback."
NEGATIVE_VALUES = ("thumbs_down", "negative", "bad", "escalated", "unresolved", "0", "false")
PARAMS = {
    "fraction": Param(0.005, "Share of sessions listed (at least one when any session scores).", float),
    "loop_threshold": Param(3, "Calls of one tool in one trace that count as a loop.", int),
    "latency_factor": Param(3.0, "A slowest turn counts when above this many times the median.", float),
    "negative_score": Param(0.5, "Feedback scores below this are negative.", float),
}


def detect(store: SpanStore, params: dict[str, Any]) -> DetectorResult:
    window = window_of(params)
    scope = scope_of(params, window)
    queries = store.detectors
    sessions: dict[str, dict[str, Any]] = {}
    for totals in queries.session_totals(scope):
        sessions[totals.session_id] = {"session_id": totals.session_id, "turns": totals.turns,
                                       "errors": totals.errors, "loops": 0, "slowest_ms": totals.slowest_us / 1000,
                                       "negative_feedback": 0, "traces": {}}
    for session, trace_id in queries.looping_traces(scope, params["loop_threshold"]):
        sessions[session]["loops"] += 1
        sessions[session]["traces"][trace_id] = None
    negative = queries.negative_feedback(scope, below=params["negative_score"], values=NEGATIVE_VALUES)
    feedback = negative is not None
    for session, trace_id in negative or ():
        sessions[session]["negative_feedback"] += 1
        sessions[session]["traces"][trace_id] = None
    for session, trace_id in queries.error_traces(scope):
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
    slow_traces = queries.slowest_turns(scope, [r["session_id"] for r in listed])
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
