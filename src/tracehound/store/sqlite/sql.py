"""Read-only SQL on the SQLite store: the views of ``store/sql.py`` over a read-only connection.

Four locks, each enough on its own to stop a write: the file is opened ``mode=ro``; ``PRAGMA
query_only``; an authorizer that allows only SELECT, reads *through the views*, functions and
recursive CTEs (so ``main.spans``, ``sqlite_master``, PRAGMA, ATTACH, DML and DDL are refused); and one
statement per call. Project scope: the views read ``temp._scope``, filled with bound parameters, so a
project name is never spliced into SQL. A progress handler interrupts the statement at the deadline.
Payload columns are stored compressed; ``th_json``/``th_text`` decode them for the views.
"""

from __future__ import annotations

import base64
import math
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from tracehound.errors import QueryError
from tracehound.store.payload import decode_payload, payload_text
from tracehound.store.sql import MAX_LIMIT, MAX_SQL_CHARS, VIEWS, SqlResult
from tracehound.timefmt import iso

_SCOPE: Final = "({alias}.project IN (SELECT project FROM temp._scope) OR (SELECT everything FROM temp._all))"
_SPAN_COLUMNS: Final = """
    s.id, s.trace_id, s.parent_id, s.project, s.session_id, s.user_id, s.run_type, s.name, s.status,
    th_text(s.error) AS error, th_iso(s.start_us) AS start_time, th_iso(s.end_us) AS end_time, s.start_us, s.end_us,
    (s.end_us - s.start_us) / 1e6 AS latency_s, s.model, s.prompt_tokens, s.completion_tokens, s.total_tokens,
    s.cost, th_json(s.inputs) AS inputs, th_json(s.outputs) AS outputs, s.metadata, s.tags, s.reference_example_id"""
_VIEW_SQL: Final = {
    "spans": f"SELECT {_SPAN_COLUMNS} FROM main.spans s WHERE {_SCOPE.format(alias='s')}",
    "traces": f"""
        SELECT r.trace_id, r.project, r.session_id, r.user_id, r.name, r.status, th_text(r.error) AS error,
               th_iso(r.start_us) AS start_time, th_iso(r.end_us) AS end_time, r.start_us, r.end_us,
               (r.end_us - r.start_us) / 1e6 AS latency_s,
               (SELECT count(*) FROM main.spans t WHERE t.trace_id = r.trace_id) AS span_count,
               (SELECT count(*) FROM main.spans t WHERE t.trace_id = r.trace_id AND t.status = 'error') AS error_count,
               (SELECT sum(t.total_tokens) FROM main.spans t WHERE t.trace_id = r.trace_id) AS total_tokens,
               (SELECT sum(t.cost) FROM main.spans t WHERE t.trace_id = r.trace_id) AS cost
        FROM main.spans r WHERE r.parent_id IS NULL AND {_SCOPE.format(alias='r')}""",
    "sessions": f"""
        SELECT r.session_id, r.project, th_iso(min(r.start_us)) AS first_start_time,
               th_iso(max(r.end_us)) AS last_end_time, count(*) AS trace_count,
               sum((SELECT count(*) FROM main.spans t WHERE t.trace_id = r.trace_id)) AS span_count,
               sum((SELECT count(*) FROM main.spans t WHERE t.trace_id = r.trace_id AND t.status = 'error'))
                   AS error_count,
               sum((SELECT sum(t.total_tokens) FROM main.spans t WHERE t.trace_id = r.trace_id)) AS total_tokens,
               sum((SELECT sum(t.cost) FROM main.spans t WHERE t.trace_id = r.trace_id)) AS cost
        FROM main.spans r WHERE r.parent_id IS NULL AND r.session_id IS NOT NULL AND {_SCOPE.format(alias='r')}
        GROUP BY r.session_id, r.project""",
    "feedback": f"""
        SELECT f.id, f.run_id, f.trace_id, s.project, f.key, f.score, f.value, f.comment, f.source,
               th_iso(f.created_us) AS created_time
        FROM main.feedback f JOIN main.spans s ON s.id = f.run_id WHERE {_SCOPE.format(alias='s')}""",
}
_ALLOWED_ACTIONS: Final = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE})
_REFUSED_FUNCTIONS: Final = frozenset({"load_extension", "randomblob", "zeroblob"})
_CHECK_EVERY_OPS: Final = 2_000


