"""The shipped price table: list prices per provider and model, each with its source and the date it applies from.

Prices are US dollars per million tokens. ``effective`` is the first day the price applies (a price
change is a new row for the same model with a later date, so a span is priced at what was charged
when it ran); ``checked`` is when the row was read from ``source``. Nothing here is fetched at run
time: the table is what this release ships, and users extend or override it (``register_price`` in
the SDK, per-project overrides on the server).

Model ids: a row's ``model`` is either a dated snapshot (``gpt-4o-2024-05-13``) or a family name that
prices every snapshot of the family (``gpt-4o`` prices ``gpt-4o-2024-11-20``). ``ALIASES`` maps
floating names (``gpt-4o``, ``claude-3-5-sonnet-latest``) to the snapshot they pointed at on
``checked``: an llm span whose model is a floating alias is tagged ``unpinned-model``, because its
behaviour (and sometimes price) can change under the same name.

Token classes follow OpenAI's usage accounting: ``input`` is charged for prompt tokens that are
neither cache reads (``cached_input``) nor cache writes (``cache_write``); ``output`` for completion
tokens that are not reasoning tokens (``reasoning``; ``None`` = priced like output, as every listed
provider does). A ``None`` cached/write price means "priced like input".

``docs/pricing.md`` lists every row (a test keeps it in step with this table).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class PriceRow:
    """One model's list prices (USD per 1M tokens) from ``effective`` on, with where they came from."""

    provider: str
    model: str
    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None
    reasoning: float | None = None
    context_window: int | None = None
    effective: str = "2000-01-01"  # ISO date the price applies from
    checked: str = ""  # ISO date (year-month when only that is known) the row was read from ``source``
    source: str = ""
    note: str = ""


_OPENAI: Final = "https://openai.com/api/pricing/"
_ANTHROPIC: Final = "https://docs.anthropic.com/en/docs/about-claude/pricing"
_GOOGLE: Final = "https://ai.google.dev/gemini-api/docs/pricing"


def _oa(model: str, inp: float, out: float, cached: float | None, window: int | None, effective: str,
        checked: str, note: str = "") -> PriceRow:
    return PriceRow("openai", model, inp, out, cached, None, None, window, effective, checked, _OPENAI, note)


def _an(model: str, inp: float, out: float, window: int, effective: str, checked: str) -> PriceRow:
    # Anthropic lists cache reads at 0.1x input and 5-minute cache writes at 1.25x input.
    return PriceRow("anthropic", model, inp, out, round(inp * 0.1, 6), round(inp * 1.25, 6), None, window,
                    effective, checked, _ANTHROPIC, "cache read 0.1x input, 5-minute cache write 1.25x input")


def _gg(model: str, inp: float, out: float, window: int, effective: str, checked: str, note: str) -> PriceRow:
    return PriceRow("google", model, inp, out, None, None, None, window, effective, checked, _GOOGLE, note)


PRICES: Final[tuple[PriceRow, ...]] = (
    # OpenAI (standard tier, not Batch or Flex).
    _oa("gpt-4o", 2.50, 10.00, 1.25, 128_000, "2024-08-06", "2025-06"),
    _oa("gpt-4o-2024-05-13", 5.00, 15.00, None, 128_000, "2024-05-13", "2025-06",
        "the first gpt-4o snapshot kept its launch price"),
    _oa("gpt-4o-mini", 0.15, 0.60, 0.075, 128_000, "2024-07-18", "2025-06"),
    _oa("gpt-4.1", 2.00, 8.00, 0.50, 1_047_576, "2025-04-14", "2025-06"),
    _oa("gpt-4.1-mini", 0.40, 1.60, 0.10, 1_047_576, "2025-04-14", "2025-06"),
    _oa("gpt-4.1-nano", 0.10, 0.40, 0.025, 1_047_576, "2025-04-14", "2025-06"),
    _oa("gpt-5", 1.25, 10.00, 0.125, 400_000, "2025-08-07", "2025-08"),
    _oa("gpt-5-mini", 0.25, 2.00, 0.025, 400_000, "2025-08-07", "2025-08"),
    _oa("gpt-5-nano", 0.05, 0.40, 0.005, 400_000, "2025-08-07", "2025-08"),
    _oa("o1", 15.00, 60.00, 7.50, 200_000, "2024-12-17", "2025-06"),
    _oa("o3-mini", 1.10, 4.40, 0.55, 200_000, "2025-01-31", "2025-06"),
    _oa("o3", 10.00, 40.00, 2.50, 200_000, "2025-04-16", "2025-05", "launch price"),
    _oa("o3", 2.00, 8.00, 0.50, 200_000, "2025-06-10", "2025-06", "price cut of 2025-06-10"),
    _oa("o4-mini", 1.10, 4.40, 0.275, 200_000, "2025-04-16", "2025-06"),
    _oa("gpt-4-turbo", 10.00, 30.00, None, 128_000, "2024-04-09", "2025-06"),
    _oa("gpt-3.5-turbo", 0.50, 1.50, None, 16_385, "2024-01-25", "2025-06", "gpt-3.5-turbo-0125"),
    _oa("text-embedding-3-small", 0.02, 0.0, None, 8_191, "2024-01-25", "2025-06", "embeddings: input only"),
    _oa("text-embedding-3-large", 0.13, 0.0, None, 8_191, "2024-01-25", "2025-06", "embeddings: input only"),
    # Anthropic (also the on-demand price of the same models on Amazon Bedrock and Google Vertex AI,
    # whose model ids are normalised to these names).
    _an("claude-opus-4", 15.00, 75.00, 200_000, "2025-05-22", "2025-08"),
    _an("claude-opus-4-1", 15.00, 75.00, 200_000, "2025-08-05", "2025-08"),
    _an("claude-opus-4-5", 5.00, 25.00, 200_000, "2025-11-24", "2025-11"),
    _an("claude-sonnet-4", 3.00, 15.00, 200_000, "2025-05-22", "2025-08"),
    _an("claude-sonnet-4-5", 3.00, 15.00, 200_000, "2025-09-29", "2025-10"),
    _an("claude-haiku-4-5", 1.00, 5.00, 200_000, "2025-10-15", "2025-10"),
    _an("claude-3-7-sonnet", 3.00, 15.00, 200_000, "2025-02-24", "2025-06"),
    _an("claude-3-5-sonnet", 3.00, 15.00, 200_000, "2024-06-20", "2025-06"),
    _an("claude-3-5-haiku", 0.80, 4.00, 200_000, "2024-11-04", "2025-06"),
    _an("claude-3-opus", 15.00, 75.00, 200_000, "2024-03-04", "2025-06"),
    _an("claude-3-haiku", 0.25, 1.25, 200_000, "2024-03-13", "2025-06"),
    # Google Gemini API (paid tier, text input). Thinking tokens are billed as output.
    _gg("gemini-2.5-pro", 1.25, 10.00, 1_048_576, "2025-06-17", "2025-07",
        "prompts up to 200k tokens; longer prompts cost 2.50 / 15.00 (not modelled: override if you send them)"),
    _gg("gemini-2.5-flash", 0.30, 2.50, 1_048_576, "2025-06-17", "2025-07", "text/image/video input"),
    _gg("gemini-2.5-flash-lite", 0.10, 0.40, 1_048_576, "2025-07-22", "2025-07", "text/image/video input"),
    _gg("gemini-2.0-flash", 0.10, 0.40, 1_048_576, "2025-02-05", "2025-07", "text/image/video input"),
)

