"""``tracehound.wrap_anthropic(client)``: record every Messages API call as an ``llm`` span.

    client = tracehound.wrap_anthropic(anthropic.Anthropic())    # or anthropic.AsyncAnthropic()
    client.messages.create(model="claude-sonnet-4-5", max_tokens=512, system="...", messages=[...])
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=512, messages=[...]) as stream: ...

Sync, async and streaming calls (``messages.create(stream=True)`` and ``messages.stream(...)``) are
recorded with model, messages (the ``system`` prompt first, as a ``system`` message), parameters,
reply, tokens and cost. Anthropic counts ``input_tokens`` apart from cache writes and reads, so the
span's ``prompt_tokens`` is their sum, and ``metadata.usage`` keeps Anthropic's own four fields.
This module is imported only when ``wrap_anthropic`` is used; it never imports ``anthropic`` itself.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Mapping
from typing import Any, Final, TypeVar

from tracehound.sdk import _guard
from tracehound.sdk.config import STATE
from tracehound.sdk.integrations._create import wrap_create
from tracehound.sdk.integrations.llm import LLMCall

C = TypeVar("C")
NAME: Final = "anthropic.messages"
_WRAPPED = "__tracehound_wrapped__"
# Request parameters recorded beside the messages (temperature and friends exist in older SDK versions only).
_PARAMS = ("max_tokens", "temperature", "top_p", "top_k", "stop_sequences", "tools", "tool_choice", "thinking",
           "output_config", "metadata", "service_tier")
_USAGE = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def wrap_anthropic(client: C) -> C:
    """Trace ``client.messages.create`` and ``client.messages.stream`` of an ``anthropic.Anthropic`` or
    ``anthropic.AsyncAnthropic`` client.

    Returns:
        The same client (patched in place; wrapping twice is harmless).
    """
    messages = client.messages  # type: ignore[attr-defined]
    create = messages.create
    if getattr(create, _WRAPPED, False):
        return client
    is_async = inspect.iscoroutinefunction(inspect.unwrap(create))  # anthropic decorates create (required_args)
    wrappers = {"create": wrap_create(create, is_async=is_async, begin=_begin, record=_record_message,
                                      accumulator=_EventAccumulator)}
    stream = getattr(messages, "stream", None)
    if stream is not None:
        wrappers["stream"] = _stream_helper(stream, _AsyncStreamManager if is_async else _StreamManager)
    for name, wrapper in wrappers.items():
        setattr(wrapper, _WRAPPED, True)
        setattr(messages, name, wrapper)
    return client


def _begin(kwargs: Mapping[str, Any]) -> LLMCall:
    messages = list(kwargs.get("messages") or ())
    system = kwargs.get("system")
    if system:
        messages.insert(0, {"role": "system", "content": system})
    params = {key: kwargs[key] for key in _PARAMS if key in kwargs}
    return LLMCall(kwargs.get("model"), messages, name=NAME, provider="anthropic", params=params)


def _record(call: LLMCall, output: Any, model: str | None, usage: Mapping[str, int | None]) -> None:
    """Record the reply; ``usage`` holds Anthropic's token fields (missing ones are ``None``)."""
    given = {key: int(value) for key, value in usage.items() if value is not None}
    if "input_tokens" not in given and "output_tokens" not in given:
        call.record(output, model=model)
        return
    written = given.get("cache_creation_input_tokens", 0)
    read = given.get("cache_read_input_tokens", 0)
    prompt = given.get("input_tokens", 0) + written + read
    completion = given.get("output_tokens", 0)
    call.record(output, model=model, prompt_tokens=prompt, completion_tokens=completion,
                total_tokens=prompt + completion, cached_tokens=read, cache_write_tokens=written, usage=given)


def _record_message(call: LLMCall, message: Any) -> None:
    """Record a complete ``Message`` (a reply, or a stream helper's final snapshot)."""
    try:
        content = [block.model_dump(exclude_none=True) if hasattr(block, "model_dump") else block
                   for block in getattr(message, "content", None) or ()]
        output = {"role": "assistant", "content": content, "stop_reason": getattr(message, "stop_reason", None)}
        usage = getattr(message, "usage", None)
        _record(call, output, getattr(message, "model", None), {key: getattr(usage, key, None) for key in _USAGE})
    except Exception:
        _guard.internal_error("recording an anthropic message")


