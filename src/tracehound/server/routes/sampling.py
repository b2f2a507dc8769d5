"""Counts of spans dropped by tail sampling: SDKs post them, metrics read them."""

from __future__ import annotations

import msgspec
from fastapi import APIRouter, Depends, Request

from tracehound.errors import InvalidSpan, MalformedRequest
from tracehound.server import access
from tracehound.server.body import read_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.timefmt import parse_iso_us

router = APIRouter()


class DroppedRow(msgspec.Struct, forbid_unknown_fields=False):
    minute_us: int
    project: str
    run_type: str
    name: str
    spans: int
    model: str = ""
    status: str = "ok"
    traces: int = 0


class DroppedBatch(msgspec.Struct):
    dropped: list[DroppedRow]


@router.post("/api/v1/sampling/dropped", response_class=FastJSON)
async def add_dropped(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Add per-minute counts of spans an SDK dropped: ``{"dropped": [{minute_us, project, run_type, name,
    model, status, spans, traces}]}``."""
    body = await read_body(request, svc.settings.max_request_bytes)
    try:
        batch = msgspec.json.decode(body, type=DroppedBatch)
    except msgspec.ValidationError as exc:
        raise InvalidSpan(f"dropped counts: {exc}", field="dropped") from None
    except msgspec.DecodeError as exc:
        raise MalformedRequest(f"malformed JSON: {exc}") from None
    rows = [msgspec.structs.asdict(row) for row in batch.dropped if row.spans > 0]
    access.check_ingest(row["project"] for row in rows)
    svc.spans.dropped.add_dropped(rows)
    return FastJSON({"accepted": len(rows)})


@router.get("/api/v1/sampling/dropped", response_class=FastJSON)
def list_dropped(project: str | None = None, start: str | None = None, end: str | None = None,
                 svc: Services = Depends(services)) -> FastJSON:
    """Dropped counts per minute; ``start``/``end`` are ISO-8601 times (end exclusive)."""
    rows = svc.spans.dropped.dropped_counts(
        project, None if start is None else parse_iso_us(start), None if end is None else parse_iso_us(end))
    return FastJSON({"dropped": rows, "spans": sum(r["spans"] for r in rows), "traces": sum(r["traces"] for r in rows)})
