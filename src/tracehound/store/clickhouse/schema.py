"""The ClickHouse schema as numbered migrations, designed for the access paths rather than ported.

``spans`` (ReplacingMergeTree on ``version``, ``is_deleted``): one row per span once merged. The
store merges a re-sent span with what is stored before it writes (values given win, metadata
merges, tags unite, a final status stays), then appends the merged row with a higher version;
reads use ``FINAL`` so they are right before ClickHouse merges the parts. ORDER BY
``(project, start_us, id)``: listings and scans are project + time ranges; a span's sort key only
changes if a re-send moves its project or start, and then the old key gets a tombstone
(``is_deleted = 1``). Monthly partitions make retention a partition drop; the TTL clause is ready
(``ALTER TABLE spans MODIFY TTL …``, see docs/operations/scale-out.md).

Look-ups by id and by trace do not scan: materialized views keep ``span_keys`` (ORDER BY id) and
``trace_keys`` (ORDER BY trace_id, id), each mapping to the span's sort key, so a span or a trace
is two primary-key reads. Bloom filters cover ``trace_id``, ``session_id``, ``user_id``; token
bloom filters over the lower-cased payload text serve full-text search (``hasToken``).

Rollups: the store writes signed deltas (−old, +new, computed in the merge above) to
``rollup_delta`` (Null engine: nothing stored); materialized views fold them into per-minute and
per-hour ``AggregatingMergeTree`` buckets with sums and a ``sumMap`` latency sketch over the same
1%-error logarithmic bins as SQLite (``store.sketch``), so percentiles merge across buckets and
agree with the embedded store exactly.

A migration is never edited once released: a change is a new entry at the end. Statements are
idempotent (``IF NOT EXISTS``), so nodes starting together may race through them safely.
"""

from __future__ import annotations

from typing import Final

from tracehound.store.clickhouse.connection import ClickHouse

_ROLLUP_COLUMNS = """
    project LowCardinality(String), run_type LowCardinality(String), name LowCardinality(String),
    model LowCardinality(String), status LowCardinality(String), root UInt8,
    calls SimpleAggregateFunction(sum, Int64), prompt_tokens SimpleAggregateFunction(sum, Int64),
    completion_tokens SimpleAggregateFunction(sum, Int64), total_tokens SimpleAggregateFunction(sum, Int64),
    cost_nusd SimpleAggregateFunction(sum, Int64), latency_us SimpleAggregateFunction(sum, Int64),
    bins AggregateFunction(sumMap, Array(Int16), Array(Int64))
"""


def _rollup_view(width_us: int, table: str) -> str:
    return (
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {table}_mv TO {table} AS SELECT"
        f" intDiv(start_us, {width_us}) * {width_us} AS bucket_us, project, run_type, name, model, status, root,"
        " sum(n) AS calls, sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,"
        " sum(total_tokens) AS total_tokens, sum(cost_nusd) AS cost_nusd, sum(latency_us) AS latency_us,"
        " sumMapState([bin], [n]) AS bins FROM rollup_delta"
        " GROUP BY bucket_us, project, run_type, name, model, status, root"
    )


MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    # 1: spans, their key tables, feedback, rollups, sampling-dropped counts.
    (
        """CREATE TABLE IF NOT EXISTS spans (
            id UUID,
            trace_id UUID,
            parent_id Nullable(UUID),
            dotted_order String CODEC(ZSTD(1)),
            project LowCardinality(String),
            session_id Nullable(String),
            user_id Nullable(String),
            run_type LowCardinality(String),
            name LowCardinality(String),
            start_us Int64 CODEC(Delta, ZSTD(1)),
            end_us Nullable(Int64) CODEC(ZSTD(1)),
            status LowCardinality(String),
            status_reason Nullable(String),
            error String CODEC(ZSTD(3)),
            inputs String CODEC(ZSTD(3)),
            outputs String CODEC(ZSTD(3)),
            metadata String CODEC(ZSTD(3)),
            tags Array(LowCardinality(String)),
            prompt_tokens Nullable(Int64),
            completion_tokens Nullable(Int64),
            total_tokens Nullable(Int64),
            cost Nullable(Float64),
            cost_details String CODEC(ZSTD(3)),
            model LowCardinality(Nullable(String)),
            step Nullable(Int64),
            reference_example_id Nullable(UUID),
            events String CODEC(ZSTD(3)),
            ingested_us Int64 CODEC(Delta, ZSTD(1)),
            version UInt64 CODEC(Delta, ZSTD(1)),
            is_deleted UInt8,
            INDEX trace_bf trace_id TYPE bloom_filter(0.01) GRANULARITY 1,
            INDEX session_bf session_id TYPE bloom_filter(0.01) GRANULARITY 1,
            INDEX user_bf user_id TYPE bloom_filter(0.01) GRANULARITY 1,
            INDEX inputs_tok lowerUTF8(inputs) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1,
            INDEX outputs_tok lowerUTF8(outputs) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1,
            INDEX error_tok lowerUTF8(error) TYPE tokenbf_v1(8192, 3, 0) GRANULARITY 1,
            INDEX metadata_tok lowerUTF8(metadata) TYPE tokenbf_v1(8192, 3, 0) GRANULARITY 1
        ) ENGINE = ReplacingMergeTree(version, is_deleted)
        PARTITION BY toYYYYMM(fromUnixTimestamp64Micro(start_us))
        ORDER BY (project, start_us, id)""",
        """CREATE TABLE IF NOT EXISTS span_keys (
            id UUID, trace_id UUID, project LowCardinality(String), start_us Int64, version UInt64, is_deleted UInt8
        ) ENGINE = ReplacingMergeTree(version, is_deleted) ORDER BY id SETTINGS index_granularity = 1024""",
        """CREATE MATERIALIZED VIEW IF NOT EXISTS span_keys_mv TO span_keys AS
            SELECT id, trace_id, project, start_us, version, is_deleted FROM spans""",
        """CREATE TABLE IF NOT EXISTS trace_keys (
            trace_id UUID, id UUID, project LowCardinality(String), start_us Int64, version UInt64, is_deleted UInt8
        ) ENGINE = ReplacingMergeTree(version, is_deleted) ORDER BY (trace_id, id)
        SETTINGS index_granularity = 1024""",
        """CREATE MATERIALIZED VIEW IF NOT EXISTS trace_keys_mv TO trace_keys AS
            SELECT trace_id, id, project, start_us, version, is_deleted FROM spans""",
        """CREATE TABLE IF NOT EXISTS feedback (
            id UUID, run_id UUID, trace_id Nullable(UUID), key LowCardinality(String), score Nullable(Float64),
            value String, comment Nullable(String), source LowCardinality(String), source_info String,
            created_us Int64, version UInt64, is_deleted UInt8,
            INDEX id_bf id TYPE bloom_filter(0.01) GRANULARITY 1
        ) ENGINE = ReplacingMergeTree(version, is_deleted) ORDER BY (run_id, id)""",
        """CREATE TABLE IF NOT EXISTS rollup_delta (
            start_us Int64, project String, run_type String, name String, model String, status String, root UInt8,
            bin Int16, n Int64, prompt_tokens Int64, completion_tokens Int64, total_tokens Int64, cost_nusd Int64,
            latency_us Int64
        ) ENGINE = Null""",
        f"""CREATE TABLE IF NOT EXISTS rollups_minute (bucket_us Int64, {_ROLLUP_COLUMNS})
        ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(fromUnixTimestamp64Micro(bucket_us))
        ORDER BY (project, bucket_us, run_type, name, model, status, root)""",
        _rollup_view(60_000_000, "rollups_minute"),
        f"""CREATE TABLE IF NOT EXISTS rollups_hour (bucket_us Int64, {_ROLLUP_COLUMNS})
        ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(fromUnixTimestamp64Micro(bucket_us))
        ORDER BY (project, bucket_us, run_type, name, model, status, root)""",
        _rollup_view(3_600_000_000, "rollups_hour"),
        """CREATE TABLE IF NOT EXISTS sampling_dropped (
            project LowCardinality(String), minute_us Int64, run_type LowCardinality(String),
            name LowCardinality(String), model LowCardinality(String), status LowCardinality(String),
            spans Int64, traces Int64
        ) ENGINE = SummingMergeTree((spans, traces)) ORDER BY (project, minute_us, run_type, name, model, status)""",
    ),
)

SCHEMA_VERSION: Final = len(MIGRATIONS)


def migrate(db: ClickHouse) -> int:
    """Apply the migrations this database lacks; returns the version it was at.

    Raises:
        StoreError: the database is newer than this tracehound, or a statement failed.
    """
    from tracehound.errors import StoreError

    db.command("CREATE TABLE IF NOT EXISTS schema_versions (version UInt32, applied_us Int64)"
               " ENGINE = ReplacingMergeTree ORDER BY version")
    current = int(db.rows("SELECT max(version) FROM schema_versions")[0][0] or 0)
    if current > SCHEMA_VERSION:
        raise StoreError(f"clickhouse schema version {current} is newer than this tracehound ({SCHEMA_VERSION})")
    from tracehound.timefmt import now_us

    for version in range(current, SCHEMA_VERSION):
        for statement in MIGRATIONS[version]:
            db.command(statement)
        db.insert("schema_versions", [(version + 1, now_us())], ("version", "applied_us"))
    return current