# Floating names → the dated snapshot they served when ``checked`` (provider model pages).
ALIASES: Final[dict[str, str]] = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-5": "gpt-5-2025-08-07",
    "gpt-5-mini": "gpt-5-mini-2025-08-07",
    "gpt-5-nano": "gpt-5-nano-2025-08-07",
    "o1": "o1-2024-12-17",
    "o3": "o3-2025-04-16",
    "o3-mini": "o3-mini-2025-01-31",
    "o4-mini": "o4-mini-2025-04-16",
    "gpt-4-turbo": "gpt-4-turbo-2024-04-09",
    "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
    "claude-opus-4-0": "claude-opus-4-20250514",
    "claude-opus-4-1": "claude-opus-4-1-20250805",
    "claude-opus-4-5": "claude-opus-4-5-20251101",
    "claude-sonnet-4-0": "claude-sonnet-4-20250514",
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
    "claude-3-5-sonnet-latest": "claude-3-5-sonnet-20241022",
    "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
    "claude-3-opus-latest": "claude-3-opus-20240229",
    "gemini-2.0-flash": "gemini-2.0-flash-001",
    "gemini-1.5-pro": "gemini-1.5-pro-002",
    "gemini-1.5-flash": "gemini-1.5-flash-002",
}

# Provider spellings of one model id: ``openai/gpt-4o`` (LiteLLM, OpenRouter), Bedrock's
# ``us.anthropic.claude-3-5-sonnet-20240620-v1:0``, Vertex AI's ``claude-3-5-sonnet-v2@20241022``,
# Gemini's ``models/gemini-2.0-flash``.
_PREFIX: Final = re.compile(r"^(?:(?:openai|anthropic|google|gemini|vertex_ai|bedrock|azure|openrouter)/|models/)+")
_BEDROCK: Final = re.compile(r"^(?:(?:us|eu|apac|global)\.)?(?:anthropic|meta|amazon|mistral|cohere|ai21)\.(.+?)"
                             r"(?:-v\d+(?::\d+)?)?$")
_VERTEX: Final = re.compile(r"^(.+?)(?:-v\d+)?@(\d{8})$")
# A dated or numbered snapshot: -2024-08-06, -20240620, -0125/-0613, -001, @20241022, Bedrock -v1:0.
_SNAPSHOT: Final = re.compile(r"(?:-\d{4}-\d{2}-\d{2}|-\d{8}|-\d{4}|-\d{3}|@\d{8}|-v\d+:\d+)$")


@functools.lru_cache(maxsize=4096)
def normalise(model: str) -> str:
    """The table's spelling of a provider's model id (prefixes, Bedrock and Vertex forms removed)."""
    name = _PREFIX.sub("", model.strip()).lower()
    bedrock = _BEDROCK.match(name)
    if bedrock:
        name = bedrock.group(1)
    vertex = _VERTEX.match(name)
    if vertex:
        name = f"{vertex.group(1)}-{vertex.group(2)}"
    return name


@functools.lru_cache(maxsize=4096)
def is_floating(model: str) -> bool:
    """True when ``model`` names a moving target (an alias or ``...-latest``) rather than a dated snapshot.

    Known aliases come from ``ALIASES``; any name containing ``latest`` floats. A name that is neither
    (a fine-tune, a local model) is not flagged: we cannot know.
    """
    lowered = model.strip().lower()
    if "latest" in lowered:
        return True
    name = normalise(model)
    if _SNAPSHOT.search(name) or _SNAPSHOT.search(lowered):
        return False
    return name in ALIASES
