"""Stateless nodes on shared engines: two ``tracehound serve`` nodes ingest while a third answers queries.

The span store is the ClickHouse engine served over ClickHouse's HTTP interface (``tests/chdb_http.py``,
chDB in its own process), the meta store a real PostgreSQL server; every node reaches them by URL
(``TRACEHOUND_SPANS_URL``/``TRACEHOUND_META_URL``) through the unmodified ``clickhouse-connect`` and
``psycopg`` clients, exactly as at real servers. Native, OTLP and LangSmith SDK traffic goes to the
ingest nodes; the query node must see every span exactly once, and killing an ingest node with
SIGKILL mid-stream must lose no span it acknowledged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.engines import PostgresServer, free_port
from tests.spans import new_id, tree
from tracehound.testing import wait_healthy
from tracehound.timefmt import now_us

# A node on PostgreSQL meta exits at start since governance landed: there is no PostgreSQL GovernanceStore
# yet (see tests/store_conformance/conftest.py). Strict, so this goes red the day it is built.
pytestmark = [pytest.mark.slow, pytest.mark.xfail(strict=True, reason="PostgreSQL GovernanceStore not built yet:"
                                                                       " a node on --meta postgresql:// exits")]
ROOT = Path(__file__).resolve().parents[2]


class Cluster:
    def __init__(self, spans_url: str, meta_url: str, ingest: list[str], query: str, data: Path) -> None:
        self.spans_url, self.meta_url = spans_url, meta_url
        self.ingest, self.query, self.data = ingest, query, data

    @property
    def env(self) -> dict[str, str]:
        return {"TRACEHOUND_SPANS_URL": self.spans_url, "TRACEHOUND_META_URL": self.meta_url}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("cluster")
    postgres = PostgresServer.start()
    clickhouse = subprocess.Popen([sys.executable, "-m", "tests.chdb_http", "--path", str(base / "ch")],
                                  cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                  env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"})
    try:
        assert clickhouse.stdout is not None
        port = int(clickhouse.stdout.readline().split()[-1])
        cluster = Cluster(f"clickhouse://default@127.0.0.1:{port}/scale", postgres.create_database("scale"),
                          [], "", base)
        # Migrate once up front, as an operator would (docs/operations/scale-out.md), so nodes start fast.
        from tracehound.store.clickhouse import ClickHouseSpanStore
        from tracehound.store.postgres import PostgresMetaStore

        ClickHouseSpanStore(cluster.spans_url).close()
        PostgresMetaStore(cluster.meta_url).close()
        with ExitStack() as nodes:
            for name in ("a", "b", "q"):
                node = nodes.enter_context(_node(base / name, cluster.env))
                url = f"http://127.0.0.1:{node}"
                if name == "q":
                    cluster.query = url
                else:
                    cluster.ingest.append(url)
            yield cluster
    finally:
        clickhouse.terminate()
        clickhouse.wait(timeout=30)
        if clickhouse.stdout is not None:
            clickhouse.stdout.close()
        postgres.stop()


@contextmanager
def _node(data_dir: Path, env: dict[str, str]) -> Iterator[int]:
    """``tracehound serve`` on the shared stores (a loaded CI machine may take a while to start it)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tracehound", "serve", "--data-dir", str(data_dir),
                                "--port", str(port)], env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    try:
        wait_healthy(port, process=process, timeout_s=120)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def query_all(base_url: str, **body: Any) -> list[dict[str, Any]]:
    runs, cursor = [], None
    while True:
        page = httpx.post(f"{base_url}/api/v1/runs/query", json={**body, "limit": 1000, "cursor": cursor,
                                                                  "select": ["id", "trace_id", "name"]},
                          timeout=60).json()
        runs.extend(page["runs"])
        cursor = page["cursor"]
        if not cursor:
            return runs


