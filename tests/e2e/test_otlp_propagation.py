"""One trace across two processes: a tool calls an HTTP service, each side exports to the same server."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import propagate
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import tracehound
from tracehound.testing import free_port

# The service: /otel handles the request under OpenTelemetry (extract + a SERVER span, OTLP export);
# /ours handles it under our SDK (tracehound.extract + @traceable). Both export to the same server.
SERVICE = textwrap.dedent('''
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import tracehound
    from opentelemetry import propagate, trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    server_url, port = sys.argv[1], int(sys.argv[2])
    provider = TracerProvider(resource=Resource.create({"service.name": "inventory-service"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=server_url + "/v1/traces")))
    tracer = provider.get_tracer("inventory.http")
    tracehound.configure(exporter=tracehound.BatchExporter(server_url, interval_s=0.05), project="inventory-ours")

    @tracehound.traceable(run_type="tool")
    def count_stock(sku):
        return 7

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/health":
                pass
            elif self.path == "/otel":
                context = propagate.extract(dict(self.headers))
                with tracer.start_as_current_span("GET /otel", context=context, kind=trace.SpanKind.SERVER) as span:
                    span.set_attributes({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "stock_db"})
            else:
                with tracehound.extract(self.headers):
                    count_stock("sku-1")
                tracehound.flush(10)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
''')


@pytest.fixture
def service(server_url: str, tmp_path: Path) -> Iterator[str]:
    script = tmp_path / "service.py"
    script.write_text(SERVICE)
    port = free_port()
    process = subprocess.Popen([sys.executable, str(script), server_url, str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the service did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _trace(server_url: str, trace_id: str, expected: int) -> dict[str, dict]:
    deadline = time.monotonic() + 15
    while True:
        response = httpx.get(f"{server_url}/api/v1/traces/{trace_id}")
        spans = response.json().get("spans", []) if response.status_code == 200 else []
        if len(spans) >= expected or time.monotonic() > deadline:
            return {span["name"]: span for span in spans}
        time.sleep(0.05)


def test_our_tool_calls_an_otel_service_and_its_span_nests_under_the_tool(server_url: str, service: str) -> None:
    tracehound.configure(exporter=tracehound.BatchExporter(server_url, interval_s=0.05), project="caller")
    try:
        @tracehound.traceable(run_type="tool")
        def check_inventory() -> str:
            return httpx.get(f"{service}/otel", headers=tracehound.inject({})).text

        @tracehound.traceable(run_type="agent")
        def agent() -> str:
            return check_inventory()

        with tracehound.span("turn") as turn:
            agent()
            trace_id = turn.trace_id
        assert tracehound.flush(10)
    finally:
        tracehound.shutdown(10)
        tracehound.configure()
    spans = _trace(server_url, trace_id, 4)
    served, tool = spans["stock_db"], spans["check_inventory"]
    assert served["trace_id"] == tool["trace_id"] == trace_id
    assert served["parent_id"] == tool["id"] and served["project"] == "inventory-service"
    assert served["metadata"]["otel"]["kind"] == "server"


def test_an_otel_client_calls_a_service_traced_with_our_sdk(server_url: str, service: str) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-caller"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{server_url}/v1/traces")))
    tracer = provider.get_tracer("caller.http")
    with tracer.start_as_current_span("GET /ours") as client_span:
        headers: dict[str, str] = {}
        propagate.inject(headers)
        assert httpx.get(f"{service}/ours", headers=headers).status_code == 200
        trace_id = str(uuid.UUID(int=client_span.get_span_context().trace_id))
    provider.shutdown()
    spans = _trace(server_url, trace_id, 2)
    assert spans["count_stock"]["parent_id"] == spans["GET /ours"]["id"]
    assert spans["count_stock"]["project"] == "inventory-ours"
