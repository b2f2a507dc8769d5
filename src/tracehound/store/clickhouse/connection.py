"""One ClickHouse client for a store URL, over HTTP (a server) or in process (chDB), with errors translated.

    clickhouse://user:secret@ch1:8123/tracehound     a ClickHouse server over HTTP
    clickhouses://user:secret@ch1:8443/tracehound    the same over TLS
    chdb:///var/lib/tracehound/ch                    the ClickHouse engine in this process (chDB)
    chdb:///var/lib/tracehound/ch?database=test_1    …in a database other than ``tracehound``

Both transports are ``clickhouse-connect`` clients (it ships a chDB backend), so the store has one
implementation. Writes use synchronous inserts (``async_insert=0``): an insert returns only once
its parts are written, which is what lets ingest acknowledge a batch only after ClickHouse holds it.
chDB allows one engine directory per process; a second path in the same process is refused.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlparse

from tracehound.errors import ConfigError, StoreError

DEFAULT_DATABASE: Final = "tracehound"
# Settings every insert runs with; see docs/operations/scale-out.md ("When is a batch acknowledged?").
INSERT_SETTINGS: Final = {"async_insert": 0, "wait_for_async_insert": 1, "insert_deduplicate": 1}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_UUID_AS_TEXT: Final = {"UUID": "string"}


def database_of(url: str) -> str:
    """The database a store URL names (path for servers, ``?database=`` for chDB)."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    if parsed.scheme == "chdb":
        name = query.get("database", [DEFAULT_DATABASE])[0]
    else:
        name = unquote(parsed.path.strip("/")) or query.get("database", [DEFAULT_DATABASE])[0]
    if not _NAME.match(name):
        raise ConfigError(f"{name!r} is not a ClickHouse database name (letters, digits, _)",
                          setting="TRACEHOUND_SPANS_URL")
    return name


class ClickHouse:
    """A thread-safe handle on one database: ``rows``/``command``/``insert`` with bound parameters only."""

    def __init__(self, url: str) -> None:
        try:
            import clickhouse_connect
        except ImportError as exc:  # pragma: no cover - the extra is missing
            raise ConfigError("the ClickHouse store needs clickhouse-connect: pip install 'tracehound[scale]'",
                              setting="TRACEHOUND_SPANS_URL") from exc
        self.url = url
        self.database = database_of(url)
        self.in_process = url.startswith("chdb:")
        self._lock = threading.Lock() if self.in_process else None
        try:
            if self.in_process:
                path = urlparse(url).path or None
                self._client = clickhouse_connect.get_client(interface="chdb", path=path)
            else:
                parsed = urlparse(url)
                secure = parsed.scheme == "clickhouses"
                self._client = clickhouse_connect.get_client(
                    host=parsed.hostname or "localhost", port=parsed.port or (8443 if secure else 8123),
                    username=unquote(parsed.username or "default"), password=unquote(parsed.password or ""),
                    secure=secure, autogenerate_session_id=False, compress=False,
                    connect_timeout=10, send_receive_timeout=300)
            self._client.command(f"CREATE DATABASE IF NOT EXISTS {self.database}")
            self._client.database = self.database
        except ConfigError:
            raise
        except Exception as exc:
            raise StoreError(f"clickhouse: cannot open {redacted(url)}: {exc}") from exc

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            if self._lock is not None:
                with self._lock:
                    yield
            else:
                yield
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"clickhouse: {_first_line(exc)}") from exc

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a query; UUIDs come back as their text."""
        with self._guard():
            return self._client.query(sql, parameters=params or {}, query_formats=_UUID_AS_TEXT).result_rows

    def command(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        with self._guard():
            return self._client.command(sql, parameters=params or None)

    def insert(self, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> None:
        """A synchronous insert: returns once ClickHouse has written the rows."""
        if not rows:
            return
        with self._guard():
            self._client.insert(table, rows, column_names=list(columns), settings=INSERT_SETTINGS)

    def close(self) -> None:
        with self._guard():
            self._client.close()


def redacted(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__
