"""TypeScript clients against a real server: the ``langsmith`` npm package and the OpenTelemetry JS exporter.

The scenarios live in ``tests/node/src/*.test.ts`` (compiled by ``tsc`` against the packages' own type
definitions, then run by Node's test runner). ``.ci/run`` installs Node (Debian's package when ``node``
is missing) and the pinned npm packages (``npm ci`` into ``tests/node/node_modules``, git-ignored); this
fixture runs the same ``npm ci`` only when they are missing, and the tests themselves reach nothing but
the server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tracehound.testing import running_server

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
REPO = NODE_DIR.parents[1]
KEY = "ts-e2e-key"
TESTS = ("build/langsmith.test.js", "build/otel.test.js")


def _run(command: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=NODE_DIR, capture_output=True, text=True, timeout=timeout_s,
                          env={**os.environ, "NO_UPDATE_NOTIFIER": "1"})


@pytest.fixture(scope="module")
def node_build() -> Path:
    """The compiled scenarios; installs the locked npm packages first if they are not there."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail("node/npm missing: .ci/run installs them (apt-get install nodejs npm)")
        pytest.skip("node and npm are not installed (apt-get install nodejs npm)")
    installed = NODE_DIR / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < (NODE_DIR / "package-lock.json").stat().st_mtime:
        done = _run(["npm", "ci", "--no-audit", "--no-fund", "--cache", str(REPO / ".cache" / "npm")], 600)
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    built = _run([str(NODE_DIR / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.json"], 300)
    assert built.returncode == 0, f"tsc failed:\n{built.stdout[-4000:]}\n{built.stderr[-2000:]}"
    return NODE_DIR / "build"


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("ts"), env={"TRACEHOUND_SERVER_API_KEY": KEY}) as port:
        yield f"http://127.0.0.1:{port}"


def test_typescript_clients(node_build: Path, keyed_server: str) -> None:
    env = {**os.environ, "TRACEHOUND_URL": keyed_server, "TRACEHOUND_API_KEY": KEY, "LANGSMITH_TRACING": "true",
           "TRACEHOUND_TS_PROJECT": "ts-langsmith", "NODE_NO_WARNINGS": "1"}
    done = subprocess.run(["node", "--test", *TESTS], cwd=NODE_DIR, capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0 and "# fail 0" in done.stdout, f"{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    assert "# pass 3" in done.stdout, done.stdout[-3000:]

    # What the server holds, read back through our own API.
    headers = {"X-API-Key": KEY}
    for project, expected in (("ts-langsmith", {"support_agent", "lookup_order", "chat_model"}),
                              ("ts-otel", {"agent run", "chat gpt-4o-mini", "lookup_order"})):
        answer = httpx.post(f"{keyed_server}/api/v1/runs/query", headers=headers,
                            json={"project": project, "limit": 100, "select": ["name", "run_type", "status"]})
        assert answer.status_code == 200, answer.text
        runs = answer.json()["runs"]
        assert {run["name"] for run in runs} == expected, json.dumps(runs)[:2000]
        assert sum(run["status"] == "error" for run in runs) == 1
    datasets = httpx.get(f"{keyed_server}/api/v1/datasets", headers=headers).json()
    assert any(dataset["name"].startswith("ts-dataset-") for dataset in datasets["datasets"]), datasets
