"""Exporters against real sinks: an HTTP server in a thread, a SQLite file, a port nobody listens on."""

from __future__ import annotations

import gzip
import http.server
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

import tracehound
from tracehound.model import Span, SpanBatch, decode_batch
from tracehound.sdk.exporter import BatchExporter
from tracehound.testing import free_port


class Sink(http.server.ThreadingHTTPServer):
    """Records every POST; answers with the statuses queued in ``replies`` (then 200)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.replies: list[tuple[int, dict[str, str]]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def spans(self) -> list[Span]:
        return [span for _, body in self.requests for span in msgspec.json.decode(body, type=SpanBatch).spans]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Sink

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        status, headers = self.server.replies.pop(0) if self.server.replies else (200, {})
        if status < 300:
            self.server.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
        payload = b'{"accepted": true}' if status < 300 else b'{"error": {"code": "x"}}'
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def use() -> Iterator[object]:
    """Install an exporter for one test; shut it down and reset the SDK afterwards."""
    installed: list[tracehound.SpanExporter] = []

    def install(exporter: tracehound.SpanExporter) -> tracehound.SpanExporter:
        installed.append(exporter)
        tracehound.configure(exporter=exporter)
        return exporter

    yield install
    tracehound.shutdown(5)
    for exporter in installed:
        exporter.shutdown(5)
    tracehound.configure()


@tracehound.traceable(run_type="tool")
def step(i: int) -> int:
    return i


@tracehound.traceable(run_type="agent")
def agent(n: int) -> int:
    return sum(step(i) for i in range(n))


def test_batches_go_to_the_server_with_api_key(sink: Sink, use) -> None:  # type: ignore[no-untyped-def]
    exporter = use(BatchExporter(sink.url, api_key="k-123", max_batch_spans=5, interval_s=0.01))
    agent(11)
    assert tracehound.flush(10)
    headers, _ = sink.requests[0]
    assert headers["x-api-key"] == "k-123" and headers["content-type"] == "application/json"
    assert all(len(decode_batch(body)) <= 5 for _, body in sink.requests)
    spans = sink.spans()
    assert len(spans) == 12 and exporter.exported_spans == 12
    root = next(span for span in spans if span.name == "agent")
    assert {span.trace_id for span in spans} == {root.id}
    assert sorted(span.step for span in spans) == list(range(12))


def test_large_batches_are_gzipped_and_cut_by_bytes(sink: Sink, use) -> None:  # type: ignore[no-untyped-def]
    use(BatchExporter(sink.url, max_batch_bytes=60_000, interval_s=0.01))

    @tracehound.traceable
    def big(text: str) -> int:
        return len(text)

    for _ in range(10):
        big("x" * 20_000)
    assert tracehound.flush(10)
    assert len(sink.spans()) == 10
    assert len(sink.requests) >= 4  # ~20 kB a span, at most 60 kB a batch
    assert all(len(body) <= 60_000 + 100 for _, body in sink.requests)
    assert any(headers.get("content-encoding") == "gzip" for headers, _ in sink.requests)


def test_retry_after_503_then_delivered(sink: Sink, use) -> None:  # type: ignore[no-untyped-def]
    sink.replies = [(503, {"Retry-After": "0.2"}), (429, {"Retry-After": "0"})]
    exporter = use(BatchExporter(sink.url, interval_s=0.01, initial_backoff_s=0.01))
    started = time.monotonic()
    agent(2)
    assert tracehound.flush(10)
    assert time.monotonic() - started >= 0.2  # honoured Retry-After
    assert len(sink.spans()) == 3 and exporter.failed_spans == 0


def test_rejected_batch_is_dropped_and_counted(sink: Sink, use) -> None:  # type: ignore[no-untyped-def]
    sink.replies = [(422, {})]
    exporter = use(BatchExporter(sink.url, interval_s=0.01))
    agent(1)
    assert tracehound.flush(10)
    assert exporter.failed_spans == 2 and sink.spans() == []
    agent(1)
    assert tracehound.flush(10)
    assert len(sink.spans()) == 2


def test_unreachable_server_drops_oldest_and_never_blocks(use) -> None:  # type: ignore[no-untyped-def]
    exporter = use(BatchExporter(f"http://127.0.0.1:{free_port()}", max_queue_spans=100, max_batch_spans=10,
                                 interval_s=0.01, max_attempts=3, initial_backoff_s=0.05))
    started = time.perf_counter()
    for i in range(5_000):
        step(i)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0  # 5,000 spans; nothing waited for the network
    assert exporter.queued_spans <= 100
    assert exporter.dropped_spans >= 4_000
    started = time.monotonic()
    assert tracehound.flush(0.3) is False  # cannot deliver; gives up waiting at the timeout
    assert time.monotonic() - started < 1.0
    assert exporter.shutdown(2)
    assert exporter.failed_spans > 0


def test_local_store_mode_writes_a_real_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use) -> None:  # type: ignore[no-untyped-def]
    from tracehound.store.base import SpanCriteria
    from tracehound.store.sqlite.connection import db_path
    from tracehound.store.sqlite.spans import SqliteSpanStore

    monkeypatch.setenv("TRACEHOUND_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRACEHOUND_PROJECT", "local-proj")
    tracehound.configure()  # no endpoint: the local store
    with tracehound.session("s-1", user_id="u-1"):
        agent(3)
    assert tracehound.flush(10)

    store = SqliteSpanStore(db_path(tmp_path / "data"))
    try:
        roots = store.list_spans(SpanCriteria(is_root=True))
        assert len(roots) == 1 and roots[0].project == "local-proj" and roots[0].session_id == "s-1"
        tree = store.get_trace(roots[0].trace_id)
        assert [node.depth for node in tree] == [0, 1, 1, 1]
        assert [node.span.name for node in tree] == ["agent", "step", "step", "step"]
        assert {node.span.parent_id for node in tree[1:]} == {roots[0].id}
        assert [node.span.inputs for node in tree[1:]] == [{"i": 0}, {"i": 1}, {"i": 2}]
        assert tree[0].span.outputs == {"output": 3} and tree[0].span.user_id == "u-1"
    finally:
        store.close()


def test_child_process_after_fork_exports_its_own_spans(sink: Sink) -> None:
    code = f"""
