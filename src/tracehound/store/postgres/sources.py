"""``meta.ingest_sources`` in PostgreSQL: the OTLP mapping report's rows."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from tracehound.store.postgres.connection import Postgres
from tracehound.store.sources import SourceRecord


class PostgresIngestSourceStore:
    def __init__(self, db: Postgres) -> None:
        self._db = db

    def load(self, protocol: str) -> list[SourceRecord]:
        return [SourceRecord(protocol, service, scope, first, last, msgspec.json.decode(stats))
                for service, scope, first, last, stats in self._db.rows(
                    "SELECT service, scope, first_seen_us, last_seen_us, stats FROM ingest_sources"
                    " WHERE protocol = %s ORDER BY service, scope", (protocol,))]

    def save(self, records: Sequence[SourceRecord]) -> None:
        if not records:
            return
        with self._db.transaction() as cur:
            cur.executemany(
                "INSERT INTO ingest_sources (protocol, service, scope, first_seen_us, last_seen_us, stats)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (protocol, service, scope) DO UPDATE SET"
                " last_seen_us = excluded.last_seen_us, stats = excluded.stats",
                [(r.protocol, r.service, r.scope, r.first_seen_us, r.last_seen_us,
                  msgspec.json.encode(r.state).decode()) for r in records])
