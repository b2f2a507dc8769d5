"""Scores on runs: ``POST /api/v1/feedback`` (one or many), ``GET /api/v1/feedback``, ``DELETE``.

Users' signals use plain keys: ``thumbs`` (score 1 or 0), ``csat`` (score 1 to 5), ``resolution``
(value ``resolved`` or ``escalated``); a reviewer's score has ``source: "human"``.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import msgspec
from fastapi import APIRouter, Depends, Request

from tracehound.errors import NotFound
from tracehound.server.decode import InvalidRequest, convert, json_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.base import Feedback
from tracehound.timefmt import iso, now_us

router = APIRouter()


class FeedbackBody(msgspec.Struct, forbid_unknown_fields=True):
    run_id: str
    key: str
    score: float | None = None
    value: Any = None
    comment: str | None = None
    source: Literal["evaluator", "user", "human", "api"] = "api"
    source_info: dict[str, Any] = {}
    trace_id: str | None = None
    id: str | None = None


class FeedbackBatch(msgspec.Struct, forbid_unknown_fields=True):
    feedback: list[FeedbackBody]


def feedback_record(item: Feedback) -> dict[str, Any]:
    return {"id": item.id, "run_id": item.run_id, "trace_id": item.trace_id, "key": item.key, "score": item.score,
            "value": item.value, "comment": item.comment, "source": item.source, "source_info": item.source_info,
            "created_at": iso(item.created_us)}


def to_feedback(body: FeedbackBody, stamp: int) -> Feedback:
    if not body.key or len(body.key) > 256:
        raise InvalidRequest("`key` must be 1 to 256 characters", field="key")
    if body.score is None and body.value is None:
        raise InvalidRequest("feedback needs a `score` or a `value`", field="score")
    return Feedback(id=body.id or str(uuid.uuid4()), run_id=body.run_id.lower(), key=body.key, created_us=stamp,
                    score=body.score, value=body.value, comment=body.comment, source=body.source,
                    source_info=body.source_info, trace_id=body.trace_id)


@router.post("/api/v1/feedback", response_class=FastJSON, status_code=201)
async def create_feedback(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """One item (``{run_id, key, score...}``) or many (``{"feedback": [...]}``)."""
    raw = await json_body(request, Any, svc.settings.max_request_bytes)  # type: ignore[arg-type]
    body = convert(raw, FeedbackBatch if isinstance(raw, dict) and "feedback" in raw else FeedbackBody)
    bodies: list[FeedbackBody] = body.feedback if isinstance(body, FeedbackBatch) else [body]  # type: ignore[list-item]
    stamp = now_us()
    items = [to_feedback(item, stamp) for item in bodies]
    svc.feedback.add_feedback(items)
    svc.loop.on_feedback(items)  # thumbs down and low CSAT fill failure pools
    if isinstance(body, FeedbackBatch):
        return FastJSON({"feedback": [feedback_record(item) for item in items]}, status_code=201)
    return FastJSON(feedback_record(items[0]), status_code=201)


@router.get("/api/v1/feedback", response_class=FastJSON)
def list_feedback(run_id: str | None = None, key: str | None = None, source: str | None = None, limit: int = 1000,
                  svc: Services = Depends(services)) -> FastJSON:
    items = svc.feedback.list_feedback(run_ids=None if run_id is None else [run_id.lower()], key=key, source=source,
                                       limit=limit)
    return FastJSON({"feedback": [feedback_record(item) for item in items]})


@router.delete("/api/v1/feedback/{feedback_id}", response_class=FastJSON)
def delete_feedback(feedback_id: str, svc: Services = Depends(services)) -> FastJSON:
    if not svc.feedback.delete_feedback(feedback_id):
        raise NotFound(f"no feedback with id {feedback_id}")
    return FastJSON({"deleted": feedback_id})
