"""Wrapping a client's ``create`` call: one LLM span per call, streamed or not, for every integration.

An integration supplies three pieces: ``begin(kwargs)`` opening its ``LLMCall``, ``record(call,
result)`` reading a whole response, and ``accumulator(call)`` reading a stream chunk by chunk.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from tracehound.sdk.config import STATE
from tracehound.sdk.integrations._stream import Accumulator, AsyncStreamProxy, StreamProxy
from tracehound.sdk.integrations.llm import LLMCall

Begin = Callable[[dict[str, Any]], LLMCall]
Record = Callable[[LLMCall, Any], None]
MakeAccumulator = Callable[[LLMCall], Accumulator]


def wrap_create(original: Any, *, is_async: bool, begin: Begin, record: Record,
                accumulator: MakeAccumulator) -> Any:
    """``original`` traced: the span ends with the response, or with the stream when ``stream=True``."""
    if is_async:
        @functools.wraps(original)
        async def acreate(*args: Any, **kwargs: Any) -> Any:
            if not STATE.enabled:
                return await original(*args, **kwargs)
            call = begin(kwargs)
            try:
                result = await original(*args, **kwargs)
            except BaseException as exc:
                call.fail(exc)
                raise
            if kwargs.get("stream"):
                return AsyncStreamProxy(result, accumulator(call))
            record(call, result)
            call.end()
            return result

        return acreate

    @functools.wraps(original)
    def create(*args: Any, **kwargs: Any) -> Any:
        if not STATE.enabled:
            return original(*args, **kwargs)
        call = begin(kwargs)
        try:
            result = original(*args, **kwargs)
        except BaseException as exc:
            call.fail(exc)
            raise
        if kwargs.get("stream"):
            return StreamProxy(result, accumulator(call))
        record(call, result)
        call.end()
        return result

    return create
