"""Span dicts for tests: small, valid, and easy to vary."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

BASE_US = 1_776_247_200_000_000  # 2026-04-15T10:00:00Z
_counter = itertools.count()


def new_id() -> str:
    return str(uuid.uuid4())


def span(trace_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A finished chain span; a root of a new trace unless ``trace_id``/``parent_id`` say otherwise."""
    span_id = fields.pop("id", None) or new_id()
    start = fields.pop("start_time", BASE_US + next(_counter) * 1000)
    data: dict[str, Any] = {
        "id": span_id, "trace_id": trace_id or span_id, "name": "step", "run_type": "chain",
        "start_time": start, "end_time": start + 500 if isinstance(start, int) else None,
        "inputs": {"question": "where is my order?"}, "outputs": {"answer": "it ships tomorrow"},
    }
    data.update(fields)
    return data


def tree(size: int = 4, **root_fields: Any) -> list[dict[str, Any]]:
    """A root and ``size - 1`` tool children in one trace and project; other fields go on the root only."""
    root = span(name="agent", **root_fields)
    start = root["start_time"]
    children = [
        span(root["trace_id"], parent_id=root["id"], name=f"tool_{index}", run_type="tool",
             start_time=start + 10 + index * 100, end_time=start + 90 + index * 100,
             project=root.get("project", "default"))
        for index in range(size - 1)
    ]
    root["end_time"] = start + 100 * size
    return [root, *children]
