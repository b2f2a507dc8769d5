"""Schema migrations: an older file is upgraded in place, a newer one is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.spans import span
from tracehound.errors import StoreError
from tracehound.model import Span
from tracehound.store.sqlite import SqliteSpanStore
from tracehound.store.sqlite.schema import MIGRATIONS, SCHEMA_VERSION


def test_a_version_1_file_is_upgraded_and_keeps_its_spans(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    conn.execute(
        "INSERT INTO spans (id, trace_id, project, run_type, name, start_us, status, ingested_us)"
        " VALUES ('4d1b8d4e-0c55-4a38-9d1a-2a4b0b0ce001', '4d1b8d4e-0c55-4a38-9d1a-2a4b0b0ce001', 'default',"
        " 'chain', 'old', 1, 'running', 1)"
    )
    conn.close()
    store = SqliteSpanStore(path)
    assert store.get_span("4d1b8d4e-0c55-4a38-9d1a-2a4b0b0ce001").name == "old"
    store.upsert([Span(**span())])
    assert store.count() == 2
    store.close()
    (version,) = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()
    assert version == SCHEMA_VERSION


def test_a_file_from_a_newer_tracehound_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this tracehound"):
        SqliteSpanStore(path)


def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    store = SqliteSpanStore(tmp_path / "wal.db")
    store.close()
    (mode,) = sqlite3.connect(tmp_path / "wal.db").execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"
