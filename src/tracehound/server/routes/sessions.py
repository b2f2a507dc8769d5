"""``GET /api/v1/sessions/{session_id}``: a conversation's turns with per-turn totals."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tracehound.errors import NotFound
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.timefmt import iso

router = APIRouter()


@router.get("/api/v1/sessions/{session_id}", response_class=FastJSON)
def get_session(session_id: str, project: str | None = None, svc: Services = Depends(services)) -> FastJSON:
    turns = svc.spans.session_turns(session_id, project)
    if not turns:
        raise NotFound(f"no session with id {session_id}")
    body = []
    for number, turn in enumerate(turns, 1):
        root = turn.root
        body.append({
            "turn": number, "trace_id": root.trace_id, "root_id": root.id, "name": root.name,
            "project": root.project, "user_id": root.user_id, "status": root.status,
            "start_time": iso(root.start_us), "end_time": iso(root.end_us), "latency_s": root.latency_s,
            "inputs": root.inputs, "outputs": root.outputs, "error": root.error,
            "span_count": turn.span_count, "error_count": turn.error_count,
            "total_tokens": turn.total_tokens, "cost": turn.cost,
        })
    return FastJSON({
        "session_id": session_id,
        "turn_count": len(body),
        "total_tokens": sum(turn.total_tokens for turn in turns),
        "cost": sum(turn.cost for turn in turns),
        "error_count": sum(turn.error_count for turn in turns),
        "turns": body,
    })
