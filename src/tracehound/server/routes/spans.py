"""Native ingest (``POST /api/v1/spans``) and single-span reads."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from tracehound.errors import NotFound, PayloadTooLarge
from tracehound.model import decode_batch
from tracehound.server import access
from tracehound.server.body import read_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

router = APIRouter()


@router.post("/api/v1/spans", response_class=FastJSON)
async def ingest_spans(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Store a batch of spans; answers only once they are committed. The batch is atomic."""
    body = await read_body(request, svc.settings.max_request_bytes)
    spans = decode_batch(body)
    limit = svc.settings.max_spans_per_request
    if len(spans) > limit:
        raise PayloadTooLarge(f"{len(spans)} spans in one request; the limit is {limit}", limit=limit, field="spans")
    access.check_ingest(span.project for span in spans)
    await svc.pipeline.submit(spans)
    return FastJSON({"accepted": len(spans)})


@router.get("/api/v1/spans/{span_id}", response_class=FastJSON)
def get_span(span_id: str, svc: Services = Depends(services)) -> FastJSON:
    span = svc.spans.get_span(span_id.lower())
    if span is None or not access.current().sees(span.project):
        raise NotFound(f"no span with id {span_id}")
    return FastJSON(span.to_api())
