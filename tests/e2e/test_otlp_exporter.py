"""The OpenTelemetry SDK's own OTLP/HTTP exporter against a real server: every convention lands intact."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Tracer

from tests.otlp_spans import otlp_json, record
from tracehound.cli import main


def export(server_url: str, service: str, build: Any, **exporter_args: Any) -> int:
    """Run ``build`` under a provider that exports with ``OTLPSpanExporter``; returns the trace id."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{server_url}/v1/traces",
                                                                    **exporter_args)))
    tracer = provider.get_tracer("e2e.instrumentation", "0.9")
    with tracer.start_as_current_span("root") as root:
        build(tracer)
        trace_id = root.get_span_context().trace_id
    assert provider.force_flush(10_000)
    provider.shutdown()
    return trace_id


def spans_by_name(server_url: str, trace_id: int) -> dict[str, dict[str, Any]]:
    tree = httpx.get(f"{server_url}/api/v1/traces/{uuid.UUID(int=trace_id)}").json()
    return {span["name"]: span for span in tree["spans"]}


def agent_with_every_convention(tracer: Tracer) -> None:
    with tracer.start_as_current_span("chat gpt-4o") as span:  # OTel GenAI
        span.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                             "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 100,
                             "gen_ai.usage.output_tokens": 20, "gen_ai.usage.cache_read.input_tokens": 64,
                             "gen_ai.conversation.id": "conv-e2e"})
        span.set_attribute("gen_ai.input.messages", [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}])
        span.set_attribute("gen_ai.output.messages", [{"role": "assistant",
                                                       "parts": [{"type": "text", "content": "hello"}]}])
    with tracer.start_as_current_span("search_kb") as span:  # OpenInference
        span.set_attributes({"openinference.span.kind": "RETRIEVER", "input.value": "refunds",
                             "retrieval.documents.0.document.id": "kb-1", "session.id": "sess-e2e",
                             "user.id": "user-e2e", "tag.tags": ["prod"], "metadata": '{"tenant": "acme"}'})
    with tracer.start_as_current_span("answer.task") as span:  # OpenLLMetry
        span.set_attributes({"traceloop.span.kind": "task", "traceloop.entity.name": "answer",
                             "traceloop.entity.input": '{"q": "refunds"}', "traceloop.entity.output": '"30 days"'})
    with tracer.start_as_current_span("ls") as span:  # LangSmith
        span.set_attributes({"langsmith.span.kind": "tool", "langsmith.trace.name": "ls_tool",
                             "langsmith.span.tags": "a,b", "gen_ai.prompt": '{"x": 1}'})
    with tracer.start_as_current_span("ai.generateText.doGenerate") as span:  # Vercel AI SDK
        span.set_attributes({"ai.operationId": "ai.generateText.doGenerate", "ai.model.id": "claude",
                             "ai.response.text": "ok", "ai.usage.promptTokens": 7, "ai.usage.completionTokens": 1})
    with tracer.start_as_current_span("agent run") as span:  # Pydantic AI via Logfire
        span.set_attributes({"agent_name": "pa", "logfire.msg": "pa run", "final_result": "done"})
    with tracer.start_as_current_span("SELECT orders") as span:  # no convention
        span.set_attribute("db.system", "postgresql")


def test_protobuf_gzip_export_of_every_convention(server_url: str, server_data_dir: Path) -> None:
    trace_id = export(server_url, "e2e-conventions", agent_with_every_convention, compression=Compression.Gzip)
    spans = spans_by_name(server_url, trace_id)
    chat = spans["chat gpt-4o"]
    assert (chat["run_type"], chat["model"], chat["prompt_tokens"], chat["total_tokens"]) == ("llm", "gpt-4o", 100, 120)
    assert chat["session_id"] == "conv-e2e" and chat["metadata"]["usage_details"] == {"cache_read": 64}
    assert chat["inputs"] == {"messages": [{"role": "user", "content": "hi"}]}
    assert chat["project"] == "e2e-conventions"
    kb = spans["search_kb"]
    assert (kb["run_type"], kb["session_id"], kb["user_id"], kb["tags"]) == ("retriever", "sess-e2e", "user-e2e",
                                                                             ["prod"])
    assert kb["outputs"] == {"documents": [{"id": "kb-1"}]} and kb["metadata"]["tenant"] == "acme"
    assert spans["answer"]["inputs"] == {"q": "refunds"} and spans["answer"]["outputs"] == {"output": "30 days"}
    assert spans["ls_tool"]["run_type"] == "tool" and spans["ls_tool"]["tags"] == ["a", "b"]
    assert spans["ai.generateText.doGenerate"]["run_type"] == "llm"
    assert spans["pa run"]["run_type"] == "agent" and spans["pa run"]["outputs"] == {"output": "done"}
    assert spans["SELECT orders"]["metadata"]["otel"]["attributes"] == {"db.system": "postgresql"}
    root = spans["root"]
    assert all(span["trace_id"] == root["trace_id"] for span in spans.values()) and root["parent_id"] is None
    assert {span["parent_id"] for name, span in spans.items() if name != "root"} == {root["id"]}

    report = httpx.get(f"{server_url}/api/v1/ingest/report", params={"service": "e2e-conventions"}).json()
    source = report["sources"][0]
    assert source["scope"] == "e2e.instrumentation" and source["stored"] == 8
    assert set(source["conventions"]) == {"genai", "openinference", "traceloop", "langsmith", "vercel", "logfire"}
    assert source["fields"]["inputs"]["genai"] == 1 and source["unmapped_attributes"] == {"db.system": 1}
    assert source["defaulted"]["run_type: chain (no convention)"] == 2  # root and the SQL span

    runner = CliRunner()
    offline = runner.invoke(main, ["ingest", "report", "--data-dir", str(server_data_dir),
                                   "--service", "e2e-conventions"])
    assert offline.exit_code == 0, offline.output
    assert "service e2e-conventions  scope e2e.instrumentation 0.9" in offline.output
    assert "db.system 1" in offline.output and "hint:" in offline.output
    online = runner.invoke(main, ["ingest", "report", "--url", server_url, "--json", "--service", "e2e-conventions"])
    assert json.loads(online.output)["sources"][0]["stored"] == 8


def test_project_header_from_the_exporter(server_url: str) -> None:
    def build(tracer: Tracer) -> None:
        tracer.start_span("child").end()

    trace_id = export(server_url, "e2e-header", build, headers={"X-Tracehound-Project": "e2e-billing"})
    assert {span["project"] for span in spans_by_name(server_url, trace_id).values()} == {"e2e-billing"}


def test_otlp_json_posted_over_http(server_url: str) -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("chat m") as span:
            span.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
                                 "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 2})

    spans = record(build, service="e2e-json")
    response = httpx.post(f"{server_url}/v1/traces", json=otlp_json(spans))
    assert response.status_code == 200 and response.json() == {}
    stored = spans_by_name(server_url, spans[0].context.trace_id)["chat m"]
    assert (stored["run_type"], stored["total_tokens"], stored["project"]) == ("llm", 5, "e2e-json")


def test_an_undecodable_export_is_refused_and_the_exporter_does_not_retry(server_url: str) -> None:
    before = httpx.get(f"{server_url}/healthz").json()["committed_spans"]
    response = httpx.post(f"{server_url}/v1/traces", content=b"\x0a\xff\xff",
                          headers={"content-type": "application/x-protobuf"})
    assert response.status_code == 400  # not in the retryable set (429, 502, 503, 504)
    assert httpx.get(f"{server_url}/healthz").json()["committed_spans"] == before