def test_two_ingest_nodes_and_a_query_node_see_every_span_once(cluster: Cluster) -> None:
    project = f"scale-{uuid.uuid4().hex[:6]}"
    a, b = cluster.ingest
    hour_ago = now_us() - 3_600_000_000
    batches = [tree(5, project=project, session_id=f"s-{i % 7}", start_time=hour_ago + i * 10_000) for i in range(40)]
    for index, batch in enumerate(batches):
        node = (a, b)[index % 2]
        assert httpx.post(f"{node}/api/v1/spans", json={"spans": batch}, timeout=30).status_code == 200
    # A trace split across nodes: its root through one node, its children through the other (the
    # parent check reads the shared store), then the whole trace re-sent to both.
    split = tree(4, project=project, start_time=hour_ago + 500_000)
    assert httpx.post(f"{a}/api/v1/spans", json={"spans": split[:1]}, timeout=30).status_code == 200
    assert httpx.post(f"{b}/api/v1/spans", json={"spans": split[1:]}, timeout=30).status_code == 200
    for node in (a, b):
        assert httpx.post(f"{node}/api/v1/spans", json={"spans": split}, timeout=30).status_code == 200
    otlp_trace = _otlp(b, project)
    langsmith_runs = _langsmith(a, project)

    runs = query_all(cluster.query, project=project)
    ids = [run["id"] for run in runs]
    native = 40 * 5 + 4
    assert len(ids) == len(set(ids)) == native + 3 + langsmith_runs
    tree_of_split = httpx.get(f"{cluster.query}/api/v1/traces/{split[0]['trace_id']}", timeout=60).json()
    assert [(s["name"], s["depth"]) for s in tree_of_split["spans"]][:2] == [("agent", 0), ("tool_0", 1)]
    otlp = httpx.get(f"{cluster.query}/api/v1/traces/{uuid.UUID(int=otlp_trace)}", timeout=60).json()
    assert otlp["span_count"] == 3
    summary = httpx.get(f"{cluster.query}/api/v1/metrics/summary",
                        params={"window": "2d", "project": project, "group_by": "run_type"}, timeout=60).json()
    calls = {group["run_type"]: group["calls"] for group in summary["groups"]}
    assert calls["tool"] >= 40 * 4 + 3 and sum(calls.values()) == len(ids), "rollups count each span once"
    page = httpx.get(f"{cluster.query}/dashboard", params={"project": project}, timeout=120)
    assert page.status_code == 200
    assert httpx.get(f"{cluster.query}/api/v1/alerts", timeout=60).status_code == 200
    session = httpx.get(f"{cluster.query}/api/v1/sessions/s-3", params={"project": project}, timeout=60).json()
    assert len(session["turns"]) == len([i for i in range(40) if i % 7 == 3])


def _otlp(node: str, project: str) -> int:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": project}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{node}/v1/traces",
                                                                    headers={"x-tracehound-project": project})))
    tracer = provider.get_tracer("scale.e2e")
    with tracer.start_as_current_span("otel-root") as root:
        for name in ("tool-a", "tool-b"):
            with tracer.start_as_current_span(name):
                pass
        trace_id = root.get_span_context().trace_id
    assert provider.force_flush(10_000)
    provider.shutdown()
    return trace_id


def _langsmith(node: str, project: str) -> int:
    """Run the LangSmith SDK against ``node`` in a subprocess; returns the runs it created."""
    script = (
        "import langsmith\n"
        "from langsmith import traceable\n"
        "@traceable(run_type='tool', name='ls_lookup')\n"
        "def lookup(x):\n    return {'x': x}\n"
        "@traceable(name='ls_agent')\n"
        "def agent(q):\n    lookup(1)\n    lookup(2)\n    return 'ok'\n"
        "agent('hi')\n"
        "from langsmith.run_trees import get_cached_client\n"
        "get_cached_client().flush()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "LANGCHAIN_"))}
    env.update(LANGSMITH_ENDPOINT=node, LANGSMITH_API_KEY="any", LANGSMITH_TRACING="true", LANGSMITH_PROJECT=project,
               PYTHONWARNINGS="ignore")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return 3


def test_killing_an_ingest_node_loses_no_acknowledged_span(cluster: Cluster) -> None:
    project = f"kill-{uuid.uuid4().hex[:6]}"
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tracehound", "serve", "--data-dir", str(cluster.data / "k"),
                                "--port", str(port)], env={**os.environ, **cluster.env}, stdout=subprocess.DEVNULL)
    wait_healthy(port, process=process, timeout_s=120)
    acknowledged: list[str] = []
    stop = threading.Event()

    def sender() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            while not stop.is_set():
                batch = tree(20, project=project)
                try:
                    response = client.post("/api/v1/spans", json={"spans": batch})
                except httpx.HTTPError:
                    return
                if response.status_code == 200:
                    acknowledged.extend(span["id"] for span in batch)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 400 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) >= 400
    stored = {run["id"] for run in query_all(cluster.query, project=project)}
    assert set(acknowledged) <= stored, f"{len(set(acknowledged) - stored)} acknowledged spans lost"
    assert new_id() not in stored
