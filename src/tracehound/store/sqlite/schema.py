"""The SQLite schema as numbered migrations; opening an older file applies the missing ones.

``PRAGMA user_version`` records how far a file has come. A migration is never edited once released:
a change is a new entry at the end.
"""

from __future__ import annotations

import sqlite3
from typing import Final

MIGRATIONS: Final[tuple[str, ...]] = (
    # 1: spans and projects
    """
    CREATE TABLE spans (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        parent_id TEXT,
        dotted_order TEXT,
        project TEXT NOT NULL,
        session_id TEXT,
        user_id TEXT,
        run_type TEXT NOT NULL,
        name TEXT NOT NULL,
        start_us INTEGER NOT NULL,
        end_us INTEGER,
        status TEXT NOT NULL,
        status_reason TEXT,
        error BLOB,
        inputs BLOB,
        outputs BLOB,
        metadata TEXT,
        tags TEXT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        total_tokens INTEGER,
        cost REAL,
        cost_details TEXT,
        model TEXT,
        step INTEGER,
        reference_example_id TEXT,
        events BLOB,
        ingested_us INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX spans_id ON spans (id);
    CREATE INDEX spans_trace ON spans (trace_id, start_us);
    CREATE INDEX spans_session ON spans (session_id, start_us) WHERE session_id IS NOT NULL;
    CREATE INDEX spans_project_time ON spans (project, start_us);
    CREATE INDEX spans_project_kind ON spans (project, run_type, name, start_us);
    CREATE TABLE projects (
        name TEXT PRIMARY KEY,
        created_us INTEGER NOT NULL,
        description TEXT,
        metadata TEXT
    );
    """,
    # 3: the ingest mapping report (ingest/otlp/report_store.py): per source, a JSON snapshot of its counts.
    """
    CREATE TABLE ingest_sources (
        protocol TEXT NOT NULL,
        service TEXT NOT NULL,
        scope TEXT NOT NULL,
        first_seen_us INTEGER NOT NULL,
        last_seen_us INTEGER NOT NULL,
        stats TEXT NOT NULL,
        PRIMARY KEY (protocol, service, scope)
    );
    """,
)

SCHEMA_VERSION: Final = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file up to ``SCHEMA_VERSION``; returns the version it was at before.

    Raises:
        sqlite3.DatabaseError: when the file is newer than this code (downgrades are not supported).
    """
    (current,) = conn.execute("PRAGMA user_version").fetchone()
    if current > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"database schema version {current} is newer than this tracehound ({SCHEMA_VERSION})"
        )
    for version in range(current, SCHEMA_VERSION):
        conn.executescript(f"BEGIN IMMEDIATE; {MIGRATIONS[version]}; PRAGMA user_version = {version + 1}; COMMIT;")
    return current