import os, sys, tracehound
exporter = tracehound.BatchExporter({sink.url!r}, interval_s=0.01)
tracehound.configure(exporter=exporter)
@tracehound.traceable
def work(who): return who
work("parent")
pid = os.fork()
if pid == 0:
    work("child")
    ok = tracehound.flush(10)
    os._exit(0 if ok and exporter.exported_spans == 1 else 3)
_, status = os.waitpid(pid, 0)
assert tracehound.flush(10)
sys.exit(os.waitstatus_to_exitcode(status))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    names = sorted(span.inputs["who"] for span in sink.spans())
    assert names == ["child", "parent"]
    ids = [span.id for span in sink.spans()]
    assert len(set(ids)) == 2


def test_a_short_script_is_flushed_at_exit_into_the_local_store(tmp_path: Path) -> None:
    from tracehound.store.base import SpanCriteria
    from tracehound.store.sqlite.connection import db_path
    from tracehound.store.sqlite.spans import SqliteSpanStore

    code = (
        "import tracehound\n"
        "@tracehound.traceable\n"
        "def hello(name): return 'hi ' + name\n"
        "hello('zero set-up')\n"  # no configure, no flush: the atexit hook must deliver it
    )
    env = {"TRACEHOUND_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    store = SqliteSpanStore(db_path(tmp_path / "data"))
    try:
        (span,) = store.list_spans(SpanCriteria())
        assert span.name == "hello" and span.outputs == {"output": "hi zero set-up"}
    finally:
        store.close()
