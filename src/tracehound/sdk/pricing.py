"""The price table: US dollars per million tokens, per model and per token class, plus context windows.

    tracehound.register_price("my-finetune", input=0.30, output=1.20, cached_input=0.15, context_window=32_768)

Cost is computed once, on the llm span that reported the usage (``cost`` with its breakdown in
``cost_details``); parent spans carry no cost of their own, so a sum over a trace never counts a call
twice. A model is found by exact name, else by the longest registered prefix (``gpt-4o-2024-08-06``
prices as ``gpt-4o``, ``gpt-4o-mini-2024-07-18`` as ``gpt-4o-mini``). Token classes follow OpenAI's
usage: ``prompt_tokens`` includes ``cached_tokens`` (cache reads) and ``cache_write_tokens`` (cache
creation, Anthropic's ``cache_creation_input_tokens``), and ``completion_tokens`` includes
``reasoning_tokens``. The built-in prices are list prices at the time of writing: check and override.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per million tokens of each class; ``None`` means "priced like input" / "like output"."""

    input: float
    output: float
    cached_input: float | None = None
    reasoning: float | None = None
    context_window: int | None = None
    cache_write: float | None = None  # writing a prompt cache entry (Anthropic: 1.25x input for 5 minutes)


_M: Final = 1_000_000
_PRICES: dict[str, ModelPrice] = {
    "gpt-4o": ModelPrice(2.50, 10.00, 1.25, context_window=128_000),
    "gpt-4o-mini": ModelPrice(0.15, 0.60, 0.075, context_window=128_000),
    "gpt-4.1": ModelPrice(2.00, 8.00, 0.50, context_window=1_047_576),
    "gpt-4.1-mini": ModelPrice(0.40, 1.60, 0.10, context_window=1_047_576),
    "gpt-4.1-nano": ModelPrice(0.10, 0.40, 0.025, context_window=1_047_576),
    "o3": ModelPrice(2.00, 8.00, 0.50, context_window=200_000),
    "o4-mini": ModelPrice(1.10, 4.40, 0.275, context_window=200_000),
    # Anthropic: cached_input is a cache read, cache_write a 5-minute cache write.
    "claude-opus-4": ModelPrice(15.00, 75.00, 1.50, context_window=200_000, cache_write=18.75),
    "claude-opus-4-5": ModelPrice(5.00, 25.00, 0.50, context_window=200_000, cache_write=6.25),
    "claude-sonnet-4": ModelPrice(3.00, 15.00, 0.30, context_window=200_000, cache_write=3.75),
    "claude-haiku-4-5": ModelPrice(1.00, 5.00, 0.10, context_window=200_000, cache_write=1.25),
    "claude-3-7-sonnet": ModelPrice(3.00, 15.00, 0.30, context_window=200_000, cache_write=3.75),
    "claude-3-5-sonnet": ModelPrice(3.00, 15.00, 0.30, context_window=200_000, cache_write=3.75),
    "claude-3-5-haiku": ModelPrice(0.80, 4.00, 0.08, context_window=200_000, cache_write=1.00),
    "claude-3-opus": ModelPrice(15.00, 75.00, 1.50, context_window=200_000, cache_write=18.75),
    "claude-3-haiku": ModelPrice(0.25, 1.25, 0.03, context_window=200_000, cache_write=0.30),
}
_lock = threading.Lock()


def register_price(model: str, *, input: float, output: float, cached_input: float | None = None,
                   reasoning: float | None = None, context_window: int | None = None,
                   cache_write: float | None = None) -> None:
    """Add or replace a model's prices (USD per million tokens) and context window.

    Raises:
        ValueError: a negative price.
    """
    if min(input, output, cached_input or 0.0, reasoning or 0.0, cache_write or 0.0) < 0:
        raise ValueError(f"prices for {model!r} must not be negative")
    with _lock:
        _PRICES[model] = ModelPrice(float(input), float(output), cached_input, reasoning, context_window, cache_write)


def price_for(model: str) -> ModelPrice | None:
    """The prices of ``model``: exact name, else the longest registered prefix; ``None`` if unknown."""
    price = _PRICES.get(model)
    if price is not None:
        return price
    best = ""
    for name in list(_PRICES):
        if model.startswith(name) and len(name) > len(best) and model[len(name):len(name) + 1] in ("-", "@", ":"):
            best = name
    return _PRICES[best] if best else None


def cost(model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0,
         reasoning_tokens: int = 0, cache_write_tokens: int = 0) -> tuple[float, dict[str, float]] | None:
    """``(usd, breakdown)`` of one call, or ``None`` when the model has no price.

    ``cached_tokens`` (cache reads) and ``cache_write_tokens`` are parts of ``prompt_tokens``;
    ``reasoning_tokens`` a part of ``completion_tokens``.
    """
    price = price_for(model)
    if price is None:
        return None
    cached = min(cached_tokens, prompt_tokens)
    written = min(cache_write_tokens, prompt_tokens - cached)
    reasoning = min(reasoning_tokens, completion_tokens)
    details = {
        "input": (prompt_tokens - cached - written) * price.input / _M,
        "output": (completion_tokens - reasoning) * price.output / _M,
    }
    if cached:
        details["cached_input"] = cached * (price.input if price.cached_input is None else price.cached_input) / _M
    if written:
        details["cache_write"] = written * (price.input if price.cache_write is None else price.cache_write) / _M
    if reasoning:
        details["reasoning"] = reasoning * (price.output if price.reasoning is None else price.reasoning) / _M
    return sum(details.values()), details
