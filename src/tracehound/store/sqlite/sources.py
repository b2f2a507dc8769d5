"""``meta.ingest_sources`` in SQLite: the mapping report's rows (table ``ingest_sources``)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from tracehound.store.sources import SourceRecord
from tracehound.store.sqlite._locked import LockedConnection


class SqliteIngestSourceStore:
    def __init__(self, db: LockedConnection) -> None:
        self._db = db

    def load(self, protocol: str) -> list[SourceRecord]:
        return [SourceRecord(protocol, service, scope, first, last, msgspec.json.decode(stats))
                for service, scope, first, last, stats in self._db.rows(
                    "SELECT service, scope, first_seen_us, last_seen_us, stats FROM ingest_sources WHERE protocol = ?"
                    " ORDER BY service, scope", (protocol,))]

    def save(self, records: Sequence[SourceRecord]) -> None:
        if not records:
            return
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO ingest_sources (protocol, service, scope, first_seen_us, last_seen_us, stats)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (protocol, service, scope) DO UPDATE SET"
                " last_seen_us = excluded.last_seen_us, stats = excluded.stats",
                [(r.protocol, r.service, r.scope, r.first_seen_us, r.last_seen_us,
                  msgspec.json.encode(r.state).decode()) for r in records])
