"""The dashboard of one project over a time window: tools, latency, tokens, cost, steps, runs per bucket.

Tool figures come from rollups (``analytics.metrics.summary``: O(buckets)); per-run distributions from
the runs of the window (``run_rows``). Geometry comes from ``ui/charts.py``.
"""

from __future__ import annotations

from typing import Any, Final

from tracehound.analytics import metrics
from tracehound.analytics.metrics import Window
from tracehound.errors import QueryError
from tracehound.store.base import MetaStore, SpanStore
from tracehound.timefmt import iso
from tracehound.ui.charts import histogram, nice_ceiling, percent, stacked_columns

# Window -> column width of the runs chart, so every window shows 12-48 columns.
WINDOWS: Final = {"1h": "5m", "6h": "15m", "24h": "1h", "7d": "6h", "30d": "1d"}


def _histogram(values: list[float]) -> list[dict[str, Any]]:
    return [{"low": b.low, "high": b.high, "count": b.count, "x": b.x, "width": b.width, "height": b.height}
            for b in histogram(values)]


def dashboard_context(spans: SpanStore, meta: MetaStore, project: str | None = None, window: str = "24h",
                      end: str | None = None) -> dict[str, Any]:
    """Charts for ``project`` (every project when ``None``) over the last ``window`` (ending at ``end``).

    Raises:
        QueryError: a window not offered by the picker, or an ``end`` that is not ISO-8601.
    """
    if window not in WINDOWS:
        raise QueryError(f"window must be one of {', '.join(WINDOWS)}", field="window")
    win = Window.parse(window, None, end)
    bucket = WINDOWS[window]
    bucket_us = metrics.parse_duration_us(bucket)
    scope: dict[str, Any] = {"project": project} if project else {}

    tools = metrics.summary(spans, win, group_by=("name",), filters={**scope, "run_type": "tool"})
    latency_top = nice_ceiling(max((tool["p99_ms"] or 0 for tool in tools), default=0))
    tool_rows = [{
        "name": tool["name"], "calls": tool["calls"], "errors": tool["errors"],
        "success_rate": tool["success_rate"], "success_pct": percent(tool["success_rate"], 1),
        "p50_ms": tool["p50_ms"], "p95_ms": tool["p95_ms"], "p99_ms": tool["p99_ms"],
        "p50_pct": percent(tool["p50_ms"], latency_top), "p95_pct": percent(tool["p95_ms"], latency_top),
        "p99_pct": percent(tool["p99_ms"], latency_top),
    } for tool in tools]

    counts: dict[int, dict[str, int]] = {}
    for point in metrics.timeseries(spans, win, bucket_us, group_by=("status",), filters={**scope, "root": True}):
        bucket_counts = counts.setdefault(point["bucket_start_us"], {"ok": 0, "error": 0})
        bucket_counts["error" if point["status"] == "error" else "ok"] += point["calls"]
    first = win.start_us // bucket_us * bucket_us
    points = [(at, (counts.get(at, {}).get("ok", 0), counts.get(at, {}).get("error", 0)))
              for at in range(first, win.end_us, bucket_us)]
    columns = stacked_columns(points)

    runs = metrics.run_rows(spans, win, project=project)
    body = metrics.run_metrics(spans, win, project=project)
    return {
        "project": project, "projects": [p.name for p in meta.list_projects()], "window": window,
        "windows": list(WINDOWS), "bucket": bucket, "end": end,
        "start_us": win.start_us, "end_us": win.end_us, "start_time": iso(win.start_us), "end_time": iso(win.end_us),
        "runs": body["runs"], "succeeded": body["succeeded"], "failed": body["failed"],
        "tools": tool_rows, "latency_top_ms": latency_top,
        "runs_per_bucket": {
            "top": nice_ceiling(max((sum(values) for _, values in points), default=0)),
            "columns": [{"start_us": c.label_us, "x": c.x, "width": c.width, "ok": c.values[0],
                         "error": c.values[1], "ok_y": c.parts[0][0], "ok_h": c.parts[0][1],
                         "error_y": c.parts[1][0], "error_h": c.parts[1][1]} for c in columns],
        },
        "tokens_per_run": {**body["tokens_per_run"], "bins": _histogram([run["tokens"] for run in runs])},
        "steps_per_run": {**body["steps_per_run"], "bins": _histogram([run["steps"] for run in runs])},
        "cost_per_run": {**body["cost_per_run"], "bins": _histogram([run["cost"] for run in runs])},
        "cost_per_task": {**body["cost_per_task"], "tasks": body["tasks"][:10]},
    }
