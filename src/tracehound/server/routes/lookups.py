"""The incident look-ups: ``GET /api/v1/lookup``, ``GET /api/v1/triage``, ``GET /api/v1/traces/{id}/critical-path``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tracehound.errors import NotFound
from tracehound.query.lookups import find_traces, since_us, triage
from tracehound.query.timing import timing_report
from tracehound.server import access
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

router = APIRouter()


@router.get("/api/v1/lookup", response_class=FastJSON)
def lookup(session_id: str | None = None, user_id: str | None = None, run_id: str | None = None,
           correlation_id: str | None = None, key: str | None = None, project: str | None = None,
           limit: int = 50, svc: Services = Depends(services)) -> FastJSON:
    """From a support ticket to the traces: by session, user, run id or a correlation id in metadata."""
    traces = find_traces(svc.spans, session_id=session_id, user_id=user_id, run_id=run_id,
                         correlation_id=correlation_id, key=key, project=project, limit=limit)
    return FastJSON({"trace_count": len(traces), "traces": [trace.to_api() for trace in traces]})


@router.get("/api/v1/triage", response_class=FastJSON)
def triage_tool(tool: str, since: str = "-1h", project: str | None = None, last: int = 20,
                svc: Services = Depends(services)) -> FastJSON:
    """Failures of one tool since ``since`` (ISO-8601 or relative, default ``-1h``), grouped by error."""
    report = triage(svc.spans, tool=tool, since_us=since_us(since), project=project, last=last)
    return FastJSON(report.to_api())


@router.get("/api/v1/traces/{trace_id}/critical-path", response_class=FastJSON)
def trace_critical_path(trace_id: str, svc: Services = Depends(services)) -> FastJSON:
    """Which spans the root's duration is made of, and which siblings ran in parallel."""
    nodes = svc.spans.get_trace(trace_id.lower())
    if not nodes or not access.current().sees(nodes[0].span.project):
        raise NotFound(f"no trace with id {trace_id}")
    return FastJSON(timing_report(trace_id.lower(), nodes))
