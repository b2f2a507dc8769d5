"""The scale-out meta store: PostgreSQL (``postgresql://``) through psycopg 3, with versioned migrations.

``open_meta_store`` is what ``store.factory`` calls for those URLs.
"""

from __future__ import annotations

from typing import Any

from tracehound.store.postgres.meta import PostgresMetaStore

__all__ = ["PostgresMetaStore", "open_meta_store"]


def open_meta_store(url: str, options: Any = None) -> PostgresMetaStore:
    """The meta store on the database ``url`` names (migrated on open)."""
    return PostgresMetaStore(url)
