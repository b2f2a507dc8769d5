"""Opening the SQLite file with the settings every connection needs."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

from tracehound.errors import StoreError
from tracehound.store.factory import DB_FILENAME, db_path
from tracehound.store.sqlite.schema import migrate

__all__ = ["DB_FILENAME", "connect", "db_path"]


def connect(path: str | Path, *, synchronous: str = "FULL", readonly: bool = False) -> sqlite3.Connection:
    """A connection in WAL mode with a busy timeout, schema migrated.

    ``synchronous=FULL`` makes every commit survive power loss, which is what a 2xx from ingest
    promises; group commit keeps that affordable. Readers never block the writer in WAL mode.

    Raises:
        StoreError: when the file cannot be opened or migrated.
    """
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA mmap_size=268435456")
        try:
            conn.execute("SELECT ln(1), ceil(1)")
        except sqlite3.OperationalError:  # SQLite built without math functions: the rollup triggers need them
            conn.create_function("ln", 1, math.log, deterministic=True)
            conn.create_function("ceil", 1, math.ceil, deterministic=True)
        if not readonly:
            migrate(conn)
        return conn
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
