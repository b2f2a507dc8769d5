"""Tracehound's own explicit keys (``tracehound.*``): overrides that beat every other convention.

An OTel-instrumented app can set them to say exactly what it means::

    span.set_attribute("tracehound.run_type", "retriever")
    span.set_attribute("tracehound.inputs", json.dumps({"query": q}))
"""

from __future__ import annotations

from typing import Any, Final

from tracehound.ingest.otlp.conventions.base import Convention, SpanView
from tracehound.ingest.otlp.values import as_str_list, parse_json, wrap
from tracehound.model import RUN_TYPES

CONVENTION: Final = Convention(name="tracehound", prefixes=("tracehound.",))


def run_type(view: SpanView) -> str | None:
    kind = view.get("tracehound.run_type")
    return kind.lower() if isinstance(kind, str) and kind.lower() in RUN_TYPES else None


def name(view: SpanView) -> str | None:
    return view.get("tracehound.name")


def inputs(view: SpanView) -> Any:
    value = view.get("tracehound.inputs")
    return wrap(parse_json(value), "input") if value is not None else None


def outputs(view: SpanView) -> Any:
    value = view.get("tracehound.outputs")
    return wrap(parse_json(value), "output") if value is not None else None


def tags(view: SpanView) -> list[str]:
    return as_str_list(view.get("tracehound.tags"))


def user_metadata(view: SpanView) -> dict[str, Any] | None:
    value = parse_json(view.get("tracehound.metadata"))
    return value if isinstance(value, dict) else None
