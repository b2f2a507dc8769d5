"""Read-only SQL on a real SQLite store: the views, the project scope, and every way to write refused."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.spans import span
from tracehound.errors import QueryError
from tracehound.model import Span
from tracehound.store.base import Feedback
from tracehound.store.sqlite import SqliteSpanStore
from tracehound.store.sqlite.feedback import SqliteFeedbackStore


@pytest.fixture
def store(tmp_path: Path) -> SqliteSpanStore:
    store = SqliteSpanStore(tmp_path / "t.db")
    spans = []
    for project, count in (("shop", 3), ("bank", 2)):
        root = span(name="agent", project=project, session_id=f"{project}-s1", inputs={"q": f"{project} refund"})
        spans.append(root)
        for index in range(count - 1):
            spans.append(span(root["trace_id"], parent_id=root["id"], name="search", run_type="tool",
                              project=project, total_tokens=10, cost=0.5,
                              status="error" if index == 0 else "ok", error="boom" if index == 0 else None))
    store.upsert([Span(**data) for data in spans])
    feedback = SqliteFeedbackStore(tmp_path / "t.db")
    feedback.add_feedback([Feedback(id="f1", run_id=spans[0]["id"], key="thumbs", created_us=1, score=1.0),
                           Feedback(id="f2", run_id=spans[3]["id"], key="thumbs", created_us=1, score=0.0)])
    feedback.close()
    return store


def test_views_answer_with_decoded_payloads(store: SqliteSpanStore) -> None:
    result = store.sql("SELECT name, inputs, error, latency_s, start_time FROM spans WHERE project = 'shop'"
                       " ORDER BY start_us", projects=None)
    assert result.columns == ["name", "inputs", "error", "latency_s", "start_time"]
    assert result.rows[0][:2] == ["agent", '{"q":"shop refund"}'] and result.rows[0][3] == 0.0005
    assert result.rows[1][2] == "boom" and result.rows[0][4].endswith("Z")
    traces = store.sql("SELECT project, span_count, error_count, total_tokens, cost FROM traces ORDER BY project",
                       projects=None)
    assert traces.rows == [["bank", 2, 1, 10, 0.5], ["shop", 3, 1, 20, 1.0]]
    sessions = store.sql("SELECT session_id, trace_count, span_count FROM sessions ORDER BY 1", projects=None)
    assert sessions.rows == [["bank-s1", 1, 2], ["shop-s1", 1, 3]]
    assert store.sql("SELECT key, project, score FROM feedback ORDER BY project", projects=None).rows == [
        ["thumbs", "bank", 0.0], ["thumbs", "shop", 1.0]]


def test_another_projects_rows_are_invisible(store: SqliteSpanStore) -> None:
    for view in ("spans", "traces", "sessions", "feedback"):
        rows = store.sql(f"SELECT DISTINCT project FROM {view}", projects=["shop"]).rows
        assert rows == [["shop"]], view
    assert store.sql("SELECT count(*) FROM spans WHERE project = 'bank'", projects=["shop"]).rows == [[0]]
    assert store.sql("SELECT count(*) FROM spans", projects=[]).rows == [[0]]
    # the tables under the views are out of reach, however they are named
    for sql in ("SELECT * FROM main.spans", "SELECT count(*) FROM main.spans WHERE project = 'bank'",
                "WITH x AS (SELECT * FROM main.spans) SELECT * FROM x", "SELECT * FROM sqlite_master",
                "SELECT * FROM main.feedback", "SELECT * FROM rollups"):
        with pytest.raises(QueryError) as caught:
            store.sql(sql, projects=["shop"])
        assert "prohibited" in str(caught.value) or "not authorized" in str(caught.value) or "no such" in str(
            caught.value), sql


@pytest.mark.parametrize("sql", [
    "DELETE FROM spans", "UPDATE spans SET name = 'x'", "INSERT INTO spans (id) VALUES ('x')",
    "DROP TABLE spans", "DROP VIEW spans", "CREATE TABLE t (x)", "CREATE TEMP VIEW v AS SELECT 1",
    "PRAGMA query_only = OFF", "PRAGMA table_info(spans)", "ATTACH DATABASE ':memory:' AS other",
    "SELECT 1; DELETE FROM spans", "BEGIN", "VACUUM", "SELECT load_extension('x')",
    "DELETE FROM main.spans", "REINDEX", "ANALYZE",
])
def test_writes_and_escapes_are_refused(store: SqliteSpanStore, sql: str) -> None:
    before = store.count()
    with pytest.raises(QueryError) as caught:
        store.sql(sql, projects=None)
    assert caught.value.status == 400 and str(caught.value)
    assert store.count() == before


def test_the_database_file_is_unchanged_by_a_refused_write(store: SqliteSpanStore) -> None:
    path = store.path
    stamp = os.stat(path).st_mtime_ns
    with pytest.raises(QueryError):
        store.sql("DELETE FROM spans", projects=None)
    assert os.stat(path).st_mtime_ns == stamp
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM spans").fetchone() == (5,)


def test_bad_sql_gets_the_engine_message(store: SqliteSpanStore) -> None:
    with pytest.raises(QueryError, match="syntax error"):
        store.sql("SELEC name FROM spans", projects=None)
    with pytest.raises(QueryError, match="no such column: nope"):
        store.sql("SELECT nope FROM spans", projects=None)
    with pytest.raises(QueryError, match="empty"):
        store.sql("   ", projects=None)


def test_row_limit_and_timeout(store: SqliteSpanStore) -> None:
    result = store.sql("SELECT id FROM spans", projects=None, limit=2)
    assert len(result.rows) == 2 and result.truncated
    assert not store.sql("SELECT id FROM spans", projects=None, limit=5).truncated
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    with pytest.raises(QueryError, match=r"time limit of 0\.3 s") as caught:
        store.sql(endless, projects=None, timeout_s=0.3)
    assert caught.value.field == "timeout_s"
    with pytest.raises(QueryError):
        store.sql("SELECT 1", projects=None, limit=0)
