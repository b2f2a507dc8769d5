"""Shared fixtures: a real server process for end-to-end tests, an in-process app for API tests.

``TRACEHOUND_TEST_STORES=scale`` runs the API and end-to-end suites (everything built on the
``settings``, ``api`` and ``server_url`` fixtures) on the scale-out pair instead of SQLite: spans
and feedback in ClickHouse (chDB in process, a fresh database per test) and the meta store in a
real PostgreSQL server started for the run (a fresh database per test).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.engines import PostgresServer, chdb_url
from tracehound.settings import Settings

# Read once at import: the autouse fixture below clears TRACEHOUND_* variables for every test.
SCALE_STORES = os.environ.get("TRACEHOUND_TEST_STORES", "") == "scale"


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one chDB engine directory of this process (chDB allows one per process)."""
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the run (started on first use)."""
    server = PostgresServer.start()
    yield server
    server.stop()


def scale_urls(request: pytest.FixtureRequest, chdb_path: Path | None = None) -> dict[str, str]:
    """Store URLs of a fresh ClickHouse database and a fresh PostgreSQL database."""
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return {"spans_url": chdb_url(chdb_path or request.getfixturevalue("chdb_dir")),
            "meta_url": server.create_database()}


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's ~/.tracehound or TRACEHOUND_* variables, or reaches a proxy."""
    for name in list(os.environ):
        if name.startswith(("TRACEHOUND_", "LANGSMITH_", "LANGCHAIN_", "OTEL_")) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACEHOUND_DATA_DIR", str(tmp_path / "default-data"))


@pytest.fixture(scope="session")
def server_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-data")


@pytest.fixture(scope="session")
def server_url(server_data_dir: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A real ``python -m tracehound serve`` on 127.0.0.1 for the whole test run."""
    from tracehound.testing import running_server

    env = {"TRACEHOUND_MAX_REQUEST_BYTES": str(4 * 1024 * 1024), "TRACEHOUND_MAX_SPANS_PER_REQUEST": "2000"}
    if SCALE_STORES:  # the server process runs its own chDB engine, in a directory of its own
        urls = scale_urls(request, server_data_dir / "chdb")
        env.update(TRACEHOUND_SPANS_URL=urls["spans_url"], TRACEHOUND_META_URL=urls["meta_url"])
    with running_server(server_data_dir, env=env) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Settings:
    if SCALE_STORES:
        urls = scale_urls(request)
        # In-process CLI invocations of the same test then open the same stores.
        monkeypatch.setenv("TRACEHOUND_SPANS_URL", urls["spans_url"])
        monkeypatch.setenv("TRACEHOUND_META_URL", urls["meta_url"])
        return Settings.load(data_dir=str(tmp_path / "data"), **urls)
    return Settings.load(data_dir=str(tmp_path / "data"))


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client over the ASGI app on a fresh SQLite file, writer thread running."""
    from tracehound.server.app import create_app
    from tracehound.server.services import Services

    services = Services.open(settings)
    app = create_app(settings, services=services)
    services.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tracehound") as client:
            yield client
    finally:
        services.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
