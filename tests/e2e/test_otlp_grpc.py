"""OTLP/gRPC on a real server, driven by the OpenTelemetry SDK's own gRPC exporter and the generated stub."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

grpc = pytest.importorskip("grpc")
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc  # noqa: E402
from opentelemetry.proto.trace.v1 import trace_pb2  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult  # noqa: E402

from tracehound.testing import free_port, running_server  # noqa: E402

KEY = "grpc-e2e-key"


@pytest.fixture(scope="module")
def grpc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``(http url, grpc target)`` of a server with OTLP/gRPC on and an API key."""
    grpc_port = free_port()
    env = {"TRACEHOUND_SERVER_API_KEY": KEY, "TRACEHOUND_GRPC_PORT": str(grpc_port),
           "TRACEHOUND_MAX_SPANS_PER_REQUEST": "50"}
    with running_server(tmp_path_factory.mktemp("grpc"), env=env) as port:
        yield f"http://127.0.0.1:{port}", f"127.0.0.1:{grpc_port}"


def trace(url: str, trace_id: int) -> dict[str, dict[str, Any]]:
    answer = httpx.get(f"{url}/api/v1/traces/{uuid.UUID(int=trace_id)}", headers={"X-API-Key": KEY})
    return {span["name"]: span for span in answer.json().get("spans", [])} if answer.status_code == 200 else {}


def run_agent(target: str, headers: tuple[tuple[str, str], ...], **exporter_args: Any) -> tuple[int, list[Any]]:
    exporter = OTLPSpanExporter(endpoint=target, insecure=True, headers=headers, timeout=10, **exporter_args)
    results: list[Any] = []
    original = exporter.export

    def recording_export(spans: Any) -> Any:
        results.append(original(spans))
        return results[-1]

    exporter.export = recording_export  # type: ignore[method-assign]
    provider = TracerProvider(resource=Resource.create({"service.name": "grpc-agent"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("e2e.grpc")
    with tracer.start_as_current_span("agent") as root:
        with tracer.start_as_current_span("chat gpt-4o") as span:
            span.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                                 "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 3})
        with tracer.start_as_current_span("search") as span:
            span.set_attributes({"openinference.span.kind": "TOOL", "input.value": "refunds"})
        trace_id = root.get_span_context().trace_id
    provider.shutdown()
    return trace_id, results


def test_sdk_grpc_exporter_spans_are_committed_when_export_returns(grpc_server: tuple[str, str]) -> None:
    url, target = grpc_server
    headers = (("x-api-key", KEY), ("x-tracehound-project", "grpc-proj"))
    trace_id, results = run_agent(target, headers, compression=grpc.Compression.Gzip)
    assert results and all(result == SpanExportResult.SUCCESS for result in results)
    spans = trace(url, trace_id)  # no waiting: the answer came after the commit
    assert set(spans) == {"agent", "chat gpt-4o", "search"}
    assert spans["chat gpt-4o"]["run_type"] == "llm" and spans["chat gpt-4o"]["prompt_tokens"] == 12
    assert spans["search"]["run_type"] == "tool" and spans["search"]["parent_id"] == spans["agent"]["id"]
    assert {span["project"] for span in spans.values()} == {"grpc-proj"}


def test_bearer_key_works_and_project_falls_back_to_service_name(grpc_server: tuple[str, str]) -> None:
    url, target = grpc_server
    trace_id, results = run_agent(target, (("authorization", f"Bearer {KEY}"),))
    assert results[-1] == SpanExportResult.SUCCESS
    assert trace(url, trace_id)["agent"]["project"] == "grpc-agent"


def test_wrong_or_missing_key_is_unauthenticated_and_nothing_is_stored(grpc_server: tuple[str, str]) -> None:
    url, target = grpc_server
    trace_id, results = run_agent(target, (("x-api-key", "wrong"),))
    assert results and all(result == SpanExportResult.FAILURE for result in results)
    assert trace(url, trace_id) == {}
    with grpc.insecure_channel(target) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.Export(request([_span(1)]), timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def _span(index: int, *, span_id: bytes | None = None, trace_id: bytes = b"\x07" * 16) -> trace_pb2.Span:
    return trace_pb2.Span(trace_id=trace_id, span_id=span_id or index.to_bytes(8, "big"), name=f"s{index}",
                          start_time_unix_nano=1_776_247_200_000_000_000 + index * 1000,
                          end_time_unix_nano=1_776_247_200_000_500_000 + index * 1000)


def request(spans: list[trace_pb2.Span]) -> trace_service_pb2.ExportTraceServiceRequest:
    return trace_service_pb2.ExportTraceServiceRequest(resource_spans=[trace_pb2.ResourceSpans(
        scope_spans=[trace_pb2.ScopeSpans(spans=spans)])])


def test_partial_success_and_limits_match_otlp_http(grpc_server: tuple[str, str]) -> None:
    url, target = grpc_server
    metadata = (("x-api-key", KEY),)
    with grpc.insecure_channel(target) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        answer = stub.Export(request([_span(1), _span(2, span_id=b"\x01\x02")]), metadata=metadata, timeout=10)
        assert answer.partial_success.rejected_spans == 1
        assert "span id is 2 bytes" in answer.partial_success.error_message
        with pytest.raises(grpc.RpcError) as caught:
            stub.Export(request([_span(index) for index in range(1, 61)]), metadata=metadata, timeout=10)
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "60 spans in one request; the limit is 50" in caught.value.details()
        with pytest.raises(grpc.RpcError) as caught:
            raw_export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
            raw_export(b"\xff\xff not protobuf", metadata=metadata, timeout=10)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    stored = trace(url, int.from_bytes(b"\x07" * 16, "big"))
    assert set(stored) == {"s1"}  # the good span of the partial batch; nothing of the refused ones
