"""Run listing: a filtered, ordered page of spans with a cursor that survives concurrent ingest.

    page = list_runs(store, RunQuery(project=["support"], filter='and(eq(run_type, "tool"), gt(latency, 5))'))
    page = list_runs(store, RunQuery(..., cursor=page.cursor))   # next page, same snapshot

Pages are ordered by ``(start_us, seq)``, a total order (``seq`` is the rowid). The first page takes
a snapshot: the highest ``seq`` committed and the ``now`` relative times are measured from. Both
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
from tracehound.query.ast import Node
from tracehound.query.fields import check
from tracehound.query.parser import parse_filter
from tracehound.query.sqlite import compile_filter, trace_condition, uses_search_index
from tracehound.store.payload import decode_payload
from tracehound.store.sqlite.spans import SqliteSpanStore
from tracehound.timefmt import iso, now_us, parse_time_us

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 1000

# Output field → (SQL expression over `s`, how the stored value becomes the API value).
_json_or_none = msgspec.json.decode
OUTPUT_FIELDS: Final[dict[str, tuple[str, Any]]] = {
    "id": ("s.id", None), "trace_id": ("s.trace_id", None), "parent_id": ("s.parent_id", None),
    "dotted_order": ("s.dotted_order", None), "project": ("s.project", None), "session_id": ("s.session_id", None),
    "user_id": ("s.user_id", None), "run_type": ("s.run_type", None), "name": ("s.name", None),
    "start_time": ("s.start_us", iso), "end_time": ("s.end_us", iso), "status": ("s.status", None),
    "status_reason": ("s.status_reason", None), "error": ("s.error", decode_payload),
    "inputs": ("s.inputs", decode_payload), "outputs": ("s.outputs", decode_payload),
    "metadata": ("s.metadata", lambda v: _json_or_none(v) if v else {}),
    "tags": ("s.tags", lambda v: _json_or_none(v) if v else []),
    "prompt_tokens": ("s.prompt_tokens", None), "completion_tokens": ("s.completion_tokens", None),
    "total_tokens": ("s.total_tokens", None), "cost": ("s.cost", None),
    "cost_details": ("s.cost_details", lambda v: _json_or_none(v) if v else None), "model": ("s.model", None),
    "step": ("s.step", None), "reference_example_id": ("s.reference_example_id", None),
    "events": ("s.events", lambda v: decode_payload(v) or []),
    "latency_s": ("(s.end_us - s.start_us) / 1e6", None), "is_root": ("s.parent_id IS NULL", bool),
}
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


def list_runs(store: SqliteSpanStore, query: RunQuery) -> RunPage:
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
        snapshot_seq, now = cursor.max_seq, cursor.now_us
    else:
        cursor = None
        snapshot_seq, now = store.read_sql("SELECT coalesce(max(seq), 0) FROM spans", ())[0][0], now_us()

    where, params = compile_query(query, now, store)
    where.insert(0, "s.seq <= ?")
    params.insert(0, snapshot_seq)
    if cursor is not None:
        older = query.order == "desc"
        where.append(f"s.start_us {'<=' if older else '>='} ? AND (s.start_us {'<' if older else '>'} ?"
                     f" OR s.seq {'<' if older else '>'} ?)")
        params.extend((cursor.start_us, cursor.start_us, cursor.seq))
    direction = "DESC" if query.order == "desc" else "ASC"
    # Keys first, columns after: a sort (a search's matches ordered by time) then moves two integers
    # per candidate instead of whole rows, and only the page's rows are read in full.
    keys = store.read_sql(f"SELECT s.start_us, s.seq FROM spans AS s WHERE {' AND '.join(where)}"
                          f" ORDER BY s.start_us {direction}, s.seq {direction} LIMIT ?", [*params, query.limit + 1])
    more = len(keys) > query.limit
    keys = keys[: query.limit]
    runs = _fetch(store, [seq for _, seq in keys], select)
    next_cursor = None
    if more:
        last = keys[-1]
        next_cursor = _encode_cursor(_Cursor(last[0], last[1], snapshot_seq, now, digest))
    return RunPage(runs, next_cursor)


def compile_query(query: RunQuery, now: int, store: SqliteSpanStore) -> tuple[list[str], list[Any]]:
    """The ``WHERE`` conditions for a query (without snapshot and cursor) and their values.

    When a filter reads the full-text index, the index is caught up first, so a search sees every
    committed span.
    """
    where: list[str] = []
    params: list[Any] = []
    projects = _as_list(query.project)
    if projects:
        where.append("s.project = ?" if len(projects) == 1 else f"s.project IN ({', '.join('?' * len(projects))})")
        params.extend(projects)
    run_types = _as_list(query.run_type)
    if run_types:
        where.append(f"s.run_type IN ({', '.join('?' * len(run_types))})")
        params.extend(run_types)
    if query.is_root is not None:
        where.append(f"s.parent_id IS {'' if query.is_root else 'NOT '}NULL")
    for name, bound, op in (("start_time", query.start_time, ">="), ("end_time", query.end_time, "<")):
        if bound is not None:
            where.append(f"s.start_us {op} ?")
            params.append(_time(bound, now, name))
    filters = [(name, parse_checked(text, now, name))
               for name, text in (("filter", query.filter), ("trace_filter", query.trace_filter),
                                  ("tree_filter", query.tree_filter))
               if text and text.strip()]
    is_common = None
    if any(uses_search_index(node) for _, node in filters):
        store.search_index.catch_up()
        is_common = store.search_index.is_common
    for name, node in filters:
        if name == "filter":
            where.append(compile_filter(node, "s", params, is_common=is_common))
        else:
            where.append(trace_condition(node, "s", params, roots_only=name == "trace_filter", is_common=is_common))
    return where, params


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


def _fetch(store: SqliteSpanStore, seqs: list[int], select: tuple[str, ...]) -> list[dict[str, Any]]:
    """The selected fields of the spans with these rowids, in the given order."""
    if not seqs:
        return []
    columns = ", ".join(OUTPUT_FIELDS[name][0] for name in select)
    rows = store.read_sql(f"SELECT s.seq, {columns} FROM spans AS s WHERE s.seq IN ({', '.join('?' * len(seqs))})",
                          seqs)
    by_seq = {row[0]: row[1:] for row in rows}
    return [_run(by_seq[seq], select) for seq in seqs if seq in by_seq]


def _run(values: tuple[Any, ...], select: tuple[str, ...]) -> dict[str, Any]:
    run = {}
    for name, value in zip(select, values, strict=True):
        convert = OUTPUT_FIELDS[name][1]
        run[name] = convert(value) if convert is not None and value is not None else value
    if "events" in run and run["events"] is None:
        run["events"] = []
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
