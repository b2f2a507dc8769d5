"""Browser fixtures: headless Chromium from the system (Debian's ``chromium``) driven by Playwright.

No browser is ever downloaded: Playwright launches ``executable_path``. When Chromium or Playwright is
missing the browser tests skip with the reason; CI installs both (``.ci/run``, the ``[dev]`` extra).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.seed import Seeded, seed

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    """The system Chromium (``TRACEHOUND_TEST_CHROMIUM`` overrides), or ``None``."""
    configured = os.environ.get("TRACEHOUND_TEST_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server of its own for the UI tests, so seeded data does not leak into other tests."""
    from tracehound.testing import running_server

    with running_server(tmp_path_factory.mktemp("ui-data")) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def seeded(ui_server: str) -> Seeded:
    return seed(ui_server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Module-scoped on purpose: Playwright's sync API keeps an asyncio
    loop marked running on this thread while it is open, which breaks anyio tests collected after it."""
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests, but no chromium is installed (.ci/run installs it)")
        pytest.skip("no chromium on PATH (apt-get install chromium); browser tests need the system Chromium")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install -e '.[dev]')")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def js_errors() -> list[str]:
    """JavaScript and console errors of the test's page (a test expecting one may clear it)."""
    return []


@pytest.fixture
def page(browser: Any, ui_server: str, js_errors: list[str]) -> Iterator[Any]:
    """A fresh page on the UI server; fails the test on any JavaScript error or console error."""
    context = browser.new_context(base_url=ui_server, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = js_errors
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    try:
        yield page
    finally:
        context.close()
    assert errors == []


def screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Write ``tests/ui/artifacts/<name>.png`` (kept after the run for people to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
