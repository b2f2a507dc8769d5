"""Every store engine behind the same fixtures, so one suite checks them all.

Stores are opened through the factory (``store.factory``), as a server opens them. To run the
suite on another engine, add an entry to ``SPAN_ENGINES`` (span, rollup and feedback tests) or
``META_ENGINES`` (meta tests): a function from a temporary directory to a store URL, plus any
server the engine needs started by a fixture. ``stores`` pairs every span engine with SQLite meta
and every meta engine with SQLite spans, so each engine runs each test once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tracehound.store.base import MetaStore, SpanStore
from tracehound.store.factory import StoreConfig, StoreOptions, Stores, open_stores


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path / 'tracehound.db'}"


SPAN_ENGINES: dict[str, Callable[[Path], str]] = {"sqlite": _sqlite}
META_ENGINES: dict[str, Callable[[Path], str]] = {"sqlite": _sqlite}
_OPTIONS = StoreOptions(payload_cap_bytes=64 * 1024)
_PAIRS = [(name, "sqlite") for name in SPAN_ENGINES] + [("sqlite", name) for name in META_ENGINES if name != "sqlite"]


def _open(tmp_path: Path, spans: str, meta: str) -> Stores:
    return open_stores(StoreConfig(SPAN_ENGINES[spans](tmp_path), META_ENGINES[meta](tmp_path), _OPTIONS))


@pytest.fixture(params=_PAIRS, ids=lambda pair: pair[0] if pair[1] == "sqlite" else f"meta-{pair[1]}")
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """Span, feedback and meta stores of one configuration."""
    opened = _open(tmp_path, *request.param)
    yield opened
    opened.close()


@pytest.fixture(params=list(SPAN_ENGINES))
def span_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SpanStore]:
    opened = _open(tmp_path, request.param, "sqlite")
    yield opened.spans
    opened.close()


@pytest.fixture(params=list(META_ENGINES))
def meta_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetaStore]:
    opened = _open(tmp_path, "sqlite", request.param)
    yield opened.meta
    opened.close()
