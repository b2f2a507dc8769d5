"""Shared fixtures: a real server process for end-to-end tests, an in-process app for API tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tracehound.settings import Settings


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
def server_url(server_data_dir: Path) -> Iterator[str]:
    """A real ``python -m tracehound serve`` on 127.0.0.1 for the whole test run."""
    from tracehound.testing import running_server

    env = {"TRACEHOUND_MAX_REQUEST_BYTES": str(4 * 1024 * 1024), "TRACEHOUND_MAX_SPANS_PER_REQUEST": "2000"}
    with running_server(server_data_dir, env=env) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
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
