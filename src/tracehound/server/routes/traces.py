"""``GET /api/v1/traces/{trace_id}``: a whole trace tree, depth first."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tracehound.errors import NotFound
from tracehound.server import access
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

router = APIRouter()


@router.get("/api/v1/traces/{trace_id}", response_class=FastJSON)
def get_trace(trace_id: str, svc: Services = Depends(services)) -> FastJSON:
    nodes = svc.spans.get_trace(trace_id.lower())
    if not nodes or not access.current().sees(nodes[0].span.project):
        raise NotFound(f"no trace with id {trace_id}")
    spans = []
    for node in nodes:
        data = node.span.to_api()
        data["depth"] = node.depth
        spans.append(data)
    return FastJSON({"trace_id": trace_id.lower(), "span_count": len(spans), "spans": spans})
