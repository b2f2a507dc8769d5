"""The questions on-call asks: which traces belong to this ticket, and what is failing since when.

``find_traces`` goes from whatever a support ticket holds (a session id, a user id, a run id, or a
correlation id such as an APM request id stored in metadata) to the traces, in one call.
``triage`` answers "tool X is failing": the failures in a window grouped by error message, with how
many distinct users and sessions each hit and when it started.

    traces = find_traces(store, correlation_id="req-7f3a")
    report = triage(store, tool="lookup_order", since_us=now_us() - 3_600_000_000)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from tracehound.errors import QueryError
from tracehound.store.base import SpanStore
from tracehound.store.filter_ast import And, Compare, MetadataMatch, Node
from tracehound.timefmt import iso, now_us, parse_time_us

MAX_TRACES: Final = 500
MAX_ERROR_CHARS: Final = 200
_DURATION = re.compile(r"^\s*\d+(\.\d+)?\s*(us|ms|s|m|h|d|w)\s*$")


@dataclass(frozen=True, slots=True)
class TraceSummary:
    """A trace found by a look-up: its root, its totals, and how many of its spans matched."""

    trace_id: str
    root_id: str | None
    name: str | None
    project: str | None
    session_id: str | None
    user_id: str | None
    status: str | None
    start_us: int
    end_us: int | None
    span_count: int
    error_count: int
    matched_spans: int

    def to_api(self) -> dict[str, Any]:
        return {"trace_id": self.trace_id, "root_id": self.root_id, "name": self.name, "project": self.project,
                "session_id": self.session_id, "user_id": self.user_id, "status": self.status,
                "start_time": iso(self.start_us), "end_time": iso(self.end_us),
                "latency_s": None if self.end_us is None else (self.end_us - self.start_us) / 1e6,
                "span_count": self.span_count, "error_count": self.error_count, "matched_spans": self.matched_spans}


def find_traces(store: SpanStore, *, session_id: str | None = None, user_id: str | None = None,
                run_id: str | None = None, correlation_id: str | None = None, key: str | None = None,
                project: str | None = None, limit: int = 50) -> list[TraceSummary]:
    """Traces with a span matching every given identifier, in time order (a session reads as a timeline).

    Args:
        correlation_id: a value stored in some span's metadata; ``key`` narrows it to one metadata key.
        limit: the most recent ``limit`` traces are returned (at most ``MAX_TRACES``).

    Raises:
        QueryError: no identifier given, or a limit out of range.
    """
    if not 1 <= limit <= MAX_TRACES:
        raise QueryError(f"limit must be between 1 and {MAX_TRACES}", field="limit")
    conditions: list[Node] = []
    for name, value in (("session_id", session_id), ("user_id", user_id), ("id", run_id), ("project", project)):
        if value is not None:
            conditions.append(Compare("eq", name, value.lower() if name == "id" else value))
    if correlation_id is not None:
        conditions.append(MetadataMatch(Compare("eq", "metadata_key", key) if key else None,
                                        Compare("eq", "metadata_value", correlation_id)))
    elif key is not None:
        raise QueryError("key narrows a correlation_id; give correlation_id too", field="key")
    if not conditions or all(isinstance(c, Compare) and c.field == "project" for c in conditions):
        raise QueryError("give a session_id, user_id, run_id or correlation_id", field=None)
    matches = store.lookups.find_traces(And(tuple(conditions)), limit)
    summaries = [TraceSummary(m.trace_id, m.root_id, m.name, m.project, m.session_id, m.user_id, m.status,
                              m.start_us, m.end_us, m.span_count, m.error_count, m.matched_spans) for m in matches]
    summaries.sort(key=lambda summary: summary.start_us)
    return summaries


@dataclass(slots=True)
class ErrorGroup:
    """Failures of one tool sharing an error message."""

    error: str
    count: int = 0
    users: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)
    traces: list[str] = field(default_factory=list)  # newest first, at most the report's `last`
    first_us: int = 0
    last_us: int = 0

    def to_api(self) -> dict[str, Any]:
        return {"error": self.error, "count": self.count, "users": len(self.users), "sessions": len(self.sessions),
                "first_failure": iso(self.first_us), "last_failure": iso(self.last_us), "trace_ids": self.traces}


@dataclass(frozen=True, slots=True)
class TriageReport:
    tool: str
    since_us: int
    failures: int
    users: int
    sessions: int
    first_us: int | None
    last_us: int | None
    groups: list[ErrorGroup]
    recent: list[dict[str, Any]]  # the last N failing traces, newest first

    def to_api(self) -> dict[str, Any]:
        return {"tool": self.tool, "since": iso(self.since_us), "failures": self.failures, "users": self.users,
                "sessions": self.sessions, "first_failure": iso(self.first_us), "last_failure": iso(self.last_us),
                "groups": [group.to_api() for group in self.groups], "recent": self.recent}


def error_message(value: Any) -> str:
    """The first line of a stored error (the decoded payload), the key failures are grouped by."""
    if value is None:
        return "(no error message)"
    text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    first = text.strip().splitlines()[0] if text.strip() else "(empty error message)"
    return first[:MAX_ERROR_CHARS]


def triage(store: SpanStore, *, tool: str, since_us: int, project: str | None = None,
           last: int = 20) -> TriageReport:
    """Failures of the tool (spans named ``tool`` of run type tool, status error) started since ``since_us``.

    Args:
        last: how many of the most recent failing traces to list, overall and per error group.
    """
    if not 1 <= last <= MAX_TRACES:
        raise QueryError(f"last must be between 1 and {MAX_TRACES}", field="last")
    rows = store.lookups.tool_failures(tool, since_us, project)
    groups: dict[str, ErrorGroup] = {}
    users: set[str] = set()
    sessions: set[str] = set()
    recent: list[dict[str, Any]] = []
    seen_traces: set[str] = set()
    for row in rows:  # newest first
        trace_id, session_id, user_id, start_us = row.trace_id, row.session_id, row.user_id, row.start_us
        message = error_message(row.error)
        group = groups.get(message)
        if group is None:
            group = groups[message] = ErrorGroup(message, last_us=start_us)
        group.count += 1
        group.first_us = start_us
        if user_id is not None:
            group.users.add(user_id)
            users.add(user_id)
        if session_id is not None:
            group.sessions.add(session_id)
            sessions.add(session_id)
        if len(group.traces) < last and trace_id not in group.traces:
            group.traces.append(trace_id)
        if len(recent) < last and trace_id not in seen_traces:
            seen_traces.add(trace_id)
            recent.append({"trace_id": trace_id, "time": iso(start_us), "user_id": user_id,
                           "session_id": session_id, "error": message})
    ordered = sorted(groups.values(), key=lambda group: (-group.count, group.first_us))
    return TriageReport(tool, since_us, len(rows), len(users), len(sessions), rows[-1].start_us if rows else None,
                        rows[0].start_us if rows else None, ordered, recent)


def since_us(text: str) -> int:
    """``-1h``, ``1h`` (read as "the last hour") or an ISO-8601 time."""
    relative = f"-{text}" if _DURATION.match(text) else text
    try:
        return parse_time_us(relative, now=now_us())
    except ValueError:
        raise QueryError(f"{text[:40]!r} is not a relative (\"1h\", \"-30m\") or ISO-8601 time",
                         field="since") from None
