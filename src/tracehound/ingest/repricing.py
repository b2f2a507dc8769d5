"""Re-price stored llm spans over a past window after a price change (``tracehound prices reprice``).

    result = reprice(costs, pricer, start_us, end_us, project="support")

A span is re-priced when its cost came from the price table or an override (``metadata.cost_source``
``table:...``/``project:...``) or it has no cost yet; a cost the source reported
(``cost_source = "reported"``, LangSmith's ``total_cost``) is never touched, and costs our SDK
computed are re-priced only with ``include_sdk=True``. Rollups follow in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracehound.ingest.enrich import Pricer
from tracehound.ingest.usage import details_from_metadata
from tracehound.sdk.pricing import compute, price_of
from tracehound.store.base import CostStore, UsageRow

PAGE = 5000


@dataclass(slots=True)
class RepriceResult:
    """What a re-pricing run looked at and changed."""

    scanned: int = 0
    repriced: int = 0
    unchanged: int = 0
    skipped_reported: int = 0
    unpriced: dict[str, int] = field(default_factory=dict)  # model → spans still without a price
    cost_before: float = 0.0
    cost_after: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"scanned": self.scanned, "repriced": self.repriced, "unchanged": self.unchanged,
                "skipped_reported": self.skipped_reported, "unpriced": self.unpriced,
                "cost_before": round(self.cost_before, 9), "cost_after": round(self.cost_after, 9)}


def _eligible(row: UsageRow, include_sdk: bool) -> bool:
    source = row.metadata.get("cost_source")
    if row.cost is None:
        return True
    if isinstance(source, str):
        return source.startswith(("table:", "project:"))
    return include_sdk


def reprice(costs: CostStore, pricer: Pricer, start_us: int, end_us: int, *, project: str | None = None,
            model: str | None = None, include_sdk: bool = False, dry_run: bool = False) -> RepriceResult:
    """Recompute cost for the window's llm/embedding spans with today's table and overrides.

    Args:
        costs: the span store's cost side.
        pricer: the prices to apply (shipped table plus the overrides loaded into it).
        start_us, end_us: the window (span start times, end exclusive).
        project, model: narrow to one project / model id.
        include_sdk: also re-price costs our SDK computed (they carry no ``cost_source``).
        dry_run: count and sum, change nothing.
    """
    result = RepriceResult()
    after = ""
    while True:
        rows = costs.usage_rows(start_us, end_us, project, model, after_id=after, limit=PAGE)
        if not rows:
            break
        after = rows[-1].id
        updates: list[tuple[str, float | None, dict[str, float] | None, dict[str, Any]]] = []
        for row in rows:
            result.scanned += 1
            result.cost_before += row.cost or 0.0
            if not _eligible(row, include_sdk):
                result.skipped_reported += 1
                result.cost_after += row.cost or 0.0
                continue
            found = pricer.find(row.project, row.model, row.start_us)
            if found is None:
                result.unpriced[row.model] = result.unpriced.get(row.model, 0) + 1
                result.cost_after += row.cost or 0.0
                continue
            price_row, origin = found
            details = details_from_metadata(row.metadata)
            usd, breakdown = compute(price_of(price_row), row.prompt_tokens, row.completion_tokens,
                                     details.get("cache_read", 0), details.get("reasoning", 0),
                                     details.get("cache_write", 0))
            result.cost_after += usd
            source = f"{origin}:{price_row.model}@{price_row.effective}"
            if row.cost is not None and abs(row.cost - usd) < 1e-12 and row.metadata.get("cost_source") == source:
                result.unchanged += 1
                continue
            result.repriced += 1
            updates.append((row.id, usd, breakdown, {**row.metadata, "cost_source": source}))
        if updates and not dry_run:
            costs.set_costs(updates)
        if len(rows) < PAGE:
            break
    return result