def run_sql(path: str | Path, query: str, *, projects: Sequence[str] | None, limit: int,
            timeout_s: float) -> SqlResult:
    """One read-only statement over the views, scoped to ``projects`` (``None``: all).

    Raises:
        QueryError: refused, invalid or too slow (the engine's message), or a bad limit.
    """
    if not query.strip():
        raise QueryError("the SQL is empty", field="sql")
    if len(query) > MAX_SQL_CHARS:
        raise QueryError(f"the SQL is {len(query)} characters; the limit is {MAX_SQL_CHARS}", field="sql")
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be from 1 to {MAX_LIMIT}", field="limit")
    if not 0 < timeout_s <= 300:
        raise QueryError("timeout_s must be more than 0 and at most 300", field="timeout_s")
    started = time.perf_counter()
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                               check_same_thread=False)
    except sqlite3.Error as exc:
        raise QueryError(f"cannot open the store for SQL: {exc}") from None
    try:
        _prepare(conn, projects)
        deadline = time.monotonic() + timeout_s
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), _CHECK_EVERY_OPS)
        try:
            cursor = conn.execute(query)
            rows = cursor.fetchmany(limit + 1)
        except sqlite3.OperationalError as exc:
            if str(exc) == "interrupted":
                raise QueryError(f"the query ran longer than the time limit of {timeout_s:g} s",
                                 field="timeout_s") from None
            raise QueryError(str(exc), field="sql") from None
        except (sqlite3.Error, sqlite3.Warning, ValueError, OverflowError) as exc:
            raise QueryError(str(exc), field="sql") from None
        columns = [item[0] for item in cursor.description or ()]
        truncated = len(rows) > limit
        out = [[_json_ready(value) for value in row] for row in rows[:limit]]
        return SqlResult(columns, out, truncated, (time.perf_counter() - started) * 1000)
    finally:
        conn.close()


def _prepare(conn: sqlite3.Connection, projects: Sequence[str] | None) -> None:
    """Views and scope in the connection's temp schema, then the locks (query_only, authorizer)."""
    conn.create_function("th_json", 1, _json_text, deterministic=True)
    conn.create_function("th_text", 1, _plain_text, deterministic=True)
    conn.create_function("th_iso", 1, iso, deterministic=True)
    conn.execute("CREATE TEMP TABLE _scope (project TEXT PRIMARY KEY)")
    conn.execute("CREATE TEMP TABLE _all (everything INTEGER NOT NULL)")
    conn.execute("INSERT INTO temp._all VALUES (?)", (1 if projects is None else 0,))
    if projects:
        conn.executemany("INSERT OR IGNORE INTO temp._scope VALUES (?)", [(name,) for name in projects])
    for name in VIEWS:
        conn.execute(f"CREATE TEMP VIEW {name} AS {_VIEW_SQL[name]}")
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_authorize)


def _authorize(action: int, arg1: str | None, arg2: str | None, database: str | None, source: str | None) -> int:
    """Allow SELECT, reads through our views, safe functions and recursive CTEs; deny everything else."""
    if action == sqlite3.SQLITE_READ:  # arg1: the table or view read; source: the view reading it, if any
        through_view = source in VIEWS or (database == "temp" and arg1 in VIEWS)
        ephemeral = not database  # a CTE or subquery ("" database): its own reads were checked already
        return sqlite3.SQLITE_OK if through_view or ephemeral else sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_DENY if (arg2 or "").lower() in _REFUSED_FUNCTIONS else sqlite3.SQLITE_OK
    return sqlite3.SQLITE_OK if action in _ALLOWED_ACTIONS else sqlite3.SQLITE_DENY


def _json_text(blob: bytes | None) -> str | None:
    return None if blob is None else payload_text(blob)


def _plain_text(blob: bytes | None) -> str | None:
    if blob is None:
        return None
    value = decode_payload(blob)
    return value if isinstance(value, str) else payload_text(blob)


def _json_ready(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
