"""The shipped price table: lookup by snapshot, alias and provider spelling; dated prices; no double counting."""

from __future__ import annotations

import pytest

from tracehound.sdk.prices import ALIASES, PRICES, PriceRow, is_floating, normalise
from tracehound.sdk.pricing import SHIPPED, PriceBook, compute, day_us, price_of


def test_every_row_says_where_and_when_it_came_from() -> None:
    for row in PRICES:
        assert row.source.startswith("https://") and row.checked, row
        assert day_us(row.effective) > 0 and row.input >= 0 and row.output >= 0
    # Every alias floats and names a pinned snapshot; the snapshot prices like its alias (when priced at all).
    for alias, snapshot in ALIASES.items():
        assert is_floating(alias) and not is_floating(snapshot), alias
        assert SHIPPED.find(alias) == SHIPPED.find(snapshot), alias


@pytest.mark.parametrize(("model", "table_name"), [
    ("gpt-4o-2024-11-20", "gpt-4o"), ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"), ("openai/gpt-4.1-mini", "gpt-4.1-mini"),
    ("o3-mini-2025-01-31", "o3-mini"), ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"), ("us.anthropic.claude-3-5-sonnet-20240620-v1:0",
                                                          "claude-3-5-sonnet"),
    ("anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"),
    ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"),
    ("models/gemini-2.0-flash-001", "gemini-2.0-flash"), ("GPT-4o", "gpt-4o"),
])
def test_snapshots_and_provider_spellings_find_their_family(model: str, table_name: str) -> None:
    row = SHIPPED.find(model)
    assert row is not None and row.model == table_name


def test_a_name_that_is_not_a_snapshot_of_a_family_stays_unpriced() -> None:
    # o1-mini is not o1 (a tenth of the price): unknown beats wrong.
    assert SHIPPED.find("o1-mini") is None and SHIPPED.find("gpt-4o-audio-preview") is None
    assert SHIPPED.find("llama-3.1-8b-instruct") is None


def test_an_own_snapshot_row_beats_the_family_and_a_price_change_applies_from_its_day() -> None:
    assert SHIPPED.find("gpt-4o-2024-05-13").input == 5.00  # type: ignore[union-attr]
    assert SHIPPED.find("gpt-4o-2024-08-06").input == 2.50  # type: ignore[union-attr]
    before, after = day_us("2025-06-01"), day_us("2025-06-10")
    assert SHIPPED.find("o3", before).input == 10.00  # type: ignore[union-attr]
    assert SHIPPED.find("o3-2025-04-16", after).input == 2.00  # type: ignore[union-attr]
    book = PriceBook([PriceRow("x", "m", 1.0, 2.0, effective="2026-01-01")])
    assert book.find("m", day_us("2025-01-01")).input == 1.0  # type: ignore[union-attr]  # before: earliest known


def test_cached_and_reasoning_tokens_are_charged_once() -> None:
    price = price_of(SHIPPED.find("gpt-4o"))  # type: ignore[arg-type]
    usd, details = compute(price, 1_000_000, 1_000_000, cached_tokens=400_000, reasoning_tokens=250_000)
    assert details == pytest.approx({"input": 1.5, "cached_input": 0.5, "output": 7.5, "reasoning": 2.5})
    assert usd == pytest.approx(12.0)
    # Details larger than their totals are clamped: never a negative class, never more than the total.
    usd, details = compute(price, 100, 10, cached_tokens=500, reasoning_tokens=50, cache_write_tokens=10)
    assert min(details.values()) >= 0 and details.get("cache_write") is None
    claude = price_of(SHIPPED.find("claude-sonnet-4"))  # type: ignore[arg-type]
    usd, details = compute(claude, 1_000_000, 0, cached_tokens=200_000, cache_write_tokens=300_000)
    assert details == pytest.approx({"input": 1.5, "output": 0.0, "cached_input": 0.06, "cache_write": 1.125})


@pytest.mark.parametrize(("model", "floating"), [
    ("gpt-4o", True), ("gpt-4o-2024-08-06", False), ("claude-3-5-sonnet-latest", True),
    ("claude-3-5-sonnet-20241022", False), ("claude-sonnet-4-5", True), ("o3", True), ("gpt-3.5-turbo-0125", False),
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", False), ("my-finetune", False), ("gemini-2.0-flash", True),
    ("gemini-2.0-flash-001", False), ("chatgpt-4o-latest", True),
])
def test_floating_aliases_are_told_from_pinned_snapshots(model: str, floating: bool) -> None:
    assert is_floating(model) is floating


def test_normalise_strips_provider_spellings() -> None:
    assert normalise("us.anthropic.claude-3-7-sonnet-20250219-v1:0") == "claude-3-7-sonnet-20250219"
    assert normalise("openrouter/openai/gpt-4o") == "gpt-4o"


def test_the_docs_list_every_shipped_price_with_its_source_and_date() -> None:
    from pathlib import Path

    from tracehound.ingest.price_overrides import prices_markdown

    page = (Path(__file__).resolve().parents[2] / "docs" / "pricing.md").read_text()
    assert page.endswith(prices_markdown()), "regenerate the table at the end of docs/pricing.md"
    for row in PRICES:
        assert f"`{row.model}` | " in page and row.source in page
