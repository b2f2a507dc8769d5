"""LangSmith feedback: ``POST /feedback``, ``GET /feedback``, ``GET``/``PATCH``/``DELETE /feedback/{id}``.

Stored in our feedback store, keyed by run id, so the filter language (``feedback_key`` /
``feedback_score``) and experiments see it. Feedback may arrive before its run (it is stored anyway;
never a 404, which the SDK would retry for minutes). Feedback on a whole experiment (summary
evaluators send no ``run_id``) is keyed by the experiment's id. LangSmith-only fields (correction,
session, source metadata, extra) travel in ``source_info``. Source types: ``model`` is our
``evaluator``, ``app`` our ``user``, anything else ``api``.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from tracehound.errors import MalformedRequest, NotFound
from tracehound.server.langsmith._params import query_list
from tracehound.server.langsmith.bodies import json_object
from tracehound.server.langsmith.state import LangSmithState, langsmith_state
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.base import Feedback
from tracehound.timefmt import iso, now_us, parse_iso_us

router = APIRouter()
_SOURCES: Final = {"model": "evaluator", "app": "user", "api": "api"}
_KEPT: Final = ("correction", "session_id", "extra", "error", "comparative_experiment_id", "feedback_group_id",
                "start_time", "feedback_config")


def _time(value: Any, default: int) -> int:
    try:
        return parse_iso_us(str(value).replace("Z", "+00:00")) if value else default
    except ValueError:
        return default


def to_feedback(body: dict[str, Any]) -> Feedback:
    """LangSmith's feedback JSON as our ``Feedback``.

    Raises:
        MalformedRequest: no ``key``.
    """
    key = body.get("key")
    if not isinstance(key, str) or not key:
        raise MalformedRequest("feedback needs a `key`", field="key")
    source = body.get("feedback_source") if isinstance(body.get("feedback_source"), dict) else {}
    stamp = now_us()
    run_id = body.get("run_id") or body.get("session_id") or body.get("comparative_experiment_id") or ""
    info = {name: body[name] for name in _KEPT if body.get(name) is not None}
    info["feedback_source"] = source
    info["modified_at"] = body.get("modified_at") or iso(stamp)
    if not body.get("run_id"):
        info["project_level"] = True
    score = body.get("score")
    if isinstance(score, bool):
        score = float(score)
    return Feedback(id=str(body.get("id") or uuid.uuid4()).lower(), run_id=str(run_id).lower(), key=key,
                    created_us=_time(body.get("created_at"), stamp),
                    score=score if isinstance(score, int | float) else None, value=body.get("value"),
                    comment=body.get("comment"), source=_SOURCES.get(str(source.get("type")), "api"),
                    source_info=info, trace_id=str(body["trace_id"]).lower() if body.get("trace_id") else None)


def feedback_record(item: Feedback) -> dict[str, Any]:
    """Our feedback as LangSmith's ``Feedback`` (``run_id`` and ``trace_id`` always present)."""
    info = item.source_info
    return {
        "id": item.id, "created_at": iso(item.created_us), "modified_at": info.get("modified_at") or
        iso(item.created_us), "run_id": None if info.get("project_level") else item.run_id,
        "trace_id": item.trace_id, "key": item.key, "score": item.score, "value": item.value,
        "comment": item.comment, "correction": info.get("correction"),
        "feedback_source": info.get("feedback_source") or {"type": "api", "metadata": {}},
        "session_id": info.get("session_id"), "start_time": info.get("start_time"), "extra": info.get("extra"),
        "comparative_experiment_id": info.get("comparative_experiment_id"),
        "feedback_group_id": info.get("feedback_group_id"),
    }


@router.post("/feedback")
async def create_feedback(request: Request, svc: Services = Depends(services),
                          state: LangSmithState = Depends(langsmith_state)) -> FastJSON:
    """Store one feedback (``Client.create_feedback`` when not queued into the trace stream)."""
    from tracehound.server.langsmith.ingest import experiments_of_feedback

    item = to_feedback(await json_object(request, svc.settings.max_request_bytes))
    await run_in_threadpool(svc.feedback.add_feedback, [item])
    svc.loop.on_feedback([item])
    touched = await run_in_threadpool(experiments_of_feedback, state, [item])
    if touched:
        state.sync.touch(touched)
    return FastJSON(feedback_record(item))


@router.get("/feedback")
def list_feedback(request: Request, limit: int = 100, offset: int = 0, svc: Services = Depends(services)) -> FastJSON:
    """``?run=&run=&key=&source=&session=&limit=&offset=``, offset-paged."""
    params = request.query_params
    runs = [run.lower() for run in query_list(params, "run")]
    keys = set(query_list(params, "key"))
    sources = {_SOURCES.get(s, s) for s in query_list(params, "source")}
    sessions = set(query_list(params, "session"))
    items = svc.feedback.list_feedback(run_ids=runs or None, key=next(iter(keys)) if len(keys) == 1 else None,
                                       limit=1_000_000 if keys or sources or sessions else offset + limit)
    items = [item for item in items if (not keys or item.key in keys) and (not sources or item.source in sources)
             and (not sessions or str(item.source_info.get("session_id")) in sessions)]
    return FastJSON([feedback_record(item) for item in items[offset:offset + limit]])


@router.get("/feedback/{feedback_id}")
def read_feedback(feedback_id: str, svc: Services = Depends(services)) -> FastJSON:
    return FastJSON(feedback_record(_require(svc, feedback_id)))


@router.patch("/feedback/{feedback_id}")
async def update_feedback(feedback_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Change score, value, comment or correction; null fields are left unchanged."""
    body = await json_object(request, svc.settings.max_request_bytes)
    item = await run_in_threadpool(_require, svc, feedback_id)
    info = dict(item.source_info)
    if body.get("correction") is not None:
        info["correction"] = body["correction"]
    info["modified_at"] = iso(now_us())
    changes = {name: body[name] for name in ("score", "value", "comment") if body.get(name) is not None}
    updated = Feedback(**{**{f: getattr(item, f) for f in Feedback.__dataclass_fields__}, **changes,
                          "source_info": info})
    await run_in_threadpool(svc.feedback.add_feedback, [updated])
    return FastJSON(feedback_record(updated))


@router.delete("/feedback/{feedback_id}")
def delete_feedback(feedback_id: str, svc: Services = Depends(services)) -> FastJSON:
    if not svc.feedback.delete_feedback(feedback_id.lower()):
        raise NotFound(f"no feedback with id {feedback_id}")
    return FastJSON({})


def _require(svc: Services, feedback_id: str) -> Feedback:
    item = svc.feedback.get_feedback(feedback_id.lower())
    if item is None:
        raise NotFound(f"no feedback with id {feedback_id}")
    return item
