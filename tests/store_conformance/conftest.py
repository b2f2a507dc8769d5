"""Every store engine behind the same fixtures, so one suite checks them all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tracehound.store.base import MetaStore, SpanStore
from tracehound.store.factory import StoreConfig, StoreOptions, Stores, open_stores


@pytest.fixture(params=["sqlite"])
def span_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SpanStore]:
    from tracehound.store.sqlite import SqliteSpanStore

    store = SqliteSpanStore(tmp_path / "spans.db", payload_cap_bytes=64 * 1024)
    yield store
    store.close()


@pytest.fixture(params=["sqlite"])
def meta_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetaStore]:
    from tracehound.store.sqlite import SqliteMetaStore

    store = SqliteMetaStore(tmp_path / "meta.db")
    yield store
    store.close()


@pytest.fixture(params=["sqlite"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """Span, feedback and meta stores of one configuration, as the factory opens them for a server.

    A new engine adds its parameter here (its URLs in a ``StoreConfig``), and every test below that
    asks for ``stores`` runs on it.
    """
    url = f"sqlite://{tmp_path / 'tracehound.db'}"
    opened = open_stores(StoreConfig(url, url, StoreOptions(payload_cap_bytes=64 * 1024)))
    yield opened
    opened.close()
