"""Usage and model ids read from each provider's response shape, as users log them."""

from __future__ import annotations

from typing import Any

import pytest
from anthropic.types import Message
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from tracehound.ingest.usage import details_from_metadata, find_usage

OPENAI_CHAT = ChatCompletion.model_validate({
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
    "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
              "prompt_tokens_details": {"cached_tokens": 1024}, "completion_tokens_details": {"reasoning_tokens": 0}},
}).model_dump()
OPENAI_RESPONSES = Response.model_validate({
    "id": "resp_1", "object": "response", "created_at": 1, "model": "o4-mini-2025-04-16", "output": [],
    "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
    "usage": {"input_tokens": 500, "input_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 50},
              "output_tokens": 900,
              "output_tokens_details": {"reasoning_tokens": 700}, "total_tokens": 1400},
}).model_dump()
ANTHROPIC = Message.model_validate({
    "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
    "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn", "stop_sequence": None,
    "usage": {"input_tokens": 50, "output_tokens": 20, "cache_read_input_tokens": 1000,
              "cache_creation_input_tokens": 200},
}).model_dump()
GEMINI = {"candidates": [{"content": {"parts": [{"text": "hi"}], "role": "model"}}], "modelVersion": "gemini-2.5-flash",
          "usageMetadata": {"promptTokenCount": 800, "candidatesTokenCount": 100, "thoughtsTokenCount": 400,
                            "cachedContentTokenCount": 600, "totalTokenCount": 1300}}
BEDROCK = {"output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}}, "stopReason": "end_turn",
           "usage": {"inputTokens": 30, "outputTokens": 12, "totalTokens": 242, "cacheReadInputTokens": 150,
                     "cacheWriteInputTokens": 50}, "metrics": {"latencyMs": 420}}
LANGCHAIN_AIMESSAGE = {"content": "hi", "type": "ai", "response_metadata": {"model_name": "gpt-4.1-2025-04-14"},
                       "usage_metadata": {"input_tokens": 70, "output_tokens": 30, "total_tokens": 100,
                                          "input_token_details": {"cache_read": 64},
                                          "output_token_details": {"reasoning": 10}}}
LANGCHAIN_LLM_RESULT = {"generations": [[{"text": "hi"}]],
                        "llm_output": {"token_usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
                                       "model_name": "gpt-4o-2024-08-06"}}


@pytest.mark.parametrize(("value", "expected"), [
    (OPENAI_CHAT, ("openai.chat", 1200, 300, 1500, 1024, 0, 0, "gpt-4o-mini-2024-07-18")),
    (OPENAI_RESPONSES, ("openai.responses", 500, 900, 1400, 100, 50, 700, "o4-mini-2025-04-16")),
    # Anthropic's input_tokens leaves out cache reads and writes: prompt = 50 + 1000 + 200.
    (ANTHROPIC, ("anthropic", 1250, 20, 1270, 1000, 200, 0, "claude-sonnet-4-20250514")),
    # Gemini's thoughts are completion tokens: 100 + 400.
    (GEMINI, ("gemini", 800, 500, 1300, 600, 0, 400, "gemini-2.5-flash")),
    (BEDROCK, ("bedrock", 230, 12, 242, 150, 50, 0, None)),
    (LANGCHAIN_AIMESSAGE, ("langchain", 70, 30, 100, 64, 0, 10, "gpt-4.1-2025-04-14")),
    (LANGCHAIN_LLM_RESULT, ("langchain.llm", 9, 3, 12, 0, 0, 0, "gpt-4o-2024-08-06")),
    # Wrapped once or twice, as a traced function's return value or a list of messages.
    ({"output": OPENAI_CHAT}, ("openai.chat", 1200, 300, 1500, 1024, 0, 0, "gpt-4o-mini-2024-07-18")),
    ({"messages": [{"role": "user"}, LANGCHAIN_AIMESSAGE]}, ("langchain", 70, 30, 100, 64, 0, 10,
                                                             "gpt-4.1-2025-04-14")),
])
def test_each_shape_gives_tokens_in_openai_accounting_and_the_model(value: Any, expected: tuple[Any, ...]) -> None:
    found = find_usage(value)
    assert found is not None
    assert (found.origin, found.prompt, found.completion, found.total, found.cache_read, found.cache_write,
            found.reasoning, found.model) == expected


@pytest.mark.parametrize("value", [{"answer": "no usage here"}, {"usage": {}}, {"usage": "n/a"}, [], {"output": 3},
                                   {"usage": {"prompt_tokens": -1, "completion_tokens": True}}])
def test_no_usage_is_none_or_counts_nothing(value: Any) -> None:
    found = find_usage(value)
    assert found is None or (found.prompt is None and found.completion is None)


def test_a_deep_or_huge_value_is_read_within_bounds() -> None:
    deep: dict[str, Any] = {"usage": {"prompt_tokens": 1, "completion_tokens": 1}}
    for _ in range(20):
        deep = {"x": deep}
    assert find_usage(deep) is None
    assert find_usage({"items": [{"n": i} for i in range(100_000)]}) is None


def test_details_already_on_a_span_are_read_from_any_source() -> None:
    assert details_from_metadata({"usage_details": {"cache_read": 5, "reasoning": 2}}) == {"cache_read": 5,
                                                                                          "reasoning": 2}
    assert details_from_metadata({"usage": {"cached_tokens": 7, "reasoning_tokens": 1}}) == {"cache_read": 7,
                                                                                            "reasoning": 1}
    assert details_from_metadata({"usage": {"cache_read_input_tokens": 3, "cache_creation_input_tokens": 4}}) == {
        "cache_read": 3, "cache_write": 4}
    assert details_from_metadata({"usage_metadata": LANGCHAIN_AIMESSAGE["usage_metadata"]}) == {"cache_read": 64,
                                                                                               "reasoning": 10}
    assert details_from_metadata({}) == {}
