"""Real OTLP for the OTLP tests: spans made by the OpenTelemetry SDK, encoded by its OTLP encoder."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer


def record(build: Callable[[Tracer], Any], *, service: str = "agent-svc", scope: str = "test.instrumentation",
           resource: dict[str, Any] | None = None) -> list[ReadableSpan]:
    """Run ``build(tracer)`` under a fresh SDK provider and return the finished spans."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service, **(resource or {})}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    build(provider.get_tracer(scope, "1.2.3"))
    provider.shutdown()
    return list(memory.get_finished_spans())


def protobuf_body(spans: list[ReadableSpan]) -> bytes:
    """What ``OTLPSpanExporter`` (HTTP, protobuf) posts."""
    return encode_spans(spans).SerializeToString()


def request_of(spans: list[ReadableSpan]) -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest.FromString(protobuf_body(spans))


_ID_KEYS = ("traceId", "spanId", "parentSpanId")


def otlp_json(spans: list[ReadableSpan]) -> dict[str, Any]:
    """The official OTLP/JSON mapping: proto3 JSON from ``json_format`` with ids as hex, not base64."""
    data = json_format.MessageToDict(encode_spans(spans))
    for resource_spans in data.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for holder in (span, *span.get("links", [])):
                    for key in _ID_KEYS:
                        if key in holder:
                            holder[key] = base64.b64decode(holder[key]).hex()
    return data
