"""One PostgreSQL connection for the meta store, shared by its parts under a lock, errors translated.

Meta writes are rare and small (a project, a dataset version, an alert transition), so one
connection per node is enough; several nodes share the database, and every multi-statement change
runs in one transaction so they never see half of one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tracehound.errors import ConfigError, StoreError


class Postgres:
    """A locked psycopg 3 connection in autocommit mode; ``transaction()`` groups statements."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - the extra is missing
            raise ConfigError("the PostgreSQL store needs psycopg: pip install 'tracehound[scale]'",
                              setting="TRACEHOUND_META_URL") from exc
        self._psycopg = psycopg
        self.url = url
        self.lock = threading.RLock()
        try:
            self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"postgresql: cannot connect: {_first_line(exc)}") from exc

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor inside one transaction, committed on success, rolled back on error."""
        try:
            with self.lock, self.conn.transaction(), self.conn.cursor() as cursor:
                yield cursor
        except self._psycopg.Error as exc:
            raise StoreError(f"postgresql: {_first_line(exc)}") from exc

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            with self.lock, self.conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        except self._psycopg.Error as exc:
            raise StoreError(f"postgresql: {_first_line(exc)}") from exc

    def is_unique_violation(self, exc: BaseException) -> bool:
        return isinstance(exc.__cause__, self._psycopg.errors.UniqueViolation)

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__
