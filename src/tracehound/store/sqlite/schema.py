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
    # 2: query support. A time index for newest-first listing across projects (a user_id index was
    # measured at ~15% of raw ingest throughput, so user look-ups scan by time instead); the
    # full-text index over payloads and metadata, filled by a catch-up indexer (store/sqlite/search.py)
    # rather than on the ingest path. Contentless FTS5 (the text is already in `spans`, compressed)
    # can only forget a row given the exact text it indexed, so an update or delete of an indexed
    # span parks the old blobs in spans_fts_dirty for the indexer to retract.
    """
    CREATE INDEX spans_time ON spans (start_us);
    CREATE VIRTUAL TABLE spans_fts USING fts5(inputs, outputs, error, metadata, content='');
    CREATE TABLE spans_fts_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_seq INTEGER NOT NULL);
    INSERT INTO spans_fts_state VALUES (1, 0);
    CREATE TABLE spans_fts_dirty (
        seq INTEGER PRIMARY KEY, inputs BLOB, outputs BLOB, error BLOB, metadata TEXT
    );
    CREATE TRIGGER spans_fts_on_update AFTER UPDATE ON spans
    WHEN old.seq <= (SELECT indexed_seq FROM spans_fts_state WHERE id = 1)
     AND (old.inputs IS NOT new.inputs OR old.outputs IS NOT new.outputs OR old.error IS NOT new.error
          OR old.metadata IS NOT new.metadata)
    BEGIN
        INSERT OR IGNORE INTO spans_fts_dirty VALUES (old.seq, old.inputs, old.outputs, old.error, old.metadata);
    END;
    CREATE TRIGGER spans_fts_on_delete AFTER DELETE ON spans
    WHEN old.seq <= (SELECT indexed_seq FROM spans_fts_state WHERE id = 1)
    BEGIN
        INSERT OR IGNORE INTO spans_fts_dirty VALUES (old.seq, old.inputs, old.outputs, old.error, old.metadata);
    END;
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
    # 5: rollups (tracehound.store.sqlite.rollups). Triggers turn every change of a finished span into
    # signed rows of rollup_delta (-1 for the old version, +1 for the new), so re-sent spans and
    # start→end merges count exactly once; each write transaction folds the deltas into per-minute,
    # per-hour and per-day buckets and empties rollup_delta before it commits. A bucket's latency
    # sketch is one msgpack blob {bin: count} (tracehound.store.sketch, 1% relative error): a row per
    # bin cost ~3x more to fold. Cost is summed in integer nano-dollars so sums stay exact.
    """
    CREATE TABLE rollup_delta (
        start_us INTEGER NOT NULL, project TEXT NOT NULL, run_type TEXT NOT NULL, name TEXT NOT NULL,
        model TEXT NOT NULL, status TEXT NOT NULL, root INTEGER NOT NULL, bin INTEGER NOT NULL, n INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, total_tokens INTEGER NOT NULL,
        cost_nusd INTEGER NOT NULL, latency_us INTEGER NOT NULL
    );
    CREATE TABLE rollups (
        width_us INTEGER NOT NULL, project TEXT NOT NULL, run_type TEXT NOT NULL, bucket_us INTEGER NOT NULL,
        name TEXT NOT NULL, model TEXT NOT NULL, status TEXT NOT NULL, root INTEGER NOT NULL,
        calls INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
        total_tokens INTEGER NOT NULL, cost_nusd INTEGER NOT NULL, latency_us INTEGER NOT NULL, bins BLOB NOT NULL,
        PRIMARY KEY (width_us, project, run_type, bucket_us, name, model, status, root)
    ) WITHOUT ROWID;
    CREATE TRIGGER spans_rollup_on_insert AFTER INSERT ON spans WHEN new.end_us IS NOT NULL
    BEGIN
        INSERT INTO rollup_delta VALUES (
            new.start_us, new.project, new.run_type, new.name, coalesce(new.model, ''), new.status,
            new.parent_id IS NULL, CAST(ceil(ln(max(new.end_us - new.start_us, 1)) / 0.020000666706669435) AS INTEGER),
            1, coalesce(new.prompt_tokens, 0), coalesce(new.completion_tokens, 0), coalesce(new.total_tokens, 0),
            CAST(round(coalesce(new.cost, 0) * 1e9) AS INTEGER), new.end_us - new.start_us);
    END;
    CREATE TRIGGER spans_rollup_on_update AFTER UPDATE ON spans
    WHEN (old.end_us IS NOT NULL OR new.end_us IS NOT NULL)
     AND (old.start_us IS NOT new.start_us OR old.end_us IS NOT new.end_us OR old.project IS NOT new.project
          OR old.run_type IS NOT new.run_type OR old.name IS NOT new.name OR old.model IS NOT new.model
          OR old.status IS NOT new.status OR (old.parent_id IS NULL) IS NOT (new.parent_id IS NULL)
          OR old.prompt_tokens IS NOT new.prompt_tokens OR old.completion_tokens IS NOT new.completion_tokens
          OR old.total_tokens IS NOT new.total_tokens OR old.cost IS NOT new.cost)
    BEGIN
        INSERT INTO rollup_delta SELECT
            old.start_us, old.project, old.run_type, old.name, coalesce(old.model, ''), old.status,
            old.parent_id IS NULL, CAST(ceil(ln(max(old.end_us - old.start_us, 1)) / 0.020000666706669435) AS INTEGER),
            -1, -coalesce(old.prompt_tokens, 0), -coalesce(old.completion_tokens, 0), -coalesce(old.total_tokens, 0),
            -CAST(round(coalesce(old.cost, 0) * 1e9) AS INTEGER), -(old.end_us - old.start_us)
        WHERE old.end_us IS NOT NULL;
        INSERT INTO rollup_delta SELECT
            new.start_us, new.project, new.run_type, new.name, coalesce(new.model, ''), new.status,
            new.parent_id IS NULL, CAST(ceil(ln(max(new.end_us - new.start_us, 1)) / 0.020000666706669435) AS INTEGER),
            1, coalesce(new.prompt_tokens, 0), coalesce(new.completion_tokens, 0), coalesce(new.total_tokens, 0),
            CAST(round(coalesce(new.cost, 0) * 1e9) AS INTEGER), new.end_us - new.start_us
        WHERE new.end_us IS NOT NULL;
    END;
    CREATE TRIGGER spans_rollup_on_delete AFTER DELETE ON spans WHEN old.end_us IS NOT NULL
    BEGIN
        INSERT INTO rollup_delta VALUES (
            old.start_us, old.project, old.run_type, old.name, coalesce(old.model, ''), old.status,
            old.parent_id IS NULL, CAST(ceil(ln(max(old.end_us - old.start_us, 1)) / 0.020000666706669435) AS INTEGER),
            -1, -coalesce(old.prompt_tokens, 0), -coalesce(old.completion_tokens, 0), -coalesce(old.total_tokens, 0),
            -CAST(round(coalesce(old.cost, 0) * 1e9) AS INTEGER), -(old.end_us - old.start_us));
    END;
    CREATE TABLE alert_rules (
        id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL
    );
    CREATE TABLE alert_state (
        rule_id TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, since_us INTEGER NOT NULL,
        last_notified_us INTEGER, value REAL, traces TEXT, PRIMARY KEY (rule_id, key)
    );
    CREATE TABLE alert_events (
        seq INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, rule_id TEXT NOT NULL, key TEXT NOT NULL,
        from_state TEXT NOT NULL, to_state TEXT NOT NULL, value REAL, message TEXT, traces TEXT,
        notified TEXT
    );
    CREATE INDEX alert_events_rule ON alert_events (rule_id, at_us);
    CREATE TABLE alert_silences (
        id TEXT PRIMARY KEY, rule_id TEXT, key TEXT, until_us INTEGER NOT NULL, comment TEXT,
        created_us INTEGER NOT NULL
    );
    CREATE TABLE detector_results (
        seq INTEGER PRIMARY KEY, detector TEXT NOT NULL, at_us INTEGER NOT NULL, params TEXT, result TEXT NOT NULL
    );
    """,
    # sampling: per-minute counts of spans tail sampling dropped (store/sqlite/dropped.py), keyed like
    # the rollups, so metrics can add them back into throughput and error rates.
    """
    CREATE TABLE sampling_dropped (
        project TEXT NOT NULL, minute_us INTEGER NOT NULL, run_type TEXT NOT NULL, name TEXT NOT NULL,
        model TEXT NOT NULL, status TEXT NOT NULL, spans INTEGER NOT NULL, traces INTEGER NOT NULL,
        PRIMARY KEY (project, minute_us, run_type, name, model, status)
    ) WITHOUT ROWID;
    """,
    # pricing: per-project price overrides (store/sqlite/prices.py; project '*' = every project), one row
    # per (project, model, day it takes effect), USD per million tokens like the shipped table.
    """
    CREATE TABLE price_overrides (
        project TEXT NOT NULL, model TEXT NOT NULL, effective TEXT NOT NULL, input REAL NOT NULL,
        output REAL NOT NULL, cached_input REAL, cache_write REAL, reasoning REAL, context_window INTEGER,
        source TEXT, note TEXT, updated_us INTEGER NOT NULL,
        PRIMARY KEY (project, model, effective)
    );
    """,
    # the review loop (store/sqlite/review.py): online evaluator rules, deploy markers, pools and their
    # members, annotation queues, items, annotations, presigned feedback tokens; verdicts by source.
    """
    CREATE TABLE online_rules (
        id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL
    );
    CREATE TABLE deploy_markers (
        id TEXT PRIMARY KEY, project TEXT NOT NULL, version TEXT NOT NULL, at_us INTEGER NOT NULL,
        description TEXT, metadata TEXT
    );
    CREATE INDEX deploy_markers_project ON deploy_markers (project, at_us);
    CREATE TABLE pools (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, project TEXT NOT NULL, kind TEXT NOT NULL,
        created_us INTEGER NOT NULL, definition TEXT NOT NULL
    );
    CREATE TABLE pool_members (
        pool_id TEXT NOT NULL, run_id TEXT NOT NULL, trace_id TEXT NOT NULL, session_id TEXT,
        added_us INTEGER NOT NULL, run_start_us INTEGER NOT NULL, reason TEXT NOT NULL, stats TEXT,
        PRIMARY KEY (pool_id, run_id)
    ) WITHOUT ROWID;
    CREATE INDEX pool_members_time ON pool_members (pool_id, run_start_us);
    CREATE TABLE annotation_queues (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_us INTEGER NOT NULL, definition TEXT NOT NULL
    );
    CREATE TABLE queue_items (
        seq INTEGER PRIMARY KEY, queue_id TEXT NOT NULL, run_id TEXT NOT NULL, trace_id TEXT,
        added_us INTEGER NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
        reviews INTEGER NOT NULL DEFAULT 0, claimed_by TEXT, claim_until_us INTEGER,
        UNIQUE (queue_id, run_id)
    );
    CREATE INDEX queue_items_status ON queue_items (queue_id, status, seq);
    CREATE TABLE annotations (
        id TEXT PRIMARY KEY, queue_id TEXT NOT NULL, run_id TEXT NOT NULL, reviewer TEXT NOT NULL,
        created_us INTEGER NOT NULL, labels TEXT, reference_output TEXT, comment TEXT, promote INTEGER NOT NULL,
        example_id TEXT, UNIQUE (queue_id, run_id, reviewer)
    );
    CREATE INDEX annotations_run ON annotations (run_id);
    CREATE TABLE feedback_tokens (
        id TEXT PRIMARY KEY, run_id TEXT NOT NULL, key TEXT NOT NULL, expires_us INTEGER NOT NULL,
        created_us INTEGER NOT NULL, feedback_id TEXT, config TEXT
    );
    CREATE INDEX feedback_source ON feedback (source, key, created_us);
    """,
    # governance (store/sqlite/governance.py): API keys and users (hashes only), UI sessions, the
    # append-only audit log, retention policies and what each retention pass removed, per-project
    # settings (redaction rules), server secrets (the cookie signing key).
    """
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, prefix TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL, projects TEXT, created_us INTEGER NOT NULL, created_by TEXT,
        last_used_us INTEGER, revoked_us INTEGER
    );
    CREATE TABLE users (
        username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, projects TEXT,
        created_us INTEGER NOT NULL, disabled_us INTEGER
    );
    CREATE TABLE ui_sessions (
        token_hash TEXT PRIMARY KEY, subject_kind TEXT NOT NULL, subject TEXT NOT NULL,
        created_us INTEGER NOT NULL, expires_us INTEGER NOT NULL
    );
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        target TEXT, project TEXT, detail TEXT
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
    END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
    END;
    CREATE TABLE retention_policies (
        project TEXT PRIMARY KEY, ok_days REAL, failed_days REAL, payload_days REAL, rollup_days REAL,
        updated_us INTEGER NOT NULL
    );
    CREATE TABLE retention_runs (
        seq INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, project TEXT NOT NULL, traces INTEGER NOT NULL,
        spans INTEGER NOT NULL, payloads INTEGER NOT NULL, rollups INTEGER NOT NULL, dry_run INTEGER NOT NULL
    );
    CREATE TABLE project_settings (
        project TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (project, name)
    ) WITHOUT ROWID;
    CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
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
