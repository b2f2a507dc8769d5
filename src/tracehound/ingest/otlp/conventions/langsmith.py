"""LangSmith's OTel attributes: ``langsmith.span.kind``, ``langsmith.metadata.*``, comma-separated tags.

Note ``langsmith.trace.session_id``/``session_name`` name a LangSmith *project*, not a chat thread;
threads are the metadata keys ``session_id``/``thread_id``/``conversation_id``. Whole inputs and
outputs come as JSON in ``gen_ai.prompt``/``gen_ai.completion`` (no index).
"""

from __future__ import annotations

from typing import Any, Final

from tracehound.ingest.otlp.conventions.base import Convention, SpanView
from tracehound.ingest.otlp.values import as_str_list, parse_json, wrap
from tracehound.model import RUN_TYPES

CONVENTION: Final = Convention(
    name="langsmith",
    keys=frozenset({"gen_ai.prompt", "gen_ai.completion"}),
    prefixes=("langsmith.",),
)
_OWN_KEYS: Final = {
    "langsmith.span.id": "span_id", "langsmith.span.parent_id": "parent_id",
    "langsmith.span.dotted_order": "dotted_order", "langsmith.trace.id": "trace_id",
    "langsmith.trace.session_id": "project_id", "langsmith.trace.session_name": "project",
    "langsmith.usage_metadata": "usage_metadata",
}


def run_type(view: SpanView) -> str | None:
    kind = view.get("langsmith.span.kind")
    if isinstance(kind, str) and kind.lower() in RUN_TYPES:
        return kind.lower()
    return None


def name(view: SpanView) -> str | None:
    return view.get("langsmith.trace.name")


def inputs(view: SpanView) -> Any:
    value = view.get("gen_ai.prompt")
    return wrap(parse_json(value), "input") if value is not None else None


def outputs(view: SpanView) -> Any:
    value = view.get("gen_ai.completion")
    return wrap(parse_json(value), "output") if value is not None else None


def tags(view: SpanView) -> list[str]:
    return as_str_list(view.get("langsmith.span.tags"), sep=",")


def user_metadata(view: SpanView) -> dict[str, Any] | None:
    return view.collect("langsmith.metadata.") or None


def metadata(view: SpanView) -> dict[str, Any] | None:
    found = {field: parse_json(view.attrs[key]) for key, field in _OWN_KEYS.items() if key in view.attrs}
    return {"langsmith": found} if found else None
