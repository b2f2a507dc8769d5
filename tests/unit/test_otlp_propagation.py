"""W3C trace context between our SDK and OpenTelemetry: ids on both sides meet in one tree."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import tracehound
from tests.otlp_spans import request_of
from tracehound.ingest.otlp.translate import Translator
from tracehound.model import Span
from tracehound.sdk.propagation import otel_span_id


@pytest.fixture
def memory() -> Iterator[tracehound.InMemoryExporter]:
    exporter = tracehound.InMemoryExporter()
    tracehound.configure(exporter=exporter, project="prop")
    yield exporter
    tracehound.configure()


def _spans(memory: tracehound.InMemoryExporter) -> dict[str, Span]:
    return {span.name: span for span in memory.get_spans()}


def test_inject_then_extract_continues_the_trace_under_the_caller(memory: tracehound.InMemoryExporter) -> None:
    carried: dict[str, str] = {}

    @tracehound.traceable(run_type="tool")
    def call_service() -> None:
        tracehound.inject(carried)

    @tracehound.traceable
    def handle() -> None:
        pass

    with tracehound.session("sess-1", user_id="u-1"):
        call_service()
    with tracehound.extract({key.title(): value for key, value in carried.items()}) as remote:  # any header case
        handle()
    spans = _spans(memory)
    caller, served = spans["call_service"], spans["handle"]
    assert carried["traceparent"] == f"00-{uuid.UUID(caller.trace_id).hex}-{otel_span_id(caller.id)}-01"
    assert carried["baggage"] == "session.id=sess-1,user.id=u-1"
    assert remote.valid and remote.parent_id == caller.id
    assert (served.trace_id, served.parent_id) == (caller.trace_id, caller.id)
    assert (served.session_id, served.user_id) == ("sess-1", "u-1")  # from baggage


def test_extract_from_an_otel_caller_gives_the_id_otlp_ingest_gives_that_span(
    memory: tracehound.InMemoryExporter,
) -> None:
    otel = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(otel))
    headers: dict[str, str] = {}
    with provider.get_tracer("client").start_as_current_span("GET /orders"):
        propagate.inject(headers)

    @tracehound.traceable
    def handle() -> None:
        pass

    with tracehound.extract(headers):
        handle()
    provider.shutdown()
    ingested = Translator(max_value_chars=1 << 20).translate(request_of(list(otel.get_finished_spans()))).spans[0]
    served = _spans(memory)["handle"]
    assert (served.trace_id, served.parent_id) == (ingested.trace_id, ingested.id)


def test_otel_spans_in_process_nest_under_the_current_span(memory: tracehound.InMemoryExporter) -> None:
    otel = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(otel))
    tracer = provider.get_tracer("db")

    @tracehound.traceable(run_type="tool")
    def lookup() -> None:
        with tracer.start_as_current_span("SELECT", context=tracehound.otel_context()), \
                tracer.start_as_current_span("fetch"):
            pass

    lookup()
    provider.shutdown()
    ingested = {span.name: span for span in
                Translator(max_value_chars=1 << 20).translate(request_of(list(otel.get_finished_spans()))).spans}
    ours = _spans(memory)["lookup"]
    assert (ingested["SELECT"].trace_id, ingested["SELECT"].parent_id) == (ours.trace_id, ours.id)
    assert ingested["fetch"].parent_id == ingested["SELECT"].id  # tracestate applies only to the direct child


def test_malformed_or_missing_traceparent_starts_a_new_trace(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable
    def handle() -> None:
        pass

    for headers in ({}, {"traceparent": "garbage"}, {"traceparent": f"00-{'0' * 32}-{'1' * 16}-01"}):
        with tracehound.extract(headers) as remote:
            handle()
        assert not remote.valid
    assert [span.parent_id for span in memory.get_spans()] == [None, None, None]
    assert tracehound.inject({}) == {}  # nothing recording here: nothing to propagate
