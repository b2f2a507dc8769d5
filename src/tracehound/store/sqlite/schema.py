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
    # 4: evaluation. Examples are revisions: editing or retiring one closes its row at the new dataset
    # version (retired_version) and, for an edit, opens a new row; so the examples "as of version v"
    # are the rows with created_version <= v < coalesce(retired_version, inf), and an experiment that
    # recorded its version can always be compared on exactly the examples it ran. Feedback sits with
    # the spans (run_id joins spans.id) so the filter language can select runs by their scores.
    """
    CREATE TABLE datasets (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT,
        metadata TEXT,
        version INTEGER NOT NULL DEFAULT 0,
        created_us INTEGER NOT NULL,
        updated_us INTEGER NOT NULL
    );
    CREATE TABLE dataset_versions (
        dataset_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_us INTEGER NOT NULL,
        change TEXT NOT NULL,
        PRIMARY KEY (dataset_id, version)
    );
    CREATE TABLE examples (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        dataset_id TEXT NOT NULL,
        inputs TEXT,
        outputs TEXT,
        metadata TEXT,
        splits TEXT,
        source_run_id TEXT,
        created_version INTEGER NOT NULL,
        retired_version INTEGER,
        created_us INTEGER NOT NULL
    );
    CREATE INDEX examples_dataset ON examples (dataset_id, created_version);
    CREATE UNIQUE INDEX examples_current ON examples (id) WHERE retired_version IS NULL;
    CREATE INDEX examples_id ON examples (id, created_version);
    CREATE TABLE experiments (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        project TEXT NOT NULL,
        dataset_id TEXT,
        dataset_version INTEGER,
        split TEXT,
        metadata TEXT,
        summary TEXT,
        created_us INTEGER NOT NULL,
        ended_us INTEGER
    );
    CREATE INDEX experiments_dataset ON experiments (dataset_id, created_us);
    CREATE TABLE experiment_results (
        experiment_id TEXT NOT NULL,
        example_id TEXT NOT NULL,
        repetition INTEGER NOT NULL,
        run_id TEXT NOT NULL,
        trace_id TEXT,
        outputs TEXT,
        error TEXT,
        latency_us INTEGER,
        scores TEXT,
        errors TEXT,
        passed INTEGER NOT NULL,
        PRIMARY KEY (experiment_id, example_id, repetition)
    );
    CREATE TABLE feedback (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        trace_id TEXT,
        key TEXT NOT NULL,
        score REAL,
        value TEXT,
        comment TEXT,
        source TEXT NOT NULL,
        source_info TEXT,
        created_us INTEGER NOT NULL
    );
    CREATE INDEX feedback_run ON feedback (run_id, key);
    CREATE INDEX feedback_key ON feedback (key, score);
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
