"""One agent turn sent three ways — our SDK, the unmodified LangSmith SDK, the OpenTelemetry SDK — counts the same.

The turn: a root agent (tenant ``acme``, prompt ``v3``), an llm ``plan`` whose output is an OpenAI chat
completion, a ``lookup_order`` tool, a ``refund`` tool interrupted for human approval, and an llm
``answer`` by Claude with cache reads and writes. Each source reports it the way its users' code does:

- our SDK: ``@traceable`` functions returning the provider's response dicts (no ``set_tokens``);
- LangSmith: ``@traceable`` returning the OpenAI completion, and ``usage_metadata`` + ``ls_model_name``
  on the Claude call, the interrupt raised as LangGraph's ``GraphInterrupt``;
- OpenTelemetry: GenAI attributes on ``plan``, OpenInference attributes on ``answer``, the interrupt as
  a recorded ``GraphInterrupt`` exception.

Tokens, cost (priced by the server from the shipped table), model, step and status must agree span by
span, and so must the trace totals.
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

import tracehound
from tests.e2e.test_langsmith_sdk import run_client
from tests.unit.test_ingest_usage import ANTHROPIC, OPENAI_CHAT

ANSWER_MODEL = "claude-sonnet-4-20250514"
# Claude's usage in LangChain's accounting (input includes cache reads and writes), as LangSmith users log it.
ANSWER_USAGE_METADATA = {"input_tokens": 1250, "output_tokens": 20, "total_tokens": 1270,
                         "input_token_details": {"cache_read": 1000, "cache_creation": 200}}
M = 1_000_000
# What every source must end up with, from the shipped prices (USD per 1M tokens).
PLAN_COST = 176 * 0.15 / M + 1024 * 0.075 / M + 300 * 0.60 / M
ANSWER_COST = 50 * 3.00 / M + 1000 * 0.30 / M + 200 * 3.75 / M + 20 * 15.00 / M
EXPECTED = {
    "support_agent": {"step": 0, "status": "ok", "model": None, "tokens": (None, None, None), "cost": None},
    "plan": {"step": 1, "status": "ok", "model": "gpt-4o-mini-2024-07-18", "tokens": (1200, 300, 1500),
             "cost": PLAN_COST},
    "lookup_order": {"step": 2, "status": "ok", "model": None, "tokens": (None, None, None), "cost": None},
    "refund": {"step": 3, "status": "interrupted", "model": None, "tokens": (None, None, None), "cost": None},
    "answer": {"step": 4, "status": "ok", "model": ANSWER_MODEL, "tokens": (1250, 20, 1270), "cost": ANSWER_COST},
}


class GraphInterrupt(Exception):
    """Stands for LangGraph's interrupt: the turn waits for a human."""


def send_with_our_sdk(server_url: str, project: str) -> None:
    exporter = tracehound.BatchExporter(server_url, interval_s=0.05)
    tracehound.configure(exporter=exporter, project=project)

    @tracehound.traceable(run_type="llm", name="plan")
    def plan(question: str) -> dict[str, Any]:
        return OPENAI_CHAT  # client.chat.completions.create(...).model_dump()

    @tracehound.traceable(run_type="tool", name="lookup_order")
    def lookup(order_id: str) -> dict[str, Any]:
        return {"status": "shipped"}

    @tracehound.traceable(run_type="tool", name="refund")
    def refund(order_id: str) -> None:
        tracehound.get_current_span().interrupt("GraphInterrupt")

    @tracehound.traceable(run_type="llm", name="answer")
    def answer(question: str) -> dict[str, Any]:
        return ANTHROPIC  # anthropic_client.messages.create(...).model_dump()

    @tracehound.traceable(run_type="agent", name="support_agent", metadata={"tenant": "acme", "prompt_version": "v3"})
    def agent(question: str) -> None:
        plan(question)
        lookup("o-1")
        refund("o-1")
        answer(question)

    try:
        agent("refund my order")
        assert tracehound.flush(15) and exporter.failed_spans == 0
    finally:
        tracehound.shutdown(10)
        tracehound.configure()


def send_with_langsmith(server_url: str, project: str) -> None:
    turn = {"openai_completion": OPENAI_CHAT, "answer_model": ANSWER_MODEL,
            "answer_usage_metadata": ANSWER_USAGE_METADATA}
    run_client(sys.executable, server_url, "same_turn", project, json.dumps(turn))


