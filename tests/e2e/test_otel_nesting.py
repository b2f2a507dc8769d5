"""OpenTelemetry SDK spans started inside our spans nest under them, with no ``context=`` argument.

Both SDKs export to one real server: ours with a ``BatchExporter``, OpenTelemetry's with the real
``OTLPSpanExporter``; the tree is read back from ``GET /api/v1/traces/{id}``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Tracer, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import tracehound


@pytest.fixture
def tracer(server_url: str) -> Iterator[Tracer]:
    tracehound.configure(exporter=tracehound.BatchExporter(server_url, interval_s=0.05), project="otel-nesting")
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-nesting-db"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{server_url}/v1/traces")))
    try:
        yield provider.get_tracer("db")  # not the global provider: nothing here reads it
    finally:
        provider.shutdown()
        tracehound.shutdown(10)
        tracehound.configure()


def _spans(server_url: str, trace_id: str, expected: int) -> list[dict]:
    assert tracehound.flush(10)
    deadline = time.monotonic() + 15
    while True:
        response = httpx.get(f"{server_url}/api/v1/traces/{trace_id}")
        spans = response.json().get("spans", []) if response.status_code == 200 else []
        if len(spans) >= expected or time.monotonic() > deadline:
            return spans
        time.sleep(0.05)


def _trace(server_url: str, trace_id: str, expected: int) -> dict[str, dict]:
    return {span["name"]: span for span in _spans(server_url, trace_id, expected)}


def _assert_child(spans: dict[str, dict], child: str, parent: str, trace_id: str) -> None:
    assert spans[child]["parent_id"] == spans[parent]["id"], (child, parent, spans)
    assert spans[child]["trace_id"] == spans[parent]["trace_id"] == trace_id


def test_otel_span_inside_a_traceable_function_nests_under_it(server_url: str, tracer: Tracer) -> None:
    @tracehound.traceable(run_type="tool")
    def lookup(sku: str) -> str:
        with tracer.start_as_current_span("SELECT stock"), tracer.start_as_current_span("fetch rows"):
            return sku

    @tracehound.traceable(run_type="agent")
    def agent() -> str:
        lookup("sku-1")
        return tracehound.get_current_span().trace_id

    trace_id = agent()
    spans = _trace(server_url, trace_id, 4)
    _assert_child(spans, "lookup", "agent", trace_id)
    _assert_child(spans, "SELECT stock", "lookup", trace_id)  # the exact UUID of our span, via tracestate
    _assert_child(spans, "fetch rows", "SELECT stock", trace_id)
    assert spans["SELECT stock"]["project"] == "otel-nesting-db"


def test_otel_span_inside_an_async_traceable_function_nests_under_it(server_url: str, tracer: Tracer) -> None:
    @tracehound.traceable(run_type="retriever")
    async def search(query: str) -> str:
        await asyncio.sleep(0)
        with tracer.start_as_current_span("vector query"):
            await asyncio.sleep(0)
        return tracehound.get_current_span().trace_id

    @tracehound.traceable(run_type="agent")
    async def agent() -> list[str]:
        return list(await asyncio.gather(search("a"), search("b")))

    trace_id, other = asyncio.run(agent())
    assert other == trace_id
    by_name: dict[str, list[dict]] = {}
    for span in _spans(server_url, trace_id, 5):
        by_name.setdefault(span["name"], []).append(span)
    assert len(by_name["search"]) == len(by_name["vector query"]) == 2
    # Each task's OTel span is under its own task's span (gather copies the context per task).
    assert sorted(span["parent_id"] for span in by_name["vector query"]) == sorted(
        span["id"] for span in by_name["search"])
    assert {span["trace_id"] for spans in by_name.values() for span in spans} == {trace_id}


def test_otel_spans_inside_generators_nest_under_them(server_url: str, tracer: Tracer) -> None:
    @tracehound.traceable(run_type="llm")
    def stream() -> Iterator[str]:
        with tracer.start_as_current_span("open stream"):
            yield "a"
            with tracer.start_as_current_span("next chunk"):  # after a yield: still under "open stream"
                yield "b"

    @tracehound.traceable(run_type="llm")
    async def astream() -> AsyncIterator[str]:
        await asyncio.sleep(0)
        with tracer.start_as_current_span("async chunk"):
            yield "c"

    @tracehound.traceable(run_type="agent")
    def agent() -> str:
        with tracer.start_as_current_span("consumer"):  # the consumer's own OTel span while it holds items
            for _ in stream():
                with tracer.start_as_current_span("handle chunk"):
                    pass

        async def consume() -> list[str]:
            return [item async for item in astream()]

        asyncio.run(consume())
        return tracehound.get_current_span().trace_id

    trace_id = agent()
    spans = _trace(server_url, trace_id, 7)
    _assert_child(spans, "stream", "agent", trace_id)
    _assert_child(spans, "open stream", "stream", trace_id)
    _assert_child(spans, "next chunk", "open stream", trace_id)
    _assert_child(spans, "consumer", "agent", trace_id)
    _assert_child(spans, "handle chunk", "consumer", trace_id)  # not under the generator's spans
    _assert_child(spans, "astream", "agent", trace_id)
    _assert_child(spans, "async chunk", "astream", trace_id)


def test_otel_span_inside_a_span_block_nests_under_it(server_url: str, tracer: Tracer) -> None:
    with tracehound.span("rerank", run_type="tool") as run:
        with tracer.start_as_current_span("model call"):
            pass
        trace_id = run.trace_id
    with tracer.start_as_current_span("after the block") as after:
        pass
    spans = _trace(server_url, trace_id, 2)
    _assert_child(spans, "model call", "rerank", trace_id)
    assert "after the block" not in spans and after.parent is None  # the OTel context is restored
