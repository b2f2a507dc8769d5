"""OTel spans nest under ours without ``context=``; a program that never imports OpenTelemetry does not get it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import Tracer, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import tracehound
from tracehound.sdk.propagation import otel_span_id

# Traced calls of every kind with OpenTelemetry absent; then the program imports it, and the next
# span (no configure() in between) already hands its context to OTel.
NEVER_IMPORTED = textwrap.dedent('''
    import asyncio, sys
    import tracehound

    tracehound.configure(exporter=tracehound.InMemoryExporter())

    @tracehound.traceable
    def plain(): return 1

    @tracehound.traceable
    async def coro(): return 2

    @tracehound.traceable
    def gen(): yield 3

    @tracehound.traceable
    async def agen(): yield 4

    async def consume(): return [item async for item in agen()]

    plain(); asyncio.run(coro()); list(gen()); asyncio.run(consume())
    with tracehound.span("block"), tracehound.extract({"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}):
        plain()
    tracehound.inject({})
    print(sorted(name for name in sys.modules if name.split(".")[0] == "opentelemetry"))

    from opentelemetry.sdk.trace import TracerProvider
    from tracehound.sdk.propagation import otel_span_id

    tracer = TracerProvider().get_tracer("late")

    @tracehound.traceable
    def late():
        with tracer.start_as_current_span("inner") as inner:
            return tracehound.get_current_span().id, inner.parent.span_id
    ours, parent = late()
    print(parent == int(otel_span_id(ours), 16))
''')


def test_tracing_without_opentelemetry_never_imports_it_and_a_later_import_is_picked_up() -> None:
    result = subprocess.run([sys.executable, "-c", NEVER_IMPORTED], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["[]", "True"], result.stderr


@pytest.fixture
def memory() -> Iterator[tracehound.InMemoryExporter]:
    exporter = tracehound.InMemoryExporter()
    tracehound.configure(exporter=exporter, project="bridge")
    yield exporter
    tracehound.configure()


@pytest.fixture
def otel() -> Iterator[tuple[Tracer, InMemorySpanExporter]]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    yield provider.get_tracer("test"), spans
    provider.shutdown()


def test_otel_span_gets_our_trace_id_span_id_and_uuid_in_tracestate(
    memory: tracehound.InMemoryExporter, otel: tuple[Tracer, InMemorySpanExporter],
) -> None:
    tracer, _ = otel

    @tracehound.traceable
    def lookup() -> tuple[str, str, trace.SpanContext]:
        with tracer.start_as_current_span("SELECT") as span:
            run = tracehound.get_current_span()
            return run.id, run.trace_id, span.parent  # type: ignore[return-value]

    ours, trace_id, parent = lookup()
    assert parent.trace_id == uuid.UUID(trace_id).int and parent.span_id == int(otel_span_id(ours), 16)
    assert parent.trace_state["tracehound"] == otel_span_id(ours) + uuid.UUID(ours).hex


def test_otel_context_is_restored_after_a_call_even_when_it_raises(
    memory: tracehound.InMemoryExporter, otel: tuple[Tracer, InMemorySpanExporter],
) -> None:
    before = otel_context.get_current()

    @tracehound.traceable
    def fails() -> None:
        assert trace.get_current_span().get_span_context().is_valid
        raise KeyError("boom")

    with pytest.raises(KeyError):
        fails()
    assert otel_context.get_current() is before
    assert memory.get_spans()[0].error is not None


def test_unsampled_trace_leaves_the_otel_context_alone(otel: tuple[Tracer, InMemorySpanExporter]) -> None:
    tracer, spans = otel
    tracehound.configure(exporter=tracehound.InMemoryExporter(), sample_rate=0.0)
    try:
        @tracehound.traceable
        def skipped() -> None:
            with tracer.start_as_current_span("db"):
                pass

        with tracer.start_as_current_span("request") as request:
            skipped()
    finally:
        tracehound.configure()
    finished = {span.name: span for span in spans.get_finished_spans()}
    assert finished["db"].parent is not None and finished["db"].parent.span_id == request.get_span_context().span_id


def test_otel_span_inside_extract_nests_under_the_remote_caller(
    memory: tracehound.InMemoryExporter, otel: tuple[Tracer, InMemorySpanExporter],
) -> None:
    tracer, spans = otel
    headers = {"traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01"}
    with tracehound.extract(headers), tracer.start_as_current_span("handler"):
        pass
    assert not trace.get_current_span().get_span_context().is_valid  # detached on the way out
    (handler,) = spans.get_finished_spans()
    assert handler.parent is not None
    assert (handler.parent.trace_id, handler.parent.span_id) == (int("ab" * 16, 16), int("cd" * 8, 16))
