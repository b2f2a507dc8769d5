"""``SqliteMetaStore``: projects, datasets, experiments, alerting and ingest records in the same SQLite file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import msgspec

from tracehound.errors import Conflict, NotFound, StoreError
from tracehound.store.base import Project
from tracehound.store.sqlite._locked import LockedConnection
from tracehound.store.sqlite.alerts import SqliteAlertStateStore, SqliteDetectorResultStore
from tracehound.store.sqlite.connection import connect
from tracehound.store.sqlite.datasets import SqliteDatasetStore
from tracehound.store.sqlite.experiments import SqliteExperimentStore
from tracehound.store.sqlite.governance import SqliteGovernanceStore
from tracehound.store.sqlite.prices import SqlitePriceStore
from tracehound.store.sqlite.review import SqliteOnlineStore, SqliteReviewStore
from tracehound.store.sqlite.sources import SqliteIngestSourceStore
from tracehound.timefmt import now_us


class SqliteMetaStore:
    """The relational side of the embedded store. Writes are rare, so one locked connection serves all."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL"):
        self.path = str(path)
        self._conn = connect(self.path, synchronous=synchronous)
        self._lock = threading.Lock()
        self._known: set[str] = set()
        shared = LockedConnection(self._conn, self._lock)
        self.datasets = SqliteDatasetStore(shared)
        self.experiments = SqliteExperimentStore(shared)
        self.prices = SqlitePriceStore(shared)
        self.alerts = SqliteAlertStateStore(shared)
        self.detector_results = SqliteDetectorResultStore(shared)
        self.ingest_sources = SqliteIngestSourceStore(shared)
        self.online = SqliteOnlineStore(shared)
        self.reviews = SqliteReviewStore(shared)
        self.governance = SqliteGovernanceStore(shared)

    def ensure_projects(self, names: Sequence[str]) -> None:
        missing = [name for name in set(names) if name not in self._known]
        if not missing:
            return
        stamp = now_us()
        try:
            with self._lock:
                self._conn.executemany(
                    "INSERT INTO projects (name, created_us) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
                    [(name, stamp) for name in missing],
                )
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc
        self._known.update(missing)

    def list_projects(self) -> list[Project]:
        return [_project(row) for row in self._rows("SELECT name, created_us, description, metadata FROM projects"
                                                    " ORDER BY name", ())]

    def get_project(self, name: str) -> Project | None:
        rows = self._rows("SELECT name, created_us, description, metadata FROM projects WHERE name = ?", (name,))
        return _project(rows[0]) if rows else None

    def create_project(self, name: str, *, description: str | None = None,
                       metadata: dict[str, object] | None = None) -> Project:
        """Create a project explicitly (ingest creates them implicitly). Raises ``Conflict`` when it exists."""
        stamp = now_us()
        try:
            with self._lock:
                cursor = self._conn.execute(
                    "INSERT INTO projects (name, created_us, description, metadata) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT(name) DO NOTHING",
                    (name, stamp, description, msgspec.json.encode(metadata or {}).decode()))
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc
        if cursor.rowcount == 0:
            raise Conflict(f"a project named {name!r} exists already", field="name")
        self._known.add(name)
        return Project(name, stamp, description, dict(metadata or {}))

    def update_project(self, name: str, *, description: str | None = None,
                       metadata: dict[str, object] | None = None) -> Project:
        """Set a project's description and/or metadata (``None`` keeps the stored value). Raises ``NotFound``."""
        try:
            with self._lock:
                cursor = self._conn.execute(
                    "UPDATE projects SET description = coalesce(?, description), metadata = coalesce(?, metadata)"
                    " WHERE name = ?",
                    (description, None if metadata is None else msgspec.json.encode(metadata).decode(), name))
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc
        if cursor.rowcount == 0:
            raise NotFound(f"no project named {name!r}")
        project = self.get_project(name)
        assert project is not None
        return project

    def rename_project(self, old: str, new: str) -> Project:
        try:
            with self._lock:
                if self._conn.execute("SELECT 1 FROM projects WHERE name = ?", (new,)).fetchone():
                    raise Conflict(f"a project named {new!r} exists already", field="name")
                cursor = self._conn.execute("UPDATE projects SET name = ? WHERE name = ?", (new, old))
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc
        if cursor.rowcount == 0:
            raise NotFound(f"no project named {old!r}")
        self._known.discard(old)
        self.governance.rename_project_records(old, new)
        project = self.get_project(new)
        assert project is not None
        return project

    def delete_project(self, name: str) -> bool:
        """Forget a project (its spans are the span store's to delete); ``False`` when unknown."""
        try:
            with self._lock:
                deleted = self._conn.execute("DELETE FROM projects WHERE name = ?", (name,)).rowcount > 0
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc
        self._known.discard(name)
        return deleted

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _rows(self, sql: str, params: Sequence[object]) -> list[tuple[object, ...]]:
        try:
            with self._lock:
                return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc


def _project(row: tuple[object, ...]) -> Project:
    name, created_us, description, metadata = row
    return Project(name=str(name), created_us=int(created_us),  # type: ignore[call-overload]
                   description=description if isinstance(description, str) else None,
                   metadata=msgspec.json.decode(metadata) if isinstance(metadata, str) else {})
