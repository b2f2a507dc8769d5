"""``POST /v1/traces`` in process: encodings, answers, limits, errors that leave the store intact."""

from __future__ import annotations

import gzip
import json
import sqlite3
import uuid
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.trace import Tracer

from tests.otlp_spans import otlp_json, protobuf_body, record
from tracehound.server.services import Services
from tracehound.settings import Settings

pytestmark = pytest.mark.anyio

PROTOBUF = {"content-type": "application/x-protobuf"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load(data_dir=str(tmp_path / "data"), max_payload_bytes=4096, max_spans_per_request=50,
                         max_request_bytes=256 * 1024)


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    from tracehound.server.app import create_app

    services = Services.open(settings)
    app = create_app(settings, services=services)
    services.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tracehound") as client:
            yield client, services
    finally:
        services.close()


def agent_turn(tracer: Tracer) -> None:
    with tracer.start_as_current_span("invoke_agent helper") as agent:
        agent.set_attribute("gen_ai.operation.name", "invoke_agent")
        with tracer.start_as_current_span("chat m") as chat:
            chat.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
                                 "gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 2})


async def test_protobuf_export_is_stored_with_deterministic_ids(served: Any) -> None:
    client, services = served
    spans = record(agent_turn)
    response = await client.post("/v1/traces", content=protobuf_body(spans), headers=PROTOBUF)
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-protobuf"
    assert ExportTraceServiceResponse.FromString(response.content).HasField("partial_success") is False
    chat = next(span for span in spans if span.name == "chat m")
    trace = str(uuid.UUID(int=chat.context.trace_id))
    own = str(uuid.uuid5(uuid.UUID(trace), f"{chat.context.span_id:016x}"))
    parent = str(uuid.uuid5(uuid.UUID(trace), f"{chat.parent.span_id:016x}"))
    stored = (await client.get(f"/api/v1/spans/{own}")).json()
    assert (stored["trace_id"], stored["parent_id"], stored["run_type"]) == (trace, parent, "llm")
    assert stored["project"] == "agent-svc" and stored["total_tokens"] == 7
    assert services.spans.count() == 2


async def test_children_first_and_retries_do_not_duplicate(served: Any) -> None:
    client, services = served
    spans = record(agent_turn)
    child, root = spans  # the SDK finishes (and exports) the child first
    for batch in ([child], [root], [child, root]):
        response = await client.post("/api/v1/otel/v1/traces", content=protobuf_body(batch), headers=PROTOBUF)
        assert response.status_code == 200
    assert services.spans.count() == 2
    tree = (await client.get(f"/api/v1/traces/{uuid.UUID(int=root.context.trace_id)}")).json()
    assert [(span["name"], span["depth"]) for span in tree["spans"]] == [("invoke_agent helper", 0), ("chat m", 1)]


async def test_otlp_json_with_hex_ids_and_charset(served: Any) -> None:
    client, _ = served
    spans = record(agent_turn)
    response = await client.post("/v1/traces", content=json.dumps(otlp_json(spans)),
                                 headers={"content-type": "application/json; charset=utf-8"})
    assert response.status_code == 200 and response.json() == {}
    assert response.headers["content-type"].startswith("application/json")
    trace = uuid.UUID(int=spans[0].context.trace_id)
    assert len((await client.get(f"/api/v1/traces/{trace}")).json()["spans"]) == 2


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compressed_bodies(served: Any, encoding: str) -> None:
    client, services = served
    body = protobuf_body(record(agent_turn))
    packed = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    response = await client.post("/v1/traces", content=packed, headers={**PROTOBUF, "content-encoding": encoding})
    assert response.status_code == 200 and services.spans.count() == 2


async def test_project_header_beats_service_name(served: Any) -> None:
    client, _ = served
    spans = record(agent_turn)
    await client.post("/v1/traces", content=protobuf_body(spans),
                      headers={**PROTOBUF, "x-tracehound-project": "billing"})
    assert [p["name"] for p in (await client.get("/api/v1/projects")).json()["projects"]] == ["billing"]


async def test_spans_with_bad_ids_are_rejected_alone_with_partial_success(served: Any) -> None:
    client, services = served
    data = otlp_json(record(agent_turn))
    spans = data["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[0]["spanId"] = "abcd"  # 2 bytes
    response = await client.post("/v1/traces", json=data)
    body = response.json()
    assert response.status_code == 200 and body["partialSuccess"]["rejectedSpans"] == "1"
    assert "span id is 2 bytes" in body["partialSuccess"]["errorMessage"]
    assert services.spans.count() == 1

    spans[0]["traceId"] = "0" * 32  # all-zero ids are invalid too (a logs payload decodes like this)
    spans[1]["spanId"] = "not hex!"
    response = await client.post("/v1/traces", json=data)
    assert response.json()["partialSuccess"]["rejectedSpans"] == "2" and services.spans.count() == 1


async def test_huge_attribute_values_are_truncated_not_rejected(served: Any) -> None:
    client, _ = served

    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("big") as span:
            span.set_attributes({"openinference.span.kind": "CHAIN", "input.value": "x" * 100_000,
                                 "http.url": "y" * 50_000})

    spans = record(build)
    response = await client.post("/v1/traces", content=gzip.compress(protobuf_body(spans)),
                                 headers={**PROTOBUF, "content-encoding": "gzip"})
    assert response.status_code == 200
    trace = uuid.UUID(int=spans[0].context.trace_id)
    stored = (await client.get(f"/api/v1/traces/{trace}")).json()["spans"][0]
    assert stored["inputs"]["__tracehound_truncated__"]["original_bytes"] == 100_000
    report = (await client.get("/api/v1/ingest/report")).json()["sources"][0]
    assert report["truncated_attributes"] == {"input.value": 1, "http.url": 1}


@pytest.mark.parametrize(("body", "headers", "status", "code"), [
    (b"\xff\xff\xff\xff", PROTOBUF, 400, "malformed_request"),
    (b"{not json", {"content-type": "application/json"}, 400, "malformed_request"),
    (b'{"resourceSpans": 5}', {"content-type": "application/json"}, 400, "malformed_request"),
    (b"\x1f\x8b\x08garbage", {**PROTOBUF, "content-encoding": "gzip"}, 400, "malformed_request"),
    (b"abc", {**PROTOBUF, "content-encoding": "br"}, 415, "unsupported_encoding"),
    (b"abc", {"content-type": "text/plain"}, 415, "unsupported_media_type"),
    (b"abc", {}, 415, "unsupported_media_type"),
    (b"\0" * (300 * 1024), PROTOBUF, 413, "payload_too_large"),
    (gzip.compress(b"\0" * (300 * 1024)), {**PROTOBUF, "content-encoding": "gzip"}, 413, "payload_too_large"),
])
async def test_bad_requests_get_the_right_status_and_leave_the_store_intact(
    served: Any, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    client, services = served
    await client.post("/v1/traces", content=protobuf_body(record(agent_turn)), headers=PROTOBUF)
    response = await client.post("/v1/traces", content=body, headers=headers)
    assert response.status_code == status
    if response.headers["content-type"].startswith("application/json"):
        assert response.json()["error"]["code"] == code and response.json()["code"] in (3, 8)
    else:  # google.rpc.Status: field 1 code, field 2 message
        assert response.content[:1] == b"\x08" and response.content[2:3] == b"\x12"
    assert services.spans.count() == 2


async def test_too_many_spans_in_one_request(served: Any) -> None:
    client, services = served

    def build(tracer: Tracer) -> None:
        for index in range(51):
            tracer.start_span(f"s{index}").end()

    response = await client.post("/v1/traces", content=protobuf_body(record(build)), headers=PROTOBUF)
    assert response.status_code == 413 and services.spans.count() == 0
    assert b"51 spans in one request; the limit is 50" in response.content


async def test_empty_request_succeeds(served: Any) -> None:
    client, _ = served
    assert (await client.post("/v1/traces", content=b"", headers=PROTOBUF)).status_code == 200
    assert (await client.post("/v1/traces", content=b"{}", headers={"content-type": "application/json"})).json() == {}


async def test_backpressure_answers_503_with_retry_after(tmp_path: Path) -> None:
    from tracehound.server.app import create_app

    settings = Settings.load(data_dir=str(tmp_path / "bp"), max_pending_spans=2)
    services = Services.open(settings)
    app = create_app(settings, services=services)
    services.start()
    blocker = sqlite3.connect(services.spans.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock: the writer falls behind
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            first_done = anyio.Event()
            status: list[int] = []

            async def first() -> None:
                response = await client.post("/v1/traces", content=protobuf_body(record(agent_turn)), headers=PROTOBUF)
                status.append(response.status_code)
                first_done.set()

            async with anyio.create_task_group() as group:
                group.start_soon(first)
                with anyio.fail_after(10):
                    while services.pipeline.committed_spans == 0 and not _pending(services):
                        await anyio.sleep(0.005)
                response = await client.post("/v1/traces", content=protobuf_body(record(agent_turn)),
                                             headers=PROTOBUF)
                assert response.status_code == 503 and response.headers["retry-after"] == "1"
                assert response.content[:2] == b"\x08\x0e"  # google.rpc.Status, code 14 UNAVAILABLE
                blocker.execute("ROLLBACK")
                with anyio.fail_after(30):
                    await first_done.wait()
            assert status == [200] and services.spans.count() == 2
    finally:
        blocker.close()
        services.close()


def _pending(services: Services) -> bool:
    return services.pipeline._pending_spans > 0  # observing, not driving, the writer
