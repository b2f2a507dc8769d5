"""LangSmith annotation queues and presigned feedback, over our review store.

    POST/GET           /annotation-queues                  create_annotation_queue · list_annotation_queues
    GET/PATCH/DELETE   /annotation-queues/{id}             read/update/delete_annotation_queue
    POST               /annotation-queues/{id}/runs        add_runs_to_annotation_queue(run_ids=...)
    POST               /annotation-queues/{id}/runs/by-key add_runs_to_annotation_queue(runs=...)
    DELETE             /annotation-queues/{id}/runs/{run}  delete_run_from_annotation_queue
    GET                /annotation-queues/{id}/run/{index} get_run_from_annotation_queue
    GET                /annotation-queues/{id}/runs        list_runs_from_annotation_queue(status=...)
    POST               /feedback/tokens                    create_presigned_feedback_token(s)
    GET/POST           /feedback/tokens/{id}               the presigned URL; create_feedback_from_token

A queue's rubric items (``feedback_key``, ``description``, ``value_descriptions``) become our rubric
(``key``, ``description``, ``values``). LangSmith's ``needs_my_review`` status is answered for the
reviewer named by the API key's holder, which tracehound does not know here: it means "pending".
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Final

from fastapi import APIRouter, Depends, Request, Response

from tracehound.errors import MalformedRequest, NotFound
from tracehound.evals import review
from tracehound.server.langsmith._params import query_list
from tracehound.server.langsmith.bodies import json_value
from tracehound.server.langsmith.translate import to_run
from tracehound.server.responses import FastJSON
from tracehound.server.routes import reviews as native
from tracehound.server.services import Services, services
from tracehound.store.review import AnnotationQueue
from tracehound.timefmt import iso, parse_iso_us

router = APIRouter()
TENANT: Final = "00000000-0000-0000-0000-000000000000"


def _rubric(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return []
    rubric = []
    for item in items:
        if isinstance(item, dict) and item.get("feedback_key"):
            values = list((item.get("value_descriptions") or {}).keys())
            rubric.append({"key": item["feedback_key"], "description": item.get("description"),
                           **({"values": values} if values else {})})
    return rubric


def _queue_out(queue: AnnotationQueue, details: bool = False) -> dict[str, Any]:
    record: dict[str, Any] = {"id": queue.id, "name": queue.name, "description": queue.description,
                              "created_at": iso(queue.created_us), "updated_at": iso(queue.created_us),
                              "tenant_id": TENANT}
    if details:
        record["rubric_instructions"] = queue.rubric_instructions
        record["rubric_items"] = [{"feedback_key": r["key"], "description": r.get("description"),
                                   "value_descriptions": {v: str(v) for v in r.get("values") or []} or None}
                                  for r in queue.rubric]
    return record


def _queue(svc: Services, queue_id: str) -> AnnotationQueue:
    found = svc.meta.reviews.get_queue(queue_id)
    if found is None:
        raise NotFound(f"no annotation queue {queue_id}")
    return found


@router.post("/annotation-queues")
async def create_queue(request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_value(request, svc.settings.max_request_bytes)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise MalformedRequest("an annotation queue needs a `name`")
    queue = native.new_queue(svc, native.QueueBody(
        name=body["name"], description=body.get("description"), rubric_instructions=body.get("rubric_instructions"),
        rubric=_rubric(body.get("rubric_items")), id=str(body["id"]) if body.get("id") else None))
    return FastJSON(_queue_out(queue, details=True))


@router.get("/annotation-queues")
def list_queues(request: Request, name: str | None = None, name_contains: str | None = None, limit: int = 100,
                offset: int = 0, svc: Services = Depends(services)) -> FastJSON:
    ids = set(query_list(request.query_params, "ids"))
    queues = [q for q in svc.meta.reviews.list_queues()
              if (not ids or q.id in ids) and (name is None or q.name == name)
              and (name_contains is None or name_contains in q.name)]
    return FastJSON([_queue_out(q) for q in queues[max(offset, 0):max(offset, 0) + max(min(limit, 100), 0)]])


@router.get("/annotation-queues/{queue_id}")
def read_queue(queue_id: str, svc: Services = Depends(services)) -> FastJSON:
    return FastJSON(_queue_out(_queue(svc, queue_id), details=True))


@router.patch("/annotation-queues/{queue_id}")
async def update_queue(queue_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_value(request, svc.settings.max_request_bytes)
    if not isinstance(body, dict):
        raise MalformedRequest("the body must be a JSON object")
    found = _queue(svc, queue_id)
    changes = {k: body[k] for k in ("name", "description", "rubric_instructions") if body.get(k) is not None}
    if body.get("rubric_items") is not None:
        changes["rubric"] = _rubric(body["rubric_items"])
    return FastJSON(_queue_out(svc.meta.reviews.update_queue(found.id, **changes), details=True))


@router.delete("/annotation-queues/{queue_id}")
def delete_queue(queue_id: str, svc: Services = Depends(services)) -> FastJSON:
    found = _queue(svc, queue_id)
    svc.meta.reviews.delete_queue(found.id)
    return FastJSON({})


@router.post("/annotation-queues/{queue_id}/runs")
@router.post("/annotation-queues/{queue_id}/runs/by-key")
async def add_runs(queue_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_value(request, svc.settings.max_request_bytes)
    if not isinstance(body, list) or len(body) > native.MAX_LIMIT:
        raise MalformedRequest(f"send a list of at most {native.MAX_LIMIT} run ids or run keys")
    run_ids = [str(item.get("run_id") if isinstance(item, dict) else item).lower() for item in body]
    found = _queue(svc, queue_id)
    review.add_runs(svc.meta.reviews, svc.spans, found, run_ids, source="langsmith")
    return FastJSON({})


@router.delete("/annotation-queues/{queue_id}/runs/{run_id}")
def remove_run(queue_id: str, run_id: str, svc: Services = Depends(services)) -> FastJSON:
    found = _queue(svc, queue_id)
    if not svc.meta.reviews.remove_queue_item(found.id, run_id.lower()):
        raise NotFound(f"run {run_id} is not in annotation queue {found.name}")
    return FastJSON({})


def _run_out(svc: Services, item: Any) -> dict[str, Any] | None:
    span = svc.spans.get_span(item.run_id)
    if span is None:
        return None
    run = to_run(span.to_api(), None)
    annotations = svc.meta.reviews.list_annotations(queue_id=item.queue_id, run_id=item.run_id)
    run["added_at"] = iso(item.added_us)
    run["last_reviewed_time"] = iso(annotations[-1].created_us) if annotations else None
    run["queue_run_id"] = f"{item.queue_id}:{item.run_id}"
    return run


@router.get("/annotation-queues/{queue_id}/run/{index}")
def run_at(queue_id: str, index: int, svc: Services = Depends(services)) -> FastJSON:
    found = _queue(svc, queue_id)
    if index < 0:
        raise NotFound(f"no run at index {index}")
    items = svc.meta.reviews.list_queue_items(found.id, status="pending", limit=1, offset=index)
    run = _run_out(svc, items[0]) if items else None
    if run is None:
        raise NotFound(f"no run at index {index} of annotation queue {found.name}")
    return FastJSON(run)


@router.get("/annotation-queues/{queue_id}/runs")
def list_runs(queue_id: str, status: str | None = None, limit: int = 100, offset: int = 0,
              svc: Services = Depends(services)) -> FastJSON:
    found = _queue(svc, queue_id)
    wanted = {"completed": "completed", "needs_my_review": "pending", "needs_others_review": "pending"}.get(
        status or "")
    items = svc.meta.reviews.list_queue_items(found.id, status=wanted, limit=max(1, min(limit, 100)),
                                              offset=max(offset, 0))
    return FastJSON([run for run in (_run_out(svc, item) for item in items) if run is not None])


# Presigned feedback ------------------------------------------------------------------------------
def _expires_in_s(body: dict[str, Any]) -> int:
    if body.get("expires_at"):
        from tracehound.timefmt import now_us

        try:
            return max(60, (parse_iso_us(str(body["expires_at"])) - now_us()) // 1_000_000)
        except ValueError:
            raise MalformedRequest("`expires_at` must be an ISO-8601 time") from None
    delta = body.get("expires_in") or {"hours": 3}
    if not isinstance(delta, dict):
        raise MalformedRequest("`expires_in` must be {days, hours, minutes}")
    try:
        return int(timedelta(days=delta.get("days") or 0, hours=delta.get("hours") or 0,
                             minutes=delta.get("minutes") or 0).total_seconds())
    except (TypeError, OverflowError):
        raise MalformedRequest("`expires_in` must be {days, hours, minutes}") from None


def _token_out(request: Request, token: dict[str, Any]) -> dict[str, Any]:
    original = request.scope.get("langsmith_original_path") or "/feedback/tokens"
    base = str(request.base_url).rstrip("/") + original.split("/feedback/tokens")[0]
    return {"id": token["id"], "url": f"{base}/feedback/tokens/{token['id']}", "expires_at": token["expires_at"]}


@router.post("/feedback/tokens")
async def create_tokens(request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_value(request, svc.settings.max_request_bytes)
    items = body if isinstance(body, list) else [body]
    if not items or len(items) > 100 or not all(isinstance(i, dict) for i in items):
        raise MalformedRequest("send one token request or a list of up to 100")
    tokens = []
    for item in items:
        if not item.get("run_id") or not item.get("feedback_key"):
            raise MalformedRequest("a feedback token needs `run_id` and `feedback_key`")
        made = native.issue_token(svc, request, str(item["run_id"]), str(item["feedback_key"]), _expires_in_s(item),
                                  str(item["id"]) if item.get("id") else None, item.get("feedback_config") or {})
        tokens.append(_token_out(request, made))
    return FastJSON(tokens if isinstance(body, list) else tokens[0])


@router.options("/feedback/tokens/{token_id}", include_in_schema=False)
def token_preflight(token_id: str) -> Response:
    return native.token_preflight(token_id)


@router.get("/feedback/tokens/{token_id}")
def redeem_get(token_id: str, score: float | None = None, value: str | None = None, comment: str | None = None,
               svc: Services = Depends(services)) -> FastJSON:
    item = native.redeem(svc, token_id, score, value, comment, {"via": "presigned_get"})
    return FastJSON({"id": item.id}, headers=native.CORS)


@router.post("/feedback/tokens/{token_id}")
async def redeem_post(token_id: str, request: Request, svc: Services = Depends(services)) -> Response:
    body = await json_value(request, 64 * 1024)
    if not isinstance(body, dict):
        raise MalformedRequest("the body must be a JSON object")
    try:
        uuid.UUID(token_id)
    except ValueError:
        raise NotFound("no such feedback token") from None
    item = native.redeem(svc, token_id, body.get("score"), body.get("value"), body.get("comment"),
                         {"via": "langsmith", **({"correction": body["correction"]} if body.get("correction") else {}),
                          **({"metadata": body["metadata"]} if body.get("metadata") else {})})
    return FastJSON({"id": item.id}, headers=native.CORS)