def send_with_opentelemetry(server_url: str, project: str) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "agent-svc", "tracehound.project": project}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{server_url}/v1/traces")))
    tracer = provider.get_tracer("e2e.same_turn")
    with tracer.start_as_current_span("support_agent") as root:
        root.set_attributes({"openinference.span.kind": "AGENT",
                             "metadata": json.dumps({"tenant": "acme", "prompt_version": "v3"})})
        with tracer.start_as_current_span("plan") as span:  # OTel GenAI
            span.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                                 "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": OPENAI_CHAT["model"],
                                 "gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 300,
                                 "gen_ai.usage.cache_read.input_tokens": 1024})
        with tracer.start_as_current_span("lookup_order") as span:
            span.set_attributes({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order"})
        with tracer.start_as_current_span("refund") as span:
            span.set_attributes({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "refund"})
            span.record_exception(GraphInterrupt("Interrupt(value='approve refund?')"))
            span.set_status(Status(StatusCode.ERROR, "waiting for approval"))
        with tracer.start_as_current_span("answer") as span:  # OpenInference
            span.set_attributes({"openinference.span.kind": "LLM", "llm.model_name": ANSWER_MODEL,
                                 "llm.provider": "anthropic", "llm.token_count.prompt": 1250,
                                 "llm.token_count.completion": 20, "llm.token_count.total": 1270,
                                 "llm.token_count.prompt_details.cache_read": 1000,
                                 "llm.token_count.prompt_details.cache_write": 200})
    assert provider.force_flush(10_000)
    provider.shutdown()


def _turn(server_url: str, project: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=server_url, timeout=10) as client:
        roots = client.post("/api/v1/runs/query", json={"project": project, "is_root": True}).json()["runs"]
        assert len(roots) == 1, roots
        return client.get(f"/api/v1/traces/{roots[0]['trace_id']}").json()["spans"]  # type: ignore[no-any-return]


def _accounting(span: dict[str, Any]) -> dict[str, Any]:
    return {"step": span["step"], "status": span["status"], "model": span["model"],
            "tokens": (span["prompt_tokens"], span["completion_tokens"], span["total_tokens"]), "cost": span["cost"]}


def test_the_same_turn_counts_the_same_from_every_source(server_url: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    projects = {"tracehound": f"same-sdk-{suffix}", "langsmith": f"same-ls-{suffix}", "otel": f"same-otel-{suffix}"}
    send_with_our_sdk(server_url, projects["tracehound"])
    send_with_langsmith(server_url, projects["langsmith"])
    send_with_opentelemetry(server_url, projects["otel"])

    seen: dict[str, dict[str, dict[str, Any]]] = {}
    for source, project in projects.items():
        spans = {span["name"]: span for span in _turn(server_url, project)}
        assert set(spans) == set(EXPECTED), (source, sorted(spans))
        seen[source] = {name: _accounting(span) for name, span in spans.items()}
        for name, expected in EXPECTED.items():
            got = seen[source][name]
            assert {**got, "cost": None} == {**expected, "cost": None}, (source, name, got)
            assert got["cost"] == pytest.approx(expected["cost"]), (source, name)
        # Breakdown: cache reads and writes priced apart, never counted twice.
        assert spans["answer"]["cost_details"] == pytest.approx({
            "input": 50 * 3.00 / M, "cached_input": 1000 * 0.30 / M, "cache_write": 200 * 3.75 / M,
            "output": 20 * 15.00 / M}), source
        assert spans["answer"]["metadata"]["cost_source"] == "table:claude-sonnet-4@2025-05-22", source
        # Trace totals, summed as the metrics sum them (cost on llm spans only).
        assert sum(s["total_tokens"] or 0 for s in spans.values() if s["run_type"] == "llm") == 2770
        assert sum(s["cost"] or 0 for s in spans.values()) == pytest.approx(PLAN_COST + ANSWER_COST)
        assert spans["support_agent"]["metadata"]["tenant"] == "acme", source
    assert seen["tracehound"] == seen["langsmith"] == seen["otel"]
    # The mapping report says, per protocol, where those fields came from.
    ledger = {row["protocol"]: row["fields"] for row in httpx.get(f"{server_url}/api/v1/ingest/report").json()[
        "at_ingest"]}
    native = ledger["native"]["tokens"]
    assert native["outputs:openai.chat"] >= 1 and native["outputs:anthropic"] >= 1
    assert ledger["langsmith"]["tokens"]["outputs:openai.chat"] >= 1 and ledger["langsmith"]["tokens"]["sent"] >= 1
    assert ledger["otlp"]["tokens"]["sent"] >= 2 and ledger["otlp"]["step"]["derived"] >= 5
    for protocol in ("native", "langsmith", "otlp"):
        assert ledger[protocol]["cost"]["table"] >= 2 and ledger[protocol]["status"]["interrupted"] >= 1
