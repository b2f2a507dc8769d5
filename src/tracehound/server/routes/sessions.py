"""``GET /api/v1/sessions/{session_id}``: a conversation's turns with per-turn totals and feedback.

The same context function builds the session page, so the API and the UI cannot disagree.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.ui.context import session_context

router = APIRouter()


@router.get("/api/v1/sessions/{session_id}", response_class=FastJSON)
def get_session(session_id: str, project: str | None = None, svc: Services = Depends(services)) -> FastJSON:
    return FastJSON(session_context(svc.spans, session_id, project, svc.feedback))
