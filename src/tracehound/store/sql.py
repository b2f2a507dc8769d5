"""Read-only SQL over documented views: the contract every store's ``sql()`` keeps.

Users write SQL against four views, never the tables (whose layout is each engine's business):

``spans``
    ``id, trace_id, parent_id, project, session_id, user_id, run_type, name, status, error,
    start_time, end_time`` (ISO-8601 UTC text), ``start_us, end_us`` (µs since the epoch),
    ``latency_s, model, prompt_tokens, completion_tokens, total_tokens, cost`` (USD),
    ``inputs, outputs, metadata, tags`` (JSON text), ``reference_example_id``
``traces``
    one row per trace (its root span): ``trace_id, project, session_id, user_id, name, status,
    error, start_time, end_time, start_us, end_us, latency_s, span_count, error_count,
    total_tokens, cost`` (the last four summed over the trace)
``sessions``
    the traces whose root span names a session: ``session_id, project, first_start_time,
    last_end_time, trace_count, span_count, error_count, total_tokens, cost``
``feedback``
    ``id, run_id, trace_id, project, key, score, value, comment, source, created_time`` (feedback
    whose run is stored: its project is the run's)

Every view shows only the caller's projects. Writes, schema changes, pragmas, attached databases and
the underlying tables are refused; a query runs at most ``timeout_s`` and returns at most ``limit``
rows (``truncated`` says when more were there). A query the engine rejects raises ``QueryError``
with the engine's own message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

VIEWS: Final = ("spans", "traces", "sessions", "feedback")
DEFAULT_LIMIT: Final = 1000
MAX_LIMIT: Final = 100_000
DEFAULT_TIMEOUT_S: Final = 10.0
MAX_SQL_CHARS: Final = 20_000
# Queries over the views that the UI console offers as a start (users' SQL, not the store's).
EXAMPLES: Final = (
    "SELECT name, count(*) AS calls, avg(latency_s) AS avg_s FROM spans WHERE run_type = 'tool'"
    " GROUP BY name ORDER BY calls DESC",
    "SELECT project, count(*) AS traces, sum(cost) AS cost FROM traces GROUP BY project",
    "SELECT session_id, trace_count, error_count FROM sessions ORDER BY error_count DESC LIMIT 20",
)


@dataclass(frozen=True, slots=True)
class SqlResult:
    """Column names, rows (JSON-ready values), whether the row limit cut them, and the time taken."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    elapsed_ms: float

    def to_api(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": self.rows, "row_count": len(self.rows),
                "truncated": self.truncated, "elapsed_ms": round(self.elapsed_ms, 3)}


class SqlReader(Protocol):
    """What a span store offers for read-only SQL (``SqliteSpanStore.sql``)."""

    def sql(self, query: str, *, projects: Sequence[str] | None, limit: int = DEFAULT_LIMIT,
            timeout_s: float = DEFAULT_TIMEOUT_S) -> SqlResult:
        """Run one read-only statement over ``VIEWS``; ``projects=None`` means every project.

        Raises:
            QueryError: a refused or invalid statement (the engine's message), a timeout, bad limits.
        """
        ...
