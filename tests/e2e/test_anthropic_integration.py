"""``wrap_anthropic`` against a real HTTP server on 127.0.0.1 that speaks the Anthropic Messages API."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

import tracehound
from tests.http_servers import QuietHandler, serving

anthropic = pytest.importorskip("anthropic")

MODEL = "claude-haiku-4-5-20251001"
USAGE = {"input_tokens": 200, "output_tokens": 300, "cache_creation_input_tokens": 400,
         "cache_read_input_tokens": 1000}
REPLY = "Refunds take 5 days."


class FakeAnthropic(QuietHandler):
    """``POST /v1/messages``: a JSON message, or the SSE events of a stream (a tool call too when tools are given)."""

    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.read_json()
        FakeAnthropic.requests.append(body)
        if body["messages"][-1]["content"] == "fail":
            error = {"type": "invalid_request_error", "message": "prompt too long"}
            self.send_json(400, {"type": "error", "error": error})
            return
        message = {"id": "msg_1", "type": "message", "role": "assistant", "model": MODEL, "stop_sequence": None}
        if not body.get("stream"):
            self.send_json(200, {**message, "content": [{"type": "text", "text": REPLY}], "stop_reason": "end_turn",
                             "usage": USAGE})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        start_usage = {**USAGE, "output_tokens": 1}
        self._event("message_start", {"message": {**message, "content": [], "stop_reason": None,
                                                  "usage": start_usage}})
        self._event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
        self._event("ping", {})
        for piece in ("Refunds ", "take 5 days."):
            self._event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": piece}})
        self._event("content_block_stop", {"index": 0})
        stop_reason = "end_turn"
        if body.get("tools"):
            stop_reason = "tool_use"
            self._event("content_block_start", {"index": 1, "content_block": {
                "type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}})
            for piece in ('{"order', '_id": "A1"}'):
                self._event("content_block_delta", {"index": 1, "delta": {"type": "input_json_delta",
                                                                          "partial_json": piece}})
            self._event("content_block_stop", {"index": 1})
        self._event("message_delta", {"delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                      "usage": {"output_tokens": USAGE["output_tokens"]}})
        self._event("message_stop", {})

    def _event(self, name: str, data: dict[str, Any]) -> None:
        self.send_event(f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n")


@pytest.fixture(scope="module")
def anthropic_url() -> Iterator[str]:
    with serving(FakeAnthropic) as url:
        yield url


@pytest.fixture
def exporter() -> Iterator[tracehound.InMemoryExporter]:
    exporter = tracehound.InMemoryExporter()
    tracehound.configure(exporter=exporter, project="anthropic")
    yield exporter
    tracehound.configure()


SYSTEM = "You answer refund questions."
MESSAGES = [{"role": "user", "content": "How long do refunds take?"}]
ARGS: dict[str, Any] = {"model": "claude-haiku-4-5", "max_tokens": 512, "system": SYSTEM, "messages": MESSAGES,
                        "stop_sequences": ["END"]}
# claude-haiku-4-5: $1 input, $0.10 cache read, $1.25 cache write, $5 output per million tokens.
EXPECTED_COST = (200 * 1.00 + 1000 * 0.10 + 400 * 1.25 + 300 * 5.00) / 1e6


def check_llm_span(span: Any, stop_reason: str = "end_turn") -> None:
    assert span.run_type == "llm" and span.name == "anthropic.messages" and span.status == "ok"
    assert span.model == MODEL and span.metadata["provider"] == "anthropic"
    assert (span.prompt_tokens, span.completion_tokens, span.total_tokens) == (1600, 300, 1900)
    assert span.metadata["usage"] == USAGE  # Anthropic's four fields, kept apart
    assert span.cost == pytest.approx(EXPECTED_COST)
    assert span.cost_details == pytest.approx({"input": 200e-6, "cached_input": 100e-6, "cache_write": 500e-6,
                                               "output": 1500e-6})
    assert span.inputs["messages"] == [{"role": "system", "content": SYSTEM}, *MESSAGES]
    assert span.inputs["stop_sequences"] == ["END"] and span.inputs["max_tokens"] == 512
    assert span.outputs["content"][0] == {"type": "text", "text": REPLY}
    assert span.outputs["stop_reason"] == stop_reason


def client_for(url: str) -> Any:
    return tracehound.wrap_anthropic(anthropic.Anthropic(base_url=url, api_key="sk-test", max_retries=0))


def test_sync_message_records_usage_and_cost(anthropic_url: str, exporter: tracehound.InMemoryExporter) -> None:
    client = client_for(anthropic_url)
    assert tracehound.wrap_anthropic(client) is client  # wrapping twice is harmless

    @tracehound.traceable(run_type="agent")
    def agent() -> str:
        reply = client.messages.create(**ARGS)
        return str(reply.content[0].text)

    assert agent() == REPLY
    llm, root = exporter.get_spans()
    check_llm_span(llm)
    assert llm.parent_id == root.id and root.cost is None  # cost lives on the llm span only
    assert FakeAnthropic.requests[-1]["system"] == SYSTEM  # the request itself is unchanged


def test_create_stream_rebuilds_text_and_tool_calls_from_events(anthropic_url: str,
                                                               exporter: tracehound.InMemoryExporter) -> None:
    client = client_for(anthropic_url)
    tools = [{"name": "lookup", "description": "Find an order", "input_schema": {"type": "object"}}]
    events = list(client.messages.create(**ARGS, tools=tools, stream=True))
    assert [e.type for e in events][:2] == ["message_start", "content_block_start"]
    (span,) = exporter.get_spans()
    check_llm_span(span, stop_reason="tool_use")
    assert span.outputs["content"][1] == {"type": "tool_use", "id": "toolu_1", "name": "lookup",
                                          "input": {"order_id": "A1"}}
    assert span.inputs["tools"] == tools


def test_stream_helper_records_the_final_message(anthropic_url: str, exporter: tracehound.InMemoryExporter) -> None:
    client = client_for(anthropic_url)
    with client.messages.stream(**ARGS) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == REPLY and final.usage.output_tokens == 300
    (span,) = exporter.get_spans()
    check_llm_span(span)


def test_stream_left_early_ends_with_what_arrived(anthropic_url: str, exporter: tracehound.InMemoryExporter) -> None:
    client = client_for(anthropic_url)
    with client.messages.create(**ARGS, stream=True) as stream:
        first = next(iter(stream))
        assert first.type == "message_start"
    (span,) = exporter.get_spans()  # closed early: input usage from message_start, output so far
    assert span.status == "ok" and span.model == MODEL and span.prompt_tokens == 1600
    assert span.completion_tokens == 1


def test_async_message_create_stream_and_stream_helper(anthropic_url: str,
                                                       exporter: tracehound.InMemoryExporter) -> None:
    client = tracehound.wrap_anthropic(anthropic.AsyncAnthropic(base_url=anthropic_url, api_key="sk-test",
                                                                max_retries=0))

    async def run() -> list[str]:
        reply = await client.messages.create(**ARGS)
        stream = await client.messages.create(**ARGS, stream=True)
        pieces = [event.delta.text async for event in stream if event.type == "content_block_delta"]
        async with client.messages.stream(**ARGS) as helper:
            helper_text = "".join([text async for text in helper.text_stream])
        await client.close()
        return [reply.content[0].text, "".join(pieces), helper_text]

    assert asyncio.run(run()) == [REPLY] * 3
    spans = exporter.get_spans()
    assert len(spans) == 3
    for span in spans:
        check_llm_span(span)


def test_an_api_error_is_recorded_and_raised(anthropic_url: str, exporter: tracehound.InMemoryExporter) -> None:
    client = client_for(anthropic_url)
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="claude-haiku-4-5", max_tokens=10,
                               messages=[{"role": "user", "content": "fail"}])
    with pytest.raises(anthropic.BadRequestError), client.messages.stream(
            model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "fail"}]):
        pass
    for span in exporter.get_spans():
        assert span.status == "error" and span.error is not None and "prompt too long" in span.error
    assert len(exporter.get_spans()) == 2


def test_untraced_calls_pass_through(anthropic_url: str) -> None:
    tracehound.configure(tracing=False)
    try:
        client = client_for(anthropic_url)
        with client.messages.stream(**ARGS) as stream:
            assert "".join(stream.text_stream) == REPLY
        assert client.messages.create(**ARGS).content[0].text == REPLY
    finally:
        tracehound.configure()


def test_the_sdk_does_not_import_anthropic_until_the_wrapper_is_used() -> None:
    code = ("import sys, tracehound\n"
            "tracehound.traceable, tracehound.wrap_openai, tracehound.wrap_anthropic\n"
            "assert 'anthropic' not in sys.modules, 'anthropic imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
