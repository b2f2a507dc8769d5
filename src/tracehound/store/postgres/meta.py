"""``PostgresMetaStore``: projects and, through its parts, datasets, experiments, alerting records and
the ingest mapping report, shared by every serving node."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from tracehound.errors import Conflict, NotFound
from tracehound.store.base import Project
from tracehound.store.postgres.alerts import PostgresAlertStateStore, PostgresDetectorResultStore
from tracehound.store.postgres.connection import Postgres
from tracehound.store.postgres.datasets import PostgresDatasetStore
from tracehound.store.postgres.experiments import PostgresExperimentStore
from tracehound.store.postgres.prices import PostgresPriceStore
from tracehound.store.postgres.review import PostgresOnlineStore, PostgresReviewStore
from tracehound.store.postgres.schema import migrate
from tracehound.store.postgres.sources import PostgresIngestSourceStore
from tracehound.timefmt import now_us

_COLUMNS = "name, created_us, description, metadata"


class PostgresMetaStore:
    """Implements ``MetaStore`` on one PostgreSQL database (migrated on open)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = Postgres(url)
        migrate(self.db)
        self._known: set[str] = set()
        self.datasets = PostgresDatasetStore(self.db)
        self.experiments = PostgresExperimentStore(self.db)
        self.alerts = PostgresAlertStateStore(self.db)
        self.detector_results = PostgresDetectorResultStore(self.db)
        self.ingest_sources = PostgresIngestSourceStore(self.db)
        self.prices = PostgresPriceStore(self.db)
        self.online = PostgresOnlineStore(self.db)
        self.reviews = PostgresReviewStore(self.db)

    def ensure_projects(self, names: Sequence[str]) -> None:
        missing = sorted(set(names) - self._known)
        if not missing:
            return
        stamp = now_us()
        with self.db.transaction() as cur:
            cur.executemany("INSERT INTO projects (name, created_us) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                            [(name, stamp) for name in missing])
        self._known.update(missing)

    def list_projects(self) -> list[Project]:
        return [_project(row) for row in self.db.rows(f"SELECT {_COLUMNS} FROM projects ORDER BY name")]

    def get_project(self, name: str) -> Project | None:
        rows = self.db.rows(f"SELECT {_COLUMNS} FROM projects WHERE name = %s", (name,))
        return _project(rows[0]) if rows else None

    def create_project(self, name: str, *, description: str | None = None,
                       metadata: dict[str, object] | None = None) -> Project:
        stamp = now_us()
        with self.db.transaction() as cur:
            cur.execute("INSERT INTO projects (name, created_us, description, metadata) VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT (name) DO NOTHING",
                        (name, stamp, description, msgspec.json.encode(metadata or {}).decode()))
            created = cur.rowcount
        if created == 0:
            raise Conflict(f"a project named {name!r} exists already", field="name")
        self._known.add(name)
        return Project(name, stamp, description, dict(metadata or {}))

    def update_project(self, name: str, *, description: str | None = None,
                       metadata: dict[str, object] | None = None) -> Project:
        with self.db.transaction() as cur:
            cur.execute("UPDATE projects SET description = coalesce(%s, description),"
                        " metadata = coalesce(%s, metadata) WHERE name = %s",
                        (description, None if metadata is None else msgspec.json.encode(metadata).decode(), name))
            changed = cur.rowcount
        if changed == 0:
            raise NotFound(f"no project named {name!r}")
        project = self.get_project(name)
        assert project is not None
        return project

    def delete_project(self, name: str) -> bool:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM projects WHERE name = %s", (name,))
            deleted = cur.rowcount > 0
        self._known.discard(name)
        return deleted

    def close(self) -> None:
        self.db.close()


def _project(row: tuple[object, ...]) -> Project:
    name, created_us, description, metadata = row
    return Project(name=str(name), created_us=int(created_us),  # type: ignore[call-overload]
                   description=description if isinstance(description, str) else None,
                   metadata=msgspec.json.decode(metadata) if isinstance(metadata, str) else {})
