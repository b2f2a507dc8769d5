"""Prices applied: US dollars per million tokens, per model and per token class, plus context windows.

    tracehound.register_price("my-finetune", input=0.30, output=1.20, cached_input=0.15, context_window=32_768)

Cost is computed once, on the llm span that reported the usage (``cost`` with its breakdown in
``cost_details``); parent spans carry no cost of their own, so a sum over a trace never counts a call
twice. The SDK prices its own llm spans with ``cost``; the server prices every other source's at
ingest with a ``PriceBook`` (the shipped table of ``tracehound.sdk.prices`` plus the project's
overrides) — the same arithmetic either way.

Lookup (``PriceBook.find``): the id is normalised (``openai/gpt-4o``, Bedrock's
``us.anthropic.claude-3-5-sonnet-20240620-v1:0`` and Vertex's ``claude-3-5-sonnet-v2@20241022``
become table names), then found by exact name, else through ``ALIASES``, else as a dated snapshot of a family
(``gpt-4o-2024-11-20`` prices as ``gpt-4o``, ``gpt-4o-mini-2024-07-18`` as ``gpt-4o-mini``). Only a
date or number suffix counts as a snapshot, so ``o1-mini`` is *not* priced as ``o1``: an unknown model
stays unpriced (and is listed as such) rather than priced wrongly. Of several rows for one name, the
one in effect at the span's start time applies.

Token classes follow OpenAI's usage: ``prompt_tokens`` includes ``cached_tokens`` (cache reads) and
``cache_write_tokens`` (cache creation, Anthropic's ``cache_creation_input_tokens``), and
``completion_tokens`` includes ``reasoning_tokens``; each token is charged in exactly one class.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from tracehound.sdk.prices import ALIASES, PRICES, PriceRow, normalise


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
_SNAPSHOT_SUFFIX: Final = re.compile(r"^(?:-\d{4}-\d{2}-\d{2}|-\d{8}|-\d{4}|-\d{3})$")


def day_us(day: str) -> int:
    """Microseconds at 00:00 UTC of an ISO date (``2025-06-10``)."""
    parsed = date.fromisoformat(day)
    return int(datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC).timestamp()) * _M


def price_of(row: PriceRow) -> ModelPrice:
    return ModelPrice(row.input, row.output, row.cached_input, row.reasoning, row.context_window, row.cache_write)


class PriceBook:
    """Rows by model name, each name's rows ordered by the day they take effect; answers ``find``."""

    def __init__(self, rows: Iterable[PriceRow] = ()) -> None:
        self._rows: dict[str, tuple[list[int], list[PriceRow]]] = {}
        for row in rows:
            self.add(row)

    def add(self, row: PriceRow) -> None:
        """Add a row; a row for the same model and day replaces the earlier one."""
        key = normalise(row.model)
        starts, rows = self._rows.setdefault(key, ([], []))
        start = day_us(row.effective)
        index = bisect.bisect_left(starts, start)
        if index < len(starts) and starts[index] == start:
            rows[index] = row
        else:
            starts.insert(index, start)
            rows.insert(index, row)

    def names(self) -> list[str]:
        return sorted(self._rows)

    def find(self, model: str, at_us: int | None = None) -> PriceRow | None:
        """The row that prices ``model`` at ``at_us`` (default: the latest row); ``None`` when unknown."""
        name = normalise(model)
        found = self._rows.get(name)
        if found is None and name in ALIASES:  # claude-sonnet-4-0 → claude-sonnet-4-20250514 → claude-sonnet-4
            name = ALIASES[name]
            found = self._rows.get(name)
        if found is None:
            best = ""
            for key in self._rows:
                if len(key) > len(best) and name.startswith(key) and _SNAPSHOT_SUFFIX.match(name[len(key):]):
                    best = key
            if not best:
                return None
            found = self._rows[best]
        starts, rows = found
        if at_us is None:
            return rows[-1]
        index = bisect.bisect_right(starts, at_us) - 1
        return rows[max(index, 0)]  # before the first row's day: its price is the best we know

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int, *, cached_tokens: int = 0,
             reasoning_tokens: int = 0, cache_write_tokens: int = 0,
             at_us: int | None = None) -> tuple[float, dict[str, float], PriceRow] | None:
        """``(usd, breakdown, row)`` of one call, or ``None`` when the model has no price."""
        row = self.find(model, at_us)
        if row is None:
            return None
        usd, details = compute(price_of(row), prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens,
                               cache_write_tokens)
        return usd, details, row


def compute(price: ModelPrice, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0,
            reasoning_tokens: int = 0, cache_write_tokens: int = 0) -> tuple[float, dict[str, float]]:
    """``(usd, breakdown)``: every token in exactly one class (details are clamped to their totals)."""
    cached = max(0, min(cached_tokens, prompt_tokens))
    written = max(0, min(cache_write_tokens, prompt_tokens - cached))
    reasoning = max(0, min(reasoning_tokens, completion_tokens))
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


SHIPPED: Final = PriceBook(PRICES)
_user = PriceBook()  # register_price: the SDK user's own rows, which win over the shipped ones
_lock = threading.Lock()


def register_price(model: str, *, input: float, output: float, cached_input: float | None = None,
                   reasoning: float | None = None, context_window: int | None = None,
                   cache_write: float | None = None) -> None:
    """Add or replace a model's prices (USD per million tokens) and context window in this process.

    Raises:
        ValueError: a negative price.
    """
    if min(input, output, cached_input or 0.0, reasoning or 0.0, cache_write or 0.0) < 0:
        raise ValueError(f"prices for {model!r} must not be negative")
    with _lock:
        _user.add(PriceRow("user", model, float(input), float(output), cached_input, cache_write, reasoning,
                           context_window, source="register_price"))


def price_for(model: str) -> ModelPrice | None:
    """The current prices of ``model`` (registered, else shipped); ``None`` if unknown."""
    row = _user.find(model) or SHIPPED.find(model)
    return None if row is None else price_of(row)


def cost(model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0,
         reasoning_tokens: int = 0, cache_write_tokens: int = 0) -> tuple[float, dict[str, float]] | None:
    """``(usd, breakdown)`` of one call at today's prices, or ``None`` when the model has no price.

    ``cached_tokens`` (cache reads) and ``cache_write_tokens`` are parts of ``prompt_tokens``;
    ``reasoning_tokens`` a part of ``completion_tokens``.
    """
    price = price_for(model)
    if price is None:
        return None
    return compute(price, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, cache_write_tokens)
