"""The trace page's data: waterfall rows on one time axis, totals, and the selected span's detail.

Pure functions over the store's depth-first ``TreeNode`` list; ``context.py`` fetches, these shape.
Rows are small flat dicts; a span's full payloads are only in ``span_detail``, built for the one span
shown in the detail panel.

A trace of more than ``VIRTUAL_ABOVE`` spans is not rendered row by row: the page carries the first
``INITIAL_ROWS`` rows as HTML (something to read before the script runs) and every row as one compact
JSON array (``waterfall_json``), and ``trace_tree.js`` renders only the rows in view. A 10,000-span
page is then ~1 MB lighter and the browser lays out a screenful of rows instead of 10,000.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import msgspec
from markupsafe import Markup

from tracehound.errors import NotFound
from tracehound.model import Span
from tracehound.query.timing import critical_span_ids, parallel_span_ids
from tracehound.store.base import TreeNode
from tracehound.ui.charts import bar, time_axis
from tracehound.ui.formatting import duration

VIRTUAL_ABOVE = 400
INITIAL_ROWS = 60
# Flag bits of a row in ``waterfall_json`` (trace_tree.js reads the same bits).
ERROR, CRITICAL, PARALLEL, HAS_CHILDREN = 1, 2, 4, 8


def trace_totals(spans: Sequence[Span]) -> dict[str, Any]:
    """Span, error, token and cost totals; tokens count LLM spans only, so parents do not double them."""
    llm_tokens = sum(span.total_tokens or 0 for span in spans if span.run_type == "llm")
    return {
        "span_count": len(spans),
        "error_count": sum(span.status == "error" for span in spans),
        "total_tokens": llm_tokens or sum(span.total_tokens or 0 for span in spans if span.is_root),
        "cost": sum(span.cost or 0.0 for span in spans),
        "run_types": dict(sorted(Counter(span.run_type for span in spans).items())),
    }


def waterfall_rows(nodes: Sequence[TreeNode], origin_us: int, span_us: int) -> list[dict[str, Any]]:
    """One row per span, depth first: indent, bar geometry, run type, status, critical and parallel marks."""
    spans = [node.span for node in nodes]
    on_path = critical_span_ids(spans)
    parallel = parallel_span_ids(spans)
    rows = []
    count = len(nodes)
    for index, node in enumerate(nodes):
        span = node.span
        start, end = span.start_time, span.end_time
        left, width = bar(start, end, origin_us=origin_us, span_us=span_us)  # type: ignore[arg-type]
        rows.append({
            "id": span.id, "name": span.name, "run_type": span.run_type, "status": span.status,
            "depth": node.depth, "has_children": index + 1 < count and nodes[index + 1].depth > node.depth,
            "left": left, "width": width,
            "duration_us": None if end is None else end - start,  # type: ignore[operator]
            "offset_us": start - origin_us,  # type: ignore[operator]
            "critical": span.id in on_path, "parallel": span.id in parallel,
        })
    return rows


def waterfall_json(rows: Sequence[dict[str, Any]]) -> Markup:
    """Every row as ``[id, name, run_type, flags, depth, left, width, duration]``, safe inside ``<script>``."""
    data = [[row["id"], row["name"], row["run_type"],
             (row["status"] == "error") * ERROR | row["critical"] * CRITICAL | row["parallel"] * PARALLEL
             | row["has_children"] * HAS_CHILDREN,
             row["depth"], row["left"], row["width"], duration(row["duration_us"])] for row in rows]
    # "<" escaped so no name can close the script element; JSON.parse reads \u003c back as "<".
    return Markup(msgspec.json.encode(data).decode().replace("<", "\\u003c"))


def span_detail(span: Span) -> dict[str, Any]:
    """Everything the detail panel shows for one span (the API form plus µs times)."""
    data = span.to_api()
    data["start_us"] = span.start_us
    data["duration_us"] = None if span.end_us is None else span.end_us - span.start_us
    return data


def trace_view(nodes: Sequence[TreeNode], selected_id: str | None = None) -> dict[str, Any]:
    """The whole trace page context; the root (first node) is selected when no span is asked for.

    Raises:
        NotFound: ``selected_id`` is not a span of this trace.
    """
    spans = [node.span for node in nodes]
    root = spans[0]
    origin = min(span.start_us for span in spans)
    end = max(span.end_us if span.end_us is not None else span.start_us for span in spans)
    duration_us = max(end - origin, 1)
    selected = root
    if selected_id is not None:
        wanted = selected_id.lower()
        found = next((span for span in spans if span.id == wanted), None)
        if found is None:
            raise NotFound(f"no span {selected_id} in trace {root.trace_id}")
        selected = found
    rows = waterfall_rows(nodes, origin, duration_us)
    return {
        "trace_id": root.trace_id,
        "root": {"id": root.id, "name": root.name, "run_type": root.run_type, "status": root.status,
                 "project": root.project, "session_id": root.session_id, "user_id": root.user_id},
        "start_us": origin,
        "duration_us": duration_us,
        **trace_totals(spans),
        "critical_count": sum(row["critical"] for row in rows),
        "axis": [{"pct": tick.pct, "label": tick.label} for tick in time_axis(duration_us)],
        "rows": rows,
        "virtual": len(rows) > VIRTUAL_ABOVE,  # the page renders the rows in view only (trace_tree.js)
        "initial_rows": INITIAL_ROWS,
        "selected_id": selected.id,
        "selected": span_detail(selected),
    }
