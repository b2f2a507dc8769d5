"""``tracehound.llm_call``: record an LLM call made with any client.

    with tracehound.llm_call("mistral-large", messages, temperature=0.2) as call:
        reply = my_client.chat(messages)
        call.record(reply.text, prompt_tokens=reply.usage.input, completion_tokens=reply.usage.output)

The span is an ``llm`` span nested under the current one; tokens, cost (from the price table) and
the runtime guards are handled as for the built-in integrations, which use the same ``LLMCall``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

from tracehound.sdk import _guard, pricing
from tracehound.sdk.config import STATE
from tracehound.sdk.run import NON_RECORDING, Run, Spec, start

_SPECS: dict[str, Spec] = {}


def _spec(name: str) -> Spec:
    spec = _SPECS.get(name)
    if spec is None:
        spec = _SPECS[name] = Spec(None, name, "llm", (), {})
    return spec


class LLMCall:
    """One LLM call being recorded; ``record`` the reply and usage, then it ends (or ends on ``with`` exit)."""

    __slots__ = ("model", "run")

    def __init__(self, model: str | None, messages: Any, *, name: str = "llm", provider: str | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        self.model = model
        self.run: Run = NON_RECORDING
        if not STATE.enabled:
            return
        self.run = start(_spec(name), None, None)  # a runtime guard may raise GuardTripped here
        if not self.run.is_recording:
            return
        try:
            inputs: dict[str, Any] = {"messages": messages}
            if params:
                inputs.update(params)
            self.run.set_inputs(inputs)
            if model:
                self.run.set_model(model)
            if provider:
                self.run.set_metadata(provider=provider)
        except Exception:
            _guard.internal_error("starting an llm span")

    def record(self, output: Any = None, *, model: str | None = None, prompt_tokens: int | None = None,
               completion_tokens: int | None = None, total_tokens: int | None = None, cached_tokens: int = 0,
               reasoning_tokens: int = 0, cache_write_tokens: int = 0,
               usage: Mapping[str, int] | None = None) -> None:
        """Record the reply and usage; cost follows from the price table when the model is known.

        ``prompt_tokens`` counts every input token, ``cached_tokens`` (cache reads) and
        ``cache_write_tokens`` included. ``usage`` is the provider's own breakdown, recorded as
        ``metadata.usage`` (by default: the non-zero cached and reasoning tokens).
        """
        run = self.run
        if not run.is_recording or run.end_ns:
            return
        try:
            if output is not None:
                run.set_outputs(output)
            model = model or self.model
            if model:
                run.set_model(model)
            details: dict[str, int] = {}
            if usage is not None:
                details.update(usage)
            else:
                if cached_tokens:
                    details["cached_tokens"] = int(cached_tokens)
                if reasoning_tokens:
                    details["reasoning_tokens"] = int(reasoning_tokens)
            if details:
                run.set_metadata(usage=details)
            if model and (prompt_tokens is not None or completion_tokens is not None):
                priced = pricing.cost(model, prompt_tokens or 0, completion_tokens or 0, cached_tokens,
                                      reasoning_tokens, cache_write_tokens)
                if priced is not None:
                    run.set_cost(*priced)
        except Exception:
            _guard.internal_error("recording an llm call")
        if prompt_tokens is not None or completion_tokens is not None or total_tokens is not None:
            run.set_tokens(prompt_tokens, completion_tokens, total_tokens)  # guards: context-window hook

    def end(self) -> None:
        self.run._end(None)

    def fail(self, exc: BaseException) -> None:
        self.run._fail(exc)

    def __enter__(self) -> LLMCall:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.end()
        else:
            self.fail(exc)


def llm_call(model: str | None, messages: Any = None, *, name: str = "llm", provider: str | None = None,
             **params: Any) -> LLMCall:
    """Record one LLM call made with any client, as an ``llm`` span under the current span.

    Args:
        model: the model asked for (the reply's model can be given to ``record``).
        messages: the prompt, recorded as ``inputs.messages``.
        name: span name.
        provider: recorded as ``metadata.provider``.
        params: request parameters (temperature...), recorded beside the messages.

    Returns:
        A context manager; call ``.record(output, prompt_tokens=..., ...)`` inside it.

    Raises:
        GuardTripped: a runtime guard (step or token budget) stops the call before it is made.
    """
    return LLMCall(model, messages, name=name, provider=provider, params=params)
