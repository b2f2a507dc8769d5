"""Checking a price override from the API, CLI or UI, and listing the prices in force.

    override = parse_override({"project": "support", "model": "my-ft", "input": 0.3, "output": 1.2})

Every entry point (``PUT /api/v1/prices/overrides``, ``tracehound prices set``, the prices page's form)
goes through ``parse_override``, so a bad value is refused the same way everywhere, naming its field.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any, Final

from tracehound.errors import QueryError
from tracehound.model import MAX_ID_CHARS
from tracehound.sdk.prices import ALIASES, PRICES, PriceRow
from tracehound.store.base import PriceOverride
from tracehound.timefmt import iso

MAX_PRICE_USD: Final = 100_000.0  # per million tokens: far above any list price, below nonsense


def _price(body: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = body.get(name)
    if value is None:
        if required:
            raise QueryError(f"`{name}` (USD per million tokens) is required", field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise QueryError(f"`{name}` must be a number (USD per million tokens)", field=name)
    if not 0 <= value <= MAX_PRICE_USD:
        raise QueryError(f"`{name}` must be between 0 and {MAX_PRICE_USD:g}", field=name)
    return float(value)


def _text(body: dict[str, Any], name: str, *, default: str | None = None, limit: int = MAX_ID_CHARS) -> str | None:
    value = body.get(name, default)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise QueryError(f"`{name}` must be a non-empty string of at most {limit} characters", field=name)
    return value.strip()


def parse_override(body: dict[str, Any]) -> PriceOverride:
    """A ``PriceOverride`` from a JSON-like dict.

    Raises:
        QueryError: naming the field that is missing or wrong.
    """
    project = _text(body, "project", default="*")
    model = _text(body, "model")
    if model is None:
        raise QueryError("`model` is required", field="model")
    effective = _text(body, "effective", default="2000-01-01", limit=10)
    assert project is not None and effective is not None
    try:
        date.fromisoformat(effective)
    except ValueError:
        raise QueryError(f"`effective` must be an ISO date like 2025-06-10, not {effective!r}",
                         field="effective") from None
    window = body.get("context_window")
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window <= 0):
        raise QueryError("`context_window` must be a positive integer", field="context_window")
    return PriceOverride(project, model, effective, _price(body, "input", required=True) or 0.0,
                         _price(body, "output", required=True) or 0.0,
                         _price(body, "cached_input", required=False), _price(body, "cache_write", required=False),
                         _price(body, "reasoning", required=False), window, _text(body, "source", limit=2000),
                         _text(body, "note", limit=2000))


def row_dict(row: PriceRow) -> dict[str, Any]:
    """One shipped row as the API and docs show it."""
    return {"provider": row.provider, "model": row.model, "input": row.input, "output": row.output,
            "cached_input": row.cached_input, "cache_write": row.cache_write, "reasoning": row.reasoning,
            "context_window": row.context_window, "effective": row.effective, "checked": row.checked,
            "source": row.source, "note": row.note or None}


def override_dict(override: PriceOverride) -> dict[str, Any]:
    return {"project": override.project, "model": override.model, "effective": override.effective,
            "input": override.input, "output": override.output, "cached_input": override.cached_input,
            "cache_write": override.cache_write, "reasoning": override.reasoning,
            "context_window": override.context_window, "source": override.source, "note": override.note,
            "updated_at": iso(override.updated_us) if override.updated_us else None}


def table() -> dict[str, Any]:
    """The shipped table and its aliases (floating name → snapshot)."""
    return {"prices": [row_dict(row) for row in PRICES],
            "aliases": [{"alias": alias, "snapshot": snapshot} for alias, snapshot in sorted(ALIASES.items())]}


def _usd(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def prices_markdown() -> str:
    """The shipped table as the Markdown of ``docs/pricing.md`` (a test keeps the page in step)."""
    lines = ["| provider | model | input | cached input | cache write | output | context | effective | checked"
             " | source | note |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in PRICES:
        lines.append(f"| {row.provider} | `{row.model}` | {_usd(row.input)} | {_usd(row.cached_input)} |"
                     f" {_usd(row.cache_write)} | {_usd(row.output)} | {row.context_window or '—'} | {row.effective} |"
                     f" {row.checked} | {row.source} | {row.note} |")
    lines += ["", "| floating alias | snapshot it served when checked |", "|---|---|"]
    lines += [f"| `{alias}` | `{snapshot}` |" for alias, snapshot in sorted(ALIASES.items())]
    return "\n".join(lines) + "\n"
