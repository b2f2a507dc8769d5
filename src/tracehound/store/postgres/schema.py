"""The PostgreSQL meta schema as numbered migrations, applied under an advisory lock.

``schema_migrations`` records what a database has; nodes starting together serialize on the lock,
so each migration runs once. A migration is never edited once released: a change is a new entry.
JSON values are stored as text (their key order is kept, as the API returns it).
"""

from __future__ import annotations

from typing import Final

from tracehound.errors import StoreError
from tracehound.store.postgres.connection import Postgres

MIGRATIONS: Final[tuple[str, ...]] = (
    # 1: projects, evaluation records, alerting, detector results, the ingest mapping report.
    """
    CREATE TABLE projects (
        name TEXT PRIMARY KEY, created_us BIGINT NOT NULL, description TEXT, metadata TEXT
    );
    CREATE TABLE datasets (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT, metadata TEXT,
        version INTEGER NOT NULL DEFAULT 0, created_us BIGINT NOT NULL, updated_us BIGINT NOT NULL
    );
    CREATE TABLE dataset_versions (
        dataset_id TEXT NOT NULL, version INTEGER NOT NULL, created_us BIGINT NOT NULL, change TEXT NOT NULL,
        PRIMARY KEY (dataset_id, version)
    );
    CREATE TABLE examples (
        seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL, dataset_id TEXT NOT NULL, inputs TEXT, outputs TEXT,
        metadata TEXT, splits TEXT, source_run_id TEXT, created_version INTEGER NOT NULL, retired_version INTEGER,
        created_us BIGINT NOT NULL
    );
    CREATE INDEX examples_dataset ON examples (dataset_id, created_version);
    CREATE UNIQUE INDEX examples_current ON examples (id) WHERE retired_version IS NULL;
    CREATE INDEX examples_id ON examples (id, created_version);
    CREATE TABLE experiments (
        seq BIGSERIAL, id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, project TEXT NOT NULL, dataset_id TEXT,
        dataset_version INTEGER, split TEXT, metadata TEXT, summary TEXT, created_us BIGINT NOT NULL,
        ended_us BIGINT
    );
    CREATE INDEX experiments_dataset ON experiments (dataset_id, created_us);
    CREATE TABLE experiment_results (
        seq BIGSERIAL, experiment_id TEXT NOT NULL, example_id TEXT NOT NULL, repetition INTEGER NOT NULL,
        run_id TEXT NOT NULL, trace_id TEXT, outputs TEXT, error TEXT, latency_us BIGINT, scores TEXT, errors TEXT,
        passed BOOLEAN NOT NULL, PRIMARY KEY (experiment_id, example_id, repetition)
    );
    CREATE TABLE alert_rules (
        id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_us BIGINT NOT NULL, updated_us BIGINT NOT NULL
    );
    CREATE TABLE alert_state (
        rule_id TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, since_us BIGINT NOT NULL,
        last_notified_us BIGINT, value DOUBLE PRECISION, traces TEXT, PRIMARY KEY (rule_id, key)
    );
    CREATE TABLE alert_events (
        seq BIGSERIAL PRIMARY KEY, at_us BIGINT NOT NULL, rule_id TEXT NOT NULL, key TEXT NOT NULL,
        from_state TEXT NOT NULL, to_state TEXT NOT NULL, value DOUBLE PRECISION, message TEXT, traces TEXT,
        notified TEXT
    );
    CREATE INDEX alert_events_rule ON alert_events (rule_id, seq);
    CREATE TABLE alert_silences (
        id TEXT PRIMARY KEY, rule_id TEXT, key TEXT, until_us BIGINT NOT NULL, comment TEXT, created_us BIGINT NOT NULL
    );
    CREATE TABLE detector_results (
        seq BIGSERIAL PRIMARY KEY, detector TEXT NOT NULL, at_us BIGINT NOT NULL, params TEXT, result TEXT NOT NULL
    );
    CREATE INDEX detector_results_detector ON detector_results (detector, seq);
    CREATE TABLE ingest_sources (
        protocol TEXT NOT NULL, service TEXT NOT NULL, scope TEXT NOT NULL, first_seen_us BIGINT NOT NULL,
        last_seen_us BIGINT NOT NULL, stats TEXT NOT NULL, PRIMARY KEY (protocol, service, scope)
    );
    """,
    # 2: per-project price overrides, one row per (project, model, day it takes effect).
    """
    CREATE TABLE price_overrides (
        project TEXT NOT NULL, model TEXT NOT NULL, effective TEXT NOT NULL, input DOUBLE PRECISION NOT NULL,
        output DOUBLE PRECISION NOT NULL, cached_input DOUBLE PRECISION, cache_write DOUBLE PRECISION,
        reasoning DOUBLE PRECISION, context_window INTEGER, source TEXT, note TEXT, updated_us BIGINT NOT NULL,
        PRIMARY KEY (project, model, effective)
    );
    """,
    # 3: the review loop (store/postgres/review.py): online rules, deploy markers, pools and members,
    # annotation queues, items, annotations, presigned feedback tokens.
    """
    CREATE TABLE online_rules (
        id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_us BIGINT NOT NULL, updated_us BIGINT NOT NULL
    );
    CREATE TABLE deploy_markers (
        id TEXT PRIMARY KEY, project TEXT NOT NULL, version TEXT NOT NULL, at_us BIGINT NOT NULL,
        description TEXT, metadata TEXT
    );
    CREATE INDEX deploy_markers_project ON deploy_markers (project, at_us);
    CREATE TABLE pools (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, project TEXT NOT NULL, kind TEXT NOT NULL,
        created_us BIGINT NOT NULL, definition TEXT NOT NULL
    );
    CREATE TABLE pool_members (
        pool_id TEXT NOT NULL, run_id TEXT NOT NULL, trace_id TEXT NOT NULL, session_id TEXT,
        added_us BIGINT NOT NULL, run_start_us BIGINT NOT NULL, reason TEXT NOT NULL, stats TEXT,
        PRIMARY KEY (pool_id, run_id)
    );
    CREATE INDEX pool_members_time ON pool_members (pool_id, run_start_us);
    CREATE TABLE annotation_queues (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_us BIGINT NOT NULL, definition TEXT NOT NULL
    );
    CREATE TABLE queue_items (
        seq BIGSERIAL PRIMARY KEY, queue_id TEXT NOT NULL, run_id TEXT NOT NULL, trace_id TEXT,
        added_us BIGINT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
        reviews INTEGER NOT NULL DEFAULT 0, claimed_by TEXT, claim_until_us BIGINT,
        UNIQUE (queue_id, run_id)
    );
    CREATE INDEX queue_items_status ON queue_items (queue_id, status, seq);
    CREATE TABLE annotations (
        id TEXT PRIMARY KEY, queue_id TEXT NOT NULL, run_id TEXT NOT NULL, reviewer TEXT NOT NULL,
        created_us BIGINT NOT NULL, labels TEXT, reference_output TEXT, comment TEXT, promote INTEGER NOT NULL,
        example_id TEXT, UNIQUE (queue_id, run_id, reviewer)
    );
    CREATE INDEX annotations_run ON annotations (run_id);
    CREATE TABLE feedback_tokens (
        id TEXT PRIMARY KEY, run_id TEXT NOT NULL, key TEXT NOT NULL, expires_us BIGINT NOT NULL,
        created_us BIGINT NOT NULL, feedback_id TEXT, config TEXT
    );
    """,
)

SCHEMA_VERSION: Final = len(MIGRATIONS)
_LOCK_KEY: Final = 0x7472616365  # "trace": the advisory lock every node migrates under


def migrate(db: Postgres) -> int:
    """Apply the migrations the database lacks; returns the version it was at.

    Raises:
        StoreError: the database is newer than this tracehound, or a migration failed.
    """
    with db.transaction() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        cur.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                    " applied_us BIGINT NOT NULL)")
        cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
        (current,) = cur.fetchone()
        if current > SCHEMA_VERSION:
            raise StoreError(f"postgresql schema version {current} is newer than this tracehound ({SCHEMA_VERSION})")
        for version in range(current, SCHEMA_VERSION):
            cur.execute(MIGRATIONS[version])
            cur.execute("INSERT INTO schema_migrations VALUES (%s, (extract(epoch FROM now()) * 1e6)::bigint)",
                        (version + 1,))
    return int(current)
