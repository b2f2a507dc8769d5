"""Run listing: a filtered, ordered page of spans with a cursor that survives concurrent ingest.

    page = list_runs(store, RunQuery(project=["support"], filter='and(eq(run_type, "tool"), gt(latency, 5))'))
    page = list_runs(store, RunQuery(..., cursor=page.cursor))   # next page, same snapshot

Pages are ordered by ``(start_us, position)``, a total order (``store.runs.RunKey``). The first page
takes a snapshot: the store's high-water mark (``spans.runs.high_water``) and the ``now`` relative
times are measured from. Both
travel in the cursor, so spans ingested while a client pages are simply not part of the listing,
and a ``-24h`` window does not slide between pages: paging is complete and duplicate-free.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, Final, Literal

import msgspec

from tracehound.errors import QueryError
from tracehound.query.fields import check
from tracehound.query.parser import parse_filter
from tracehound.store.base import SpanStore
from tracehound.store.filter_ast import Node
from tracehound.store.runs import RUN_FIELDS, RunKey, RunSelection
from tracehound.timefmt import iso, now_us, parse_time_us

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 1000

# Output field → the store's run field (``store.runs.RUN_FIELDS``); times are formatted as ISO-8601 here.
OUTPUT_FIELDS: Final[tuple[str, ...]] = RUN_FIELDS
_TIMES: Final = ("start_time", "end_time")
PAYLOAD_FIELDS: Final = ("inputs", "outputs", "events")
DEFAULT_SELECT: Final = tuple(name for name in OUTPUT_FIELDS if name not in PAYLOAD_FIELDS)


class RunQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/runs/query``; every field narrows, the default lists everything."""

    project: str | list[str] | None = None
    run_type: str | list[str] | None = None
    filter: str | None = None
    trace_filter: str | None = None
    tree_filter: str | None = None
    is_root: bool | None = None
    start_time: str | None = None  # ISO-8601 or relative ("-24h"); inclusive bound on start_time
    end_time: str | None = None  # exclusive bound on start_time
    select: list[str] | None = None
    order: Literal["desc", "asc"] = "desc"
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class RunPage:
    runs: list[dict[str, Any]]
    cursor: str | None

    def to_api(self) -> dict[str, Any]:
        return {"runs": self.runs, "cursor": self.cursor}


class _Cursor(msgspec.Struct, array_like=True):
    start_us: int
    seq: int
    max_seq: int
    now_us: int
    digest: str


def list_runs(store: SpanStore, query: RunQuery) -> RunPage:
    """One page of runs matching ``query``, newest first unless ``order="asc"``.

    Raises:
        FilterSyntaxError: a filter does not parse (position and what was expected).
        QueryError: an unknown field or select name, a bad time, a limit over ``MAX_LIMIT``, or a
            cursor from another query.
    """
    if not 1 <= query.limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    select = _select(query.select)
    digest = _digest(query)
    if query.cursor:
        cursor = _decode_cursor(query.cursor, digest)
        snapshot, now = cursor.max_seq, cursor.now_us
        after = RunKey(cursor.start_us, cursor.seq)
    else:
        snapshot, now, after = store.runs.high_water(), now_us(), None
    found = store.runs.page(selection(query, now), fields=select, order=query.order, limit=query.limit + 1,
                            mark=snapshot, after=after)
    more = len(found) > query.limit
    found = found[: query.limit]
    runs = [_api(run) for _, run in found]
    next_cursor = None
    if more:
        last = found[-1][0]
        next_cursor = _encode_cursor(_Cursor(last.start_us, last.position, snapshot, now, digest))
    return RunPage(runs, next_cursor)


def selection(query: RunQuery, now: int) -> RunSelection:
    """What a query selects (without snapshot and cursor), its filters parsed and checked against ``now``."""
    bounds = {name: _time(bound, now, name) for name, bound in (("start_time", query.start_time),
                                                                ("end_time", query.end_time)) if bound is not None}
    trees = {name: parse_checked(text, now, name) if text and text.strip() else None
             for name, text in (("filter", query.filter), ("trace_filter", query.trace_filter),
                                ("tree_filter", query.tree_filter))}
    return RunSelection(projects=tuple(_as_list(query.project)), run_types=tuple(_as_list(query.run_type)),
                        is_root=query.is_root, start_us=bounds.get("start_time"), end_us=bounds.get("end_time"),
                        filter=trees["filter"], trace_filter=trees["trace_filter"],
                        tree_filter=trees["tree_filter"])


def parse_checked(text: str, now: int, field: str = "filter") -> Node:
    """Parse and check one filter (the two steps every caller wants together)."""
    return check(parse_filter(text, field=field), now_us=now, field=field)


def _select(names: list[str] | None) -> tuple[str, ...]:
    if names is None:
        return DEFAULT_SELECT
    unknown = [name for name in names if name not in OUTPUT_FIELDS]
    if unknown:
        raise QueryError(f"cannot select {', '.join(map(repr, unknown))}; fields: {', '.join(OUTPUT_FIELDS)}",
                         field="select")
    return tuple(dict.fromkeys(names))


def _api(run: dict[str, Any]) -> dict[str, Any]:
    for name in _TIMES:
        if name in run and run[name] is not None:
            run[name] = iso(run[name])
    return run


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _time(text: str, now: int, field: str) -> int:
    try:
        return parse_time_us(text, now=now)
    except ValueError:
        raise QueryError(f"{text[:40]!r} is not an ISO-8601 or relative time (\"-24h\")", field=field) from None


def _digest(query: RunQuery) -> str:
    """What the cursor must belong to: everything that decides membership and order."""
    key = msgspec.json.encode([query.project, query.run_type, query.filter, query.trace_filter, query.tree_filter,
                               query.is_root, query.start_time, query.end_time, query.order])
    return hashlib.blake2b(key, digest_size=8).hexdigest()


def _encode_cursor(cursor: _Cursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).decode().rstrip("=")


def _decode_cursor(text: str, digest: str) -> _Cursor:
    try:
        cursor = msgspec.json.decode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), type=_Cursor)
    except (ValueError, msgspec.DecodeError):
        raise QueryError("the cursor is not one this server issued", field="cursor") from None
    if cursor.digest != digest:
        raise QueryError("the cursor belongs to a different query; send the same filters with it", field="cursor")
    return cursor
