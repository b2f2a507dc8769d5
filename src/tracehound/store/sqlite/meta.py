"""``SqliteMetaStore``: projects, datasets and experiments (keys later) in the same SQLite file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import msgspec

from tracehound.errors import StoreError
from tracehound.store.base import Project
from tracehound.store.sqlite._locked import LockedConnection
from tracehound.store.sqlite.connection import connect
from tracehound.store.sqlite.datasets import SqliteDatasetStore
from tracehound.store.sqlite.experiments import SqliteExperimentStore
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
