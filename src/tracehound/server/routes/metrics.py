"""``/api/v1/metrics/*``: per-group summaries and time series from rollups, per-run distributions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from tracehound.analytics import metrics
from tracehound.analytics.metrics import Window
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

router = APIRouter()
_FILTERS = ("project", "run_type", "name", "model", "status", "root")


def _filters(request: Request) -> dict[str, object]:
    """Dimension filters from the query string; a repeated or comma-separated value means any of them."""
    found: dict[str, object] = {}
    for key in _FILTERS:
        values = [part for value in request.query_params.getlist(key) for part in value.split(",") if part]
        if key == "root" and values:
            found[key] = values[0].lower() in ("1", "true", "yes")
        elif values:
            found[key] = values[0] if len(values) == 1 else values
    return found


def _group_by(text: str | None, default: str = "name") -> tuple[str, ...]:
    return tuple(part for part in (text if text is not None else default).split(",") if part)


def _window(window: str | None, start: str | None, end: str | None) -> dict[str, object]:
    parsed = Window.parse(window, start, end)
    return {"start_us": parsed.start_us, "end_us": parsed.end_us}


@router.get("/api/v1/metrics/summary", response_class=FastJSON)
def metric_summary(request: Request, window: str | None = None, start: str | None = None, end: str | None = None,
                   group_by: str | None = None, svc: Services = Depends(services)) -> FastJSON:
    """Calls, error rate, p50/p95/p99 latency, tokens and cost per group (default: per name) over a window."""
    win = Window.parse(window, start, end)
    rows = metrics.summary(svc.spans, win, group_by=_group_by(group_by), filters=_filters(request))
    return FastJSON({"window": _window(window, start, end), "groups": rows})


@router.get("/api/v1/metrics/timeseries", response_class=FastJSON)
def metric_timeseries(request: Request, window: str | None = None, start: str | None = None,
                      end: str | None = None, bucket: str = "1h", group_by: str | None = None,
                      svc: Services = Depends(services)) -> FastJSON:
    """``summary`` per time bucket (``bucket`` like 5m, 1h, 1d), oldest first."""
    win = Window.parse(window, start, end)
    rows = metrics.timeseries(svc.spans, win, metrics.parse_duration_us(bucket, field="bucket"),
                              group_by=_group_by(group_by, ""), filters=_filters(request))
    return FastJSON({"window": _window(window, start, end), "bucket": bucket, "points": rows})


@router.get("/api/v1/metrics/runs", response_class=FastJSON)
def metric_runs(window: str | None = None, start: str | None = None, end: str | None = None,
                project: str | None = None, agent: str | None = None, task_key: str | None = None,
                svc: Services = Depends(services)) -> FastJSON:
    """Per-run distributions (tokens, cost, steps), cost per task, success/failure, interrupt-and-resume rate."""
    win = Window.parse(window, start, end)
    body = metrics.run_metrics(svc.spans, win, project=project, agent=agent, task_key=task_key)
    return FastJSON({"window": _window(window, start, end), **body})


@router.get("/api/v1/metrics/tokens", response_class=FastJSON)
def metric_tokens(by: str = "model", window: str | None = None, start: str | None = None, end: str | None = None,
                  project: str | None = None, run_type: str = "llm", svc: Services = Depends(services)) -> FastJSON:
    """Tokens per call grouped by model or a metadata key such as ``prompt_version``."""
    win = Window.parse(window, start, end)
    rows = metrics.tokens_by(svc.spans, win, by, project=project, run_type=run_type)
    return FastJSON({"window": _window(window, start, end), "by": by, "groups": rows})


@router.post("/api/v1/metrics/rebuild", response_class=FastJSON)
def metric_rebuild(svc: Services = Depends(services)) -> FastJSON:
    """Recompute every rollup bucket from the raw spans."""
    return FastJSON({"spans": svc.spans.rebuild_rollups()})
