"""``GET /api/v1/projects`` and ``GET /healthz``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

import tracehound
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.timefmt import iso

router = APIRouter()


@router.get("/api/v1/projects", response_class=FastJSON)
def list_projects(svc: Services = Depends(services)) -> FastJSON:
    return FastJSON({"projects": [
        {"name": p.name, "created_at": iso(p.created_us), "description": p.description, "metadata": p.metadata}
        for p in svc.meta.list_projects()
    ]})


@router.get("/healthz", response_class=FastJSON)
def healthz(svc: Services = Depends(services)) -> FastJSON:
    """Liveness plus what an operator checks first: is the writer keeping up."""
    return FastJSON({"status": "ok", "version": tracehound.__version__,
                     "committed_spans": svc.pipeline.committed_spans, "commits": svc.pipeline.commits})
