"""Every store engine behind the same fixtures, so one suite checks them all.

Stores are opened through the factory (``store.factory``), as a server opens them. To run the
suite on another engine, add an entry to ``SPAN_ENGINES`` (span, rollup and feedback tests) or
``META_ENGINES`` (meta tests): a function from the test's request and temporary directory to a
store URL, plus any server the engine needs started by a fixture. ``stores`` pairs every span
engine with SQLite meta and every meta engine with SQLite spans, so each engine runs each test once.

``clickhouse`` is the real ClickHouse engine in process (chDB: one engine directory for the whole
run, ``chdb_dir``, and a fresh database per test); ``postgres`` a real server started for the run
(``postgres_server``, a fresh database per test). Both fixtures live in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.engines import chdb_url
from tracehound.store.base import FeedbackStore, MetaStore, SpanStore
from tracehound.store.factory import StoreConfig, StoreOptions, Stores, open_stores

EngineUrl = Callable[[pytest.FixtureRequest, Path], str]


def _sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return f"sqlite://{tmp_path / 'tracehound.db'}"


def _clickhouse(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return chdb_url(request.getfixturevalue("chdb_dir"))


def _postgres(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return str(request.getfixturevalue("postgres_server").create_database())


SPAN_ENGINES: dict[str, EngineUrl] = {"sqlite": _sqlite, "clickhouse": _clickhouse}
META_ENGINES: dict[str, EngineUrl] = {"sqlite": _sqlite, "postgres": _postgres}
_OPTIONS = StoreOptions(payload_cap_bytes=64 * 1024)
_PAIRS = [(name, "sqlite") for name in SPAN_ENGINES] + [("sqlite", name) for name in META_ENGINES if name != "sqlite"]


def _open(request: pytest.FixtureRequest, tmp_path: Path, spans: str, meta: str) -> Stores:
    return open_stores(StoreConfig(SPAN_ENGINES[spans](request, tmp_path), META_ENGINES[meta](request, tmp_path),
                                   _OPTIONS))


@pytest.fixture(params=_PAIRS, ids=lambda pair: pair[0] if pair[1] == "sqlite" else f"meta-{pair[1]}")
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """Span, feedback and meta stores of one configuration."""
    opened = _open(request, tmp_path, *request.param)
    yield opened
    opened.close()


@pytest.fixture(params=list(SPAN_ENGINES))
def span_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SpanStore]:
    opened = _open(request, tmp_path, request.param, "sqlite")
    request.node.stash[_FEEDBACK] = opened
    yield opened.spans
    opened.close()


_FEEDBACK = pytest.StashKey[Stores]()


@pytest.fixture
def feedback_store(span_store: SpanStore, request: pytest.FixtureRequest) -> FeedbackStore:
    """Feedback beside the spans of ``span_store`` (same engine, same database)."""
    return request.node.stash[_FEEDBACK].feedback


@pytest.fixture(params=list(META_ENGINES))
def meta_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetaStore]:
    opened = _open(request, tmp_path, "sqlite", request.param)
    yield opened.meta
    opened.close()


# Governance (keys, users, sessions, audit, retention; store/governance.py) landed after the
# scale-out engines and is not built for them yet: these run as strict xfails, so the suite says so
# and turns red the day an engine implements them without removing the mark.
_NOT_BUILT = {"postgres": "PostgreSQL GovernanceStore not built yet",
              "clickhouse": "ClickHouse retention/project-rename reads not built yet"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "test_governance_store" not in item.nodeid:
            continue
        for engine, reason in _NOT_BUILT.items():
            if item.nodeid.endswith(f"[{engine}]"):
                item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
