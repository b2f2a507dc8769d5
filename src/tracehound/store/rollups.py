"""Protocols for pre-aggregated reads (``spans.rollups``) and sampling-dropped counts (``spans.dropped``).

Rollups are per-minute buckets (merged into hours and days) per dimension tuple, with counts, sums
and a mergeable latency sketch (``store.sketch``: ``{bin: count}``, merged by adding counts). Each
engine keeps them its own way (SQLite: triggers folded at commit; ClickHouse: materialized views);
``analytics.metrics`` only merges what ``buckets`` returns, so the cost is O(buckets), not O(spans).

Sampling-dropped counts are the spans tail sampling did not store, per minute and the same
dimensions minus ``root`` (``traces`` counts the dropped root spans); metrics add them back to
calls and error rates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

MINUTE_US: Final = 60_000_000
HOUR_US: Final = 3_600_000_000
DAY_US: Final = 86_400_000_000
WIDTHS_US: Final = (MINUTE_US, HOUR_US, DAY_US)
DIMENSIONS: Final = ("project", "run_type", "name", "model", "status", "root")

RollupFilters = Mapping[str, Any]
"""Equality filters on ``DIMENSIONS``: a value, or a list/tuple meaning any of them; ``None`` is ignored.
``model`` ``""`` or ``None`` means "no model"; ``root`` is a bool."""


@dataclass(frozen=True, slots=True)
class RollupRow:
    """One bucket's sums. ``model`` is ``""`` for spans without one; ``cost_nusd`` is cost in 1e-9 USD."""

    name: str
    model: str
    status: str
    root: bool
    project: str
    run_type: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_nusd: int
    latency_us: int
    bins: dict[int, int]


@dataclass(frozen=True, slots=True)
class DroppedCount:
    """Spans sampling dropped for one dimension tuple (``root`` split out of the stored ``traces``)."""

    name: str
    model: str
    status: str
    root: bool
    project: str
    run_type: str
    calls: int


class RollupReader(Protocol):
    """Reads of the rollups and of the dropped counts beside them."""

    def buckets(self, start_us: int, end_us: int, filters: RollupFilters) -> list[RollupRow]:
        """Buckets covering ``[start_us, end_us)`` rounded outward to whole minutes, each span counted once.

        Only finished spans are in rollups, keyed by their start time. Rows may repeat a dimension
        tuple (one per bucket read); the caller merges them.

        Raises:
            ValueError: a filter key not in ``DIMENSIONS``.
        """

    def dropped(self, start_us: int, end_us: int, filters: RollupFilters) -> list[DroppedCount]:
        """Dropped counts in the window's minutes (rounded outward), split into root and non-root rows.

        ``filters`` may include ``root`` (only that part is returned); zero counts are left out.
        """

    def dropped_runs(self, start_us: int, end_us: int, *, project: str | None = None,
                     agent: str | None = None) -> dict[str, int]:
        """Dropped root spans per status, in minutes from ``start_us`` (floored) to ``end_us``; ``agent``
        is the root's name."""

    def rebuild(self) -> int:
        """Recompute every bucket from the stored spans (after a repair or an import); returns spans counted."""


class DroppedStore(Protocol):
    """The sampling-dropped counts (``spans.dropped``): SDKs and ingest-side sampling add, metrics read."""

    def add_dropped(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add counts: each row has ``project, minute_us, run_type, name, spans`` and optionally ``model``
        (default ``""``), ``status`` (``"ok"``), ``traces`` (0). ``minute_us`` is floored to the minute;
        rows of an existing key are summed into it (adding is commutative, so nodes may add concurrently)."""

    def dropped_counts(self, project: str | None = None, start_us: int | None = None,
                       end_us: int | None = None) -> list[dict[str, Any]]:
        """Stored counts, oldest minute first (then project, run_type, name): dicts with
        ``project, minute_us, run_type, name, model, status, spans, traces``; ``end_us`` exclusive."""

    def close(self) -> None: ...
