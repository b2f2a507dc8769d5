"""Spans to ClickHouse rows and back, and the merge of a re-sent span with the stored one.

A row is a tuple in ``COLUMNS`` order. Payloads (inputs, outputs, error, events) and the JSON
objects (metadata, cost_details) are JSON text, ``""`` when absent: the column codec (ZSTD)
compresses them, and plain text is what the token indexes for full-text search read.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from tracehound.model import Span
from tracehound.store.payload import DEFAULT_CAP_BYTES, truncation_marker
from tracehound.store.sketch import bin_of

COLUMNS: Final = (
    "id", "trace_id", "parent_id", "dotted_order", "project", "session_id", "user_id", "run_type", "name",
    "start_us", "end_us", "status", "status_reason", "error", "inputs", "outputs", "metadata", "tags",
    "prompt_tokens", "completion_tokens", "total_tokens", "cost", "cost_details", "model", "step",
    "reference_example_id", "events", "ingested_us",
)
INSERT_COLUMNS: Final = (*COLUMNS, "version", "is_deleted")
SELECT: Final = ", ".join(COLUMNS[:-1])
COL: Final = {name: index for index, name in enumerate(COLUMNS)}
DELTA_COLUMNS: Final = ("start_us", "project", "run_type", "name", "model", "status", "root", "bin", "n",
                        "prompt_tokens", "completion_tokens", "total_tokens", "cost_nusd", "latency_us")
_ROLLUP_FIELDS: Final = tuple(COL[name] for name in ("start_us", "end_us", "project", "run_type", "name", "model",
                                                   "status", "parent_id", "prompt_tokens", "completion_tokens",
                                                   "total_tokens", "cost"))
# Text columns where "" means "not given" (payloads and JSON objects), as NULL does elsewhere.
_TEXT_ABSENT: Final = frozenset(COL[name] for name in ("dotted_order", "error", "inputs", "outputs", "metadata",
                                                     "cost_details", "events"))
_encode = msgspec.json.encode
_decode = msgspec.json.decode


def payload_text(value: Any, cap_bytes: int = DEFAULT_CAP_BYTES) -> str:
    """A payload as stored: JSON text, replaced by a truncation marker over the cap, ``""`` for none."""
    if value is None:
        return ""
    raw = _encode(value)  # a msgspec.Raw (model.WireSpan) encodes to its bytes unchanged
    if raw == b"null":
        return ""
    if len(raw) > cap_bytes:
        raw = _encode(truncation_marker(raw))
    return raw.decode("utf-8", "replace")


def load(text: str | None, default: Any = None) -> Any:
    return _decode(text) if text else default


def to_row(span: Span, ingested_us: int, cap_bytes: int) -> tuple[Any, ...]:
    return (
        span.id, span.trace_id, span.parent_id, span.dotted_order or "", span.project, span.session_id,
        span.user_id, span.run_type, span.name, span.start_time, span.end_time, span.status, span.status_reason,
        payload_text(span.error, cap_bytes), payload_text(span.inputs, cap_bytes),
        payload_text(span.outputs, cap_bytes),
        _encode(span.metadata).decode() if span.metadata else "",
        list(span.tags) if span.tags else [],
        span.prompt_tokens, span.completion_tokens, span.total_tokens, span.cost,
        _encode(span.cost_details).decode() if span.cost_details else "",
        span.model, span.step, span.reference_example_id,
        payload_text(span.events, cap_bytes) if span.events else "",
        ingested_us,
    )


def to_span(row: tuple[Any, ...]) -> Span:
    """A row selected with ``SELECT`` back into a ``Span``."""
    (sid, trace_id, parent_id, dotted_order, project, session_id, user_id, run_type, name, start_us, end_us,
     status, status_reason, error, inputs, outputs, metadata, tags, prompt_tokens, completion_tokens,
     total_tokens, cost, cost_details, model, step, reference_example_id, events) = row[:27]
    return Span(
        id=str(sid), trace_id=str(trace_id), parent_id=str(parent_id) if parent_id else None,
        dotted_order=dotted_order or None, project=project, session_id=session_id, user_id=user_id,
        run_type=run_type, name=name, start_time=start_us, end_time=end_us, status=status,
        status_reason=status_reason, error=load(error), inputs=load(inputs), outputs=load(outputs),
        metadata=load(metadata, {}), tags=list(tags), prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens, total_tokens=total_tokens, cost=cost,
        cost_details=load(cost_details), model=model, step=step,
        reference_example_id=str(reference_example_id) if reference_example_id else None, events=load(events, []),
    )


def merge(old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...]:
    """A re-sent span merged with the stored one, as SQLite's ``ON CONFLICT`` merge does.

    Values given win, values not given are kept; a final status is never taken back to ``running``;
    metadata objects merge (RFC 7396, like SQLite's ``json_patch``); tags are united; the stored
    ``trace_id`` and first ``ingested_us`` stay; name, run type, start and project are the new ones.
    """
    merged = list(new)
    for index, value in enumerate(new):
        if value is None or (value == "" and index in _TEXT_ABSENT):
            merged[index] = old[index]
    merged[COL["trace_id"]] = old[COL["trace_id"]]
    merged[COL["ingested_us"]] = old[COL["ingested_us"]]
    if new[COL["status"]] == "running" and old[COL["status"]] != "running":
        merged[COL["status"]] = old[COL["status"]]
    old_meta, new_meta = old[COL["metadata"]], new[COL["metadata"]]
    if old_meta and new_meta:
        merged[COL["metadata"]] = _encode(merge_patch(_decode(old_meta), _decode(new_meta))).decode()
    old_tags, new_tags = old[COL["tags"]], new[COL["tags"]]
    merged[COL["tags"]] = sorted(set(old_tags) | set(new_tags)) if old_tags and new_tags else list(new_tags or old_tags)
    return tuple(merged)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch (what SQLite's ``json_patch`` implements)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def rollup_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The fields a span's rollup contribution depends on (equal keys: no delta needed)."""
    return tuple(row[index] for index in _ROLLUP_FIELDS)


def delta(row: tuple[Any, ...], sign: int) -> tuple[Any, ...] | None:
    """The signed rollup contribution of a finished span (``None`` while it runs)."""
    end_us = row[COL["end_us"]]
    if end_us is None:
        return None
    start_us = row[COL["start_us"]]
    latency = end_us - start_us
    return (start_us, row[COL["project"]], row[COL["run_type"]], row[COL["name"]], row[COL["model"]] or "",
            row[COL["status"]],
            int(row[COL["parent_id"]] is None), bin_of(latency), sign,
            sign * (row[COL["prompt_tokens"]] or 0), sign * (row[COL["completion_tokens"]] or 0),
            sign * (row[COL["total_tokens"]] or 0), sign * round((row[COL["cost"]] or 0) * 1e9), sign * latency)
