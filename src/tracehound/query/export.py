"""Bulk export: every span for a filter and window, page by page, as span records (JSONL or Parquet).

A record is the span model's JSON (``tracehound.model.Span``: what ``POST /api/v1/spans`` accepts),
so ``tracehound import`` and any ingest path read it back unchanged. With ``traces=True`` the export
holds whole traces: every span of each trace that has a matching span (found in a first pass, then
read trace by trace, so a trace is never cut by the window). Spans are read through the run listing
(``list_runs``: the filter language, snapshot cursors), so ingest during an export neither duplicates
nor skips rows, and memory stays one page.

    for record in export_records(store, ExportQuery(projects=["shop"], filter='eq(status, "error")')):
        ...
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tracehound.model import Span
from tracehound.query.runs import RunQuery, list_runs
from tracehound.store.base import SpanStore

FIELDS: Final = Span.__struct_fields__
PAGE: Final = 1000
_TRACES_PER_READ: Final = 50
_EMPTY: Final = {"metadata": {}, "tags": [], "events": []}


@dataclass(frozen=True, slots=True)
class ExportQuery:
    """What to export. ``projects=None`` means every project; times are ISO-8601 or relative (``-24h``)."""

    projects: Sequence[str] | None = None
    filter: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    traces: bool = False
    roots: bool = False  # match root spans only (then ``traces`` exports the listed traces)


def export_records(store: SpanStore, query: ExportQuery, page: int = PAGE) -> Iterator[dict[str, Any]]:
    """Span records in start order.

    Raises:
        FilterSyntaxError, QueryError: a bad filter or time (before anything is yielded).
    """
    projects = list(query.projects) if query.projects is not None else None
    if projects == []:
        return
    base = RunQuery(project=projects, filter=query.filter, start_time=query.start_time, end_time=query.end_time,
                    is_root=True if query.roots else None, select=["trace_id"] if query.traces else list(FIELDS),
                    order="asc", limit=page)
    if not query.traces:
        yield from (_record(run) for run in _pages(store, base))
        return
    seen: dict[str, None] = {}
    for run in _pages(store, base):
        seen.setdefault(run["trace_id"], None)
    trace_ids = list(seen)
    for start in range(0, len(trace_ids), _TRACES_PER_READ):
        chunk = trace_ids[start:start + _TRACES_PER_READ]
        terms = ", ".join(f'"{trace_id}"' for trace_id in chunk)  # UUIDs from the store: no quoting needed
        spans = RunQuery(project=projects, filter=f"in(trace_id, [{terms}])", select=list(FIELDS), order="asc",
                         limit=page)
        yield from (_record(run) for run in _pages(store, spans))


def _pages(store: SpanStore, query: RunQuery) -> Iterator[dict[str, Any]]:
    while True:
        found = list_runs(store, query)
        yield from found.runs
        if found.cursor is None:
            return
        query = RunQuery(**{**{field: getattr(query, field) for field in query.__struct_fields__},
                            "cursor": found.cursor})


def _record(run: dict[str, Any]) -> dict[str, Any]:
    """A listing row as a span record: model fields only, empty collections instead of nulls."""
    record = {field: run.get(field) for field in FIELDS}
    for field, empty in _EMPTY.items():
        if record[field] is None:
            record[field] = type(empty)()
    return {field: value for field, value in record.items() if value is not None}
