"""``/api/v1/prices*``: the shipped price table, per-project overrides, unpriced models, re-pricing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from tracehound.analytics.metrics import Window
from tracehound.errors import MalformedRequest, NotFound, QueryError
from tracehound.ingest import price_overrides
from tracehound.ingest.repricing import reprice
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.timefmt import iso

router = APIRouter()


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise MalformedRequest("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise MalformedRequest("the body must be a JSON object")
    return body


@router.get("/api/v1/prices", response_class=FastJSON)
def list_prices(project: str | None = None, svc: Services = Depends(services)) -> FastJSON:
    """The shipped table (with source and date per row), its aliases, and the overrides (of one project)."""
    return FastJSON({**price_overrides.table(), "overrides": [
        price_overrides.override_dict(o) for o in svc.meta.prices.list_overrides(project)]})


@router.put("/api/v1/prices/overrides", response_class=FastJSON)
async def put_override(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Add or replace a project's price for a model (``project`` ``*`` = every project); applies to new spans."""
    override = svc.meta.prices.set_override(price_overrides.parse_override(await _json(request)))
    svc.pipeline.enricher.reload()
    return FastJSON(price_overrides.override_dict(override))


@router.delete("/api/v1/prices/overrides", response_class=FastJSON)
def delete_override(model: str, project: str = "*", effective: str | None = None,
                    svc: Services = Depends(services)) -> FastJSON:
    deleted = svc.meta.prices.delete_override(project, model, effective)
    if not deleted:
        raise NotFound(f"no override for {model!r} in project {project!r}")
    svc.pipeline.enricher.reload()
    return FastJSON({"deleted": deleted})


@router.get("/api/v1/prices/unpriced", response_class=FastJSON)
def unpriced(window: str | None = "7d", start: str | None = None, end: str | None = None,
             project: str | None = None, svc: Services = Depends(services)) -> FastJSON:
    """Models llm spans used with tokens but no price (cost stays null, never a silent 0)."""
    win = Window.parse(window, start, end)
    return FastJSON({"window": {"start": iso(win.start_us), "end": iso(win.end_us)}, "models": [
        {"project": m.project, "model": m.model, "spans": m.spans, "total_tokens": m.total_tokens,
         "first_seen": iso(m.first_us), "last_seen": iso(m.last_us)}
        for m in svc.costs.unpriced_models(win.start_us, win.end_us, project)]})


@router.post("/api/v1/prices/reprice", response_class=FastJSON)
async def reprice_window(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Re-price a past window with today's table and overrides (``dry_run`` to only count)."""
    body = await _json(request)
    for key in ("window", "start", "end", "project", "model"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise QueryError(f"`{key}` must be a string", field=key)
    win = Window.parse(body.get("window"), body.get("start"), body.get("end"))
    svc.pipeline.enricher.reload()
    result = reprice(svc.costs, svc.pipeline.enricher.pricer, win.start_us, win.end_us,
                     project=body.get("project"), model=body.get("model"),
                     include_sdk=bool(body.get("include_sdk")), dry_run=bool(body.get("dry_run")))
    return FastJSON({"window": {"start": iso(win.start_us), "end": iso(win.end_us)}, **result.to_dict()})
