"""``tracehound.wrap_openai(client)``: record every chat completion as an ``llm`` span.

    client = tracehound.wrap_openai(openai.OpenAI())          # or openai.AsyncOpenAI()
    client.chat.completions.create(model="gpt-4o-mini", messages=[...])
    for chunk in client.chat.completions.create(..., stream=True, stream_options={"include_usage": True}): ...

Sync, async and streaming calls are recorded with model, messages, reply, tokens (cached and
reasoning in ``metadata.usage``) and cost. A stream's span ends when the stream is exhausted or
closed; its usage comes from the final chunk, which OpenAI sends only with
``stream_options={"include_usage": True}`` (the wrapper does not add it: it changes what the stream yields).
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

from tracehound.sdk import _guard
from tracehound.sdk.integrations._create import wrap_create
from tracehound.sdk.integrations.llm import LLMCall

C = TypeVar("C")
_WRAPPED = "__tracehound_wrapped__"
_PARAMS = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "tools", "tool_choice",
           "response_format", "n", "seed", "stop", "reasoning_effort")


def wrap_openai(client: C) -> C:
    """Trace ``client.chat.completions.create`` of an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` client.

    Returns:
        The same client (patched in place; wrapping twice is harmless).
    """
    completions = client.chat.completions  # type: ignore[attr-defined]
    original = completions.create
    if getattr(original, _WRAPPED, False):
        return client
    is_async = inspect.iscoroutinefunction(inspect.unwrap(original))  # openai decorates create (required_args)
    wrapper = wrap_create(original, is_async=is_async, begin=_begin, record=_record_completion,
                          accumulator=_Accumulator)
    setattr(wrapper, _WRAPPED, True)
    completions.create = wrapper
    return client


def _begin(kwargs: dict[str, Any]) -> LLMCall:
    params = {key: kwargs[key] for key in _PARAMS if key in kwargs}
    return LLMCall(kwargs.get("model"), kwargs.get("messages"), name="openai.chat.completions", provider="openai",
                   params=params)


def _usage(call: LLMCall, output: Any, model: str | None, usage: Any) -> None:
    if usage is None:
        call.record(output, model=model)
        return
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    call.record(
        output, model=model,
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        completion_tokens=getattr(usage, "completion_tokens", None),
        total_tokens=getattr(usage, "total_tokens", None),
        cached_tokens=(getattr(prompt_details, "cached_tokens", None) or 0) if prompt_details else 0,
        reasoning_tokens=(getattr(completion_details, "reasoning_tokens", None) or 0) if completion_details else 0,
    )


def _record_completion(call: LLMCall, response: Any) -> None:
    try:
        choices = [{"message": choice.message.model_dump(exclude_none=True), "finish_reason": choice.finish_reason}
                   for choice in getattr(response, "choices", None) or ()]
        _usage(call, {"choices": choices}, getattr(response, "model", None), getattr(response, "usage", None))
    except Exception:
        _guard.internal_error("recording an openai completion")


class _Accumulator:
    """Joins streamed deltas back into messages, and keeps the last usage seen."""

    def __init__(self, call: LLMCall) -> None:
        self.call = call
        self.contents: dict[int, list[str]] = {}
        self.finish: dict[int, str | None] = {}
        self.model: str | None = None
        self.usage: Any = None
        self.done = False

    def add(self, chunk: Any) -> None:
        try:
            self.model = getattr(chunk, "model", None) or self.model
            usage = getattr(chunk, "usage", None)
            if usage is not None:
                self.usage = usage
            for choice in getattr(chunk, "choices", None) or ():
                delta = getattr(choice, "delta", None)
                text = getattr(delta, "content", None) if delta is not None else None
                if text:
                    self.contents.setdefault(choice.index, []).append(text)
                if choice.finish_reason:
                    self.finish[choice.index] = choice.finish_reason
        except Exception:
            _guard.internal_error("reading an openai stream chunk")

    def finish_ok(self) -> None:
        if self.done:
            return
        self.done = True
        indexes = sorted(set(self.contents) | set(self.finish))
        choices = [{"message": {"role": "assistant", "content": "".join(self.contents.get(i, []))},
                    "finish_reason": self.finish.get(i)} for i in indexes]
        _usage(self.call, {"choices": choices}, self.model, self.usage)
        self.call.end()

    def finish_error(self, exc: BaseException) -> None:
        if not self.done:
            self.done = True
            self.call.fail(exc)
