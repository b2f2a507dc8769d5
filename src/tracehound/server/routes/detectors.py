"""``/api/v1/detectors/*``: list the detectors, run one on demand, read saved (and scheduled) results."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from tracehound.analytics import detectors
from tracehound.errors import MalformedRequest
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

router = APIRouter()


@router.get("/api/v1/detectors", response_class=FastJSON)
def list_detectors(svc: Services = Depends(services)) -> FastJSON:
    """Every detector: name, description, parameters with defaults; and the schedule, if any."""
    scheduler = getattr(svc, "detector_scheduler", None)
    return FastJSON({"detectors": detectors.describe(),
                     "schedule": {"interval_s": svc.settings.detect_interval_s,
                                  "detectors": scheduler.plan if scheduler and scheduler.interval_s > 0 else {}}})


@router.post("/api/v1/detectors/{name}/run", response_class=FastJSON)
async def run_detector(name: str, request: Request, save: bool = False,
                       svc: Services = Depends(services)) -> FastJSON:
    """Run a detector now. The body is its parameters (``project``, ``window`` or ``start``/``end``, lists…);
    ``?save=true`` keeps the result in the history."""
    raw = await request.body()
    try:
        body: Any = {} if not raw.strip() else await request.json()
    except ValueError:
        raise MalformedRequest("the body must be a JSON object of parameters") from None
    if not isinstance(body, dict):
        raise MalformedRequest("the body must be a JSON object of parameters")
    result = await run_in_threadpool(detectors.run, name, svc.spans, body)
    answer = result.to_dict()
    if save:
        answer["id"] = svc.detector_results.save(result)
    return FastJSON(answer)


@router.get("/api/v1/detectors/results", response_class=FastJSON)
def detector_results(detector: str | None = None, limit: int = 50, fired: bool = False,
                     svc: Services = Depends(services)) -> FastJSON:
    """Saved results, newest first (``fired=true``: only those with findings)."""
    return FastJSON({"results": svc.detector_results.list(detector, limit=limit, fired_only=fired)})