class _EventAccumulator:
    """Rebuilds the message from raw stream events (``messages.create(stream=True)``).

    ``message_start`` brings the model and the input usage, ``content_block_*`` the content,
    ``message_delta`` the stop reason and the (cumulative) output usage.
    """

    def __init__(self, call: LLMCall) -> None:
        self.call = call
        self.blocks: dict[int, dict[str, Any]] = {}
        self.partial_json: dict[int, list[str]] = {}
        self.model: str | None = None
        self.stop_reason: str | None = None
        self.usage: dict[str, int | None] = dict.fromkeys(_USAGE)
        self.done = False

    def _take_usage(self, usage: Any) -> None:
        for key in _USAGE:
            value = getattr(usage, key, None)
            if value is not None:
                self.usage[key] = value

    def add(self, event: Any) -> None:
        try:
            kind = getattr(event, "type", None)
            if kind == "message_start":
                self.model = event.message.model
                self._take_usage(event.message.usage)
            elif kind == "content_block_start":
                self.blocks[event.index] = event.content_block.model_dump(exclude_none=True)
            elif kind == "content_block_delta":
                self._add_delta(event.index, event.delta)
            elif kind == "content_block_stop":
                pieces = self.partial_json.pop(event.index, None)
                if pieces:
                    self.blocks.setdefault(event.index, {})["input"] = json.loads("".join(pieces))
            elif kind == "message_delta":
                self.stop_reason = getattr(event.delta, "stop_reason", None) or self.stop_reason
                self._take_usage(getattr(event, "usage", None))
        except Exception:
            _guard.internal_error("reading an anthropic stream event")

    def _add_delta(self, index: int, delta: Any) -> None:
        block = self.blocks.setdefault(index, {})
        kind = getattr(delta, "type", None)
        if kind == "text_delta":
            block["text"] = block.get("text", "") + delta.text
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta.thinking
        elif kind == "input_json_delta":
            self.partial_json.setdefault(index, []).append(delta.partial_json)

    def finish_ok(self) -> None:
        if self.done:
            return
        self.done = True
        output = {"role": "assistant", "content": [self.blocks[i] for i in sorted(self.blocks)],
                  "stop_reason": self.stop_reason}
        try:
            _record(self.call, output, self.model, self.usage)
        except Exception:
            _guard.internal_error("recording an anthropic stream")
        self.call.end()

    def finish_error(self, exc: BaseException) -> None:
        if not self.done:
            self.done = True
            self.call.fail(exc)


def _stream_helper(original: Any, manager_class: Any) -> Any:
    @functools.wraps(original)
    def stream(*args: Any, **kwargs: Any) -> Any:
        manager = original(*args, **kwargs)  # no request yet: it is made when the ``with`` block starts
        if not STATE.enabled:
            return manager
        return manager_class(manager, kwargs)

    return stream


def _snapshot(stream: Any) -> Any:
    """The message accumulated so far by anthropic's ``MessageStream`` (``None`` before any event)."""
    try:
        return stream.current_message_snapshot
    except AssertionError:
        return None


class _StreamManager:
    """Wraps ``MessageStreamManager``: the span covers the ``with`` block; the reply is its final snapshot."""

    def __init__(self, manager: Any, kwargs: Mapping[str, Any]) -> None:
        self._manager = manager
        self._kwargs = kwargs
        self._call: LLMCall | None = None
        self._stream: Any = None

    def __enter__(self) -> Any:
        self._call = call = _begin(self._kwargs)
        try:
            self._stream = self._manager.__enter__()
        except BaseException as exc:
            call.fail(exc)
            raise
        return self._stream

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return self._manager.__exit__(exc_type, exc, tb)
        finally:
            _finish(self._call, self._stream, exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)


class _AsyncStreamManager:
    """Wraps ``AsyncMessageStreamManager`` the same way."""

    def __init__(self, manager: Any, kwargs: Mapping[str, Any]) -> None:
        self._manager = manager
        self._kwargs = kwargs
        self._call: LLMCall | None = None
        self._stream: Any = None

    async def __aenter__(self) -> Any:
        self._call = call = _begin(self._kwargs)
        try:
            self._stream = await self._manager.__aenter__()
        except BaseException as exc:
            call.fail(exc)
            raise
        return self._stream

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return await self._manager.__aexit__(exc_type, exc, tb)
        finally:
            _finish(self._call, self._stream, exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)


def _finish(call: LLMCall | None, stream: Any, exc: BaseException | None) -> None:
    if call is None:
        return
    message = _snapshot(stream) if stream is not None else None
    if message is not None:
        _record_message(call, message)
    if exc is None:
        call.end()
    else:
        call.fail(exc)
