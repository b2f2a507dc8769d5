"""``wrap_openai`` against a real HTTP server on 127.0.0.1 that speaks the chat-completions protocol."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import ClassVar

import pytest

import tracehound
from tests.http_servers import QuietHandler, serving

openai = pytest.importorskip("openai")

USAGE = {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
         "prompt_tokens_details": {"cached_tokens": 1000}, "completion_tokens_details": {"reasoning_tokens": 100}}


class FakeOpenAI(QuietHandler):
    """``POST /v1/chat/completions``: a JSON completion, or SSE chunks (usage last when asked for)."""

    requests: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = self.read_json()
        FakeOpenAI.requests.append(body)
        if body["messages"][-1]["content"] == "fail":
            self.send_json(400, {"error": {"message": "model overloaded", "type": "server_error"}})
            return
        base = {"id": "chatcmpl-1", "created": 1_700_000_000, "model": "gpt-4o-mini-2024-07-18"}
        if not body.get("stream"):
            message = {"role": "assistant", "content": "Refunds take 5 days."}
            self.send_json(200, {**base, "object": "chat.completion", "usage": USAGE,
                                 "choices": [{"index": 0, "finish_reason": "stop", "message": message}]})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chunk = {**base, "object": "chat.completion.chunk"}
        pieces = [{"role": "assistant", "content": ""}, {"content": "Refunds "}, {"content": "take 5 days."}]
        for index, delta in enumerate(pieces):
            finish = "stop" if index == len(pieces) - 1 else None
            self._event({**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            self._event({**chunk, "choices": [], "usage": USAGE})
        self.send_event("data: [DONE]\n\n")

    def _event(self, data: dict[str, object]) -> None:
        self.send_event(f"data: {json.dumps(data)}\n\n")


@pytest.fixture(scope="module")
def openai_url() -> Iterator[str]:
    with serving(FakeOpenAI) as url:
        yield url + "/v1"


@pytest.fixture
def exporter() -> Iterator[tracehound.InMemoryExporter]:
    exporter = tracehound.InMemoryExporter()
    tracehound.configure(exporter=exporter, project="openai")
    yield exporter
    tracehound.configure()


MESSAGES = [{"role": "user", "content": "How long do refunds take?"}]
EXPECTED_COST = (200 * 0.15 + 1000 * 0.075 + 200 * 0.60 + 100 * 0.60) / 1e6


def check_llm_span(span: tracehound.Run | object) -> None:
    assert span.run_type == "llm" and span.name == "openai.chat.completions"  # type: ignore[attr-defined]
    assert span.model == "gpt-4o-mini-2024-07-18"  # type: ignore[attr-defined]
    assert (span.prompt_tokens, span.completion_tokens, span.total_tokens) == (1200, 300, 1500)  # type: ignore[attr-defined]
    assert span.metadata["usage"] == {"cached_tokens": 1000, "reasoning_tokens": 100}  # type: ignore[attr-defined]
    assert span.metadata["provider"] == "openai"  # type: ignore[attr-defined]
    assert span.cost == pytest.approx(EXPECTED_COST)  # type: ignore[attr-defined]
    assert span.inputs["messages"] == MESSAGES and span.inputs["temperature"] == 0  # type: ignore[attr-defined]
    assert span.outputs["choices"][0]["message"]["content"] == "Refunds take 5 days."  # type: ignore[attr-defined]


def test_sync_completion_records_usage_and_cost(openai_url: str, exporter: tracehound.InMemoryExporter) -> None:
    client = tracehound.wrap_openai(openai.OpenAI(base_url=openai_url, api_key="sk-test", max_retries=0))
    assert tracehound.wrap_openai(client) is client  # wrapping twice is harmless

    @tracehound.traceable(run_type="agent")
    def agent() -> str:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0)
        return reply.choices[0].message.content or ""

    assert agent() == "Refunds take 5 days."
    llm, root = exporter.get_spans()
    check_llm_span(llm)
    assert llm.parent_id == root.id and root.cost is None  # cost lives on the llm span only


def test_sync_stream_records_usage_from_the_final_chunk(openai_url: str,
                                                        exporter: tracehound.InMemoryExporter) -> None:
    client = tracehound.wrap_openai(openai.OpenAI(base_url=openai_url, api_key="sk-test", max_retries=0))
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "Refunds take 5 days."
    (span,) = exporter.get_spans()
    check_llm_span(span)
    assert span.outputs["choices"][0]["finish_reason"] == "stop"


def test_stream_used_as_a_context_manager_without_usage(openai_url: str,
                                                       exporter: tracehound.InMemoryExporter) -> None:
    client = tracehound.wrap_openai(openai.OpenAI(base_url=openai_url, api_key="sk-test", max_retries=0))
    with client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True) as stream:
        first = next(iter(stream))
        assert first.choices[0].delta.role == "assistant"
    (span,) = exporter.get_spans()  # closed early: the span ends with what arrived
    assert span.status == "ok" and span.prompt_tokens is None and span.model == "gpt-4o-mini-2024-07-18"


def test_async_completion_and_stream(openai_url: str, exporter: tracehound.InMemoryExporter) -> None:
    client = tracehound.wrap_openai(openai.AsyncOpenAI(base_url=openai_url, api_key="sk-test", max_retries=0))

    async def run() -> str:
        reply = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0)
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0,
                                                      stream=True, stream_options={"include_usage": True})
        text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
        assert text == reply.choices[0].message.content
        await client.close()
        return text

    assert asyncio.run(run()) == "Refunds take 5 days."
    spans = exporter.get_spans()
    assert len(spans) == 2
    for span in spans:
        check_llm_span(span)


def test_an_api_error_is_recorded_and_raised(openai_url: str, exporter: tracehound.InMemoryExporter) -> None:
    client = tracehound.wrap_openai(openai.OpenAI(base_url=openai_url, api_key="sk-test", max_retries=0))
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "fail"}])
    (span,) = exporter.get_spans()
    assert span.status == "error" and span.error is not None and "model overloaded" in span.error


def test_the_token_budget_stops_a_scripted_openai_agent(openai_url: str,
                                                        exporter: tracehound.InMemoryExporter) -> None:
    client = tracehound.wrap_openai(openai.OpenAI(base_url=openai_url, api_key="sk-test", max_retries=0))
    tracehound.configure(exporter=exporter, guards=tracehound.Guards(max_tokens=4000))
    before = len(FakeOpenAI.requests)

    @tracehound.traceable(run_type="agent")
    def agent() -> str:
        try:
            while True:
                client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0)
        except tracehound.TokenBudgetExceeded:
            return "budget reached"

    assert agent() == "budget reached"
    assert len(FakeOpenAI.requests) - before == 3  # 3 x 1500 tokens > 4000: the fourth call was never sent
