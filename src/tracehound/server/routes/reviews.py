"""Pools, annotation queues and presigned feedback.

    GET/POST   /api/v1/pools                              list · create {name, project, kind, reasons, filter, ...}
    GET/DELETE /api/v1/pools/{pool}                       one (with member count) · delete
    GET        /api/v1/pools/{pool}/members               ?start=&end=&limit=
    GET        /api/v1/pools/{pool}/drift                 ?window=1h&baseline=7d  distribution monitor
    GET/POST   /api/v1/queues                             list · create {name, project, rubric, reviewers_per_item, ...}
    GET/PATCH/DELETE /api/v1/queues/{queue}
    POST       /api/v1/queues/{queue}/items               {run_ids: [...]}
    GET        /api/v1/queues/{queue}/items               ?status=pending|completed&reviewer=&limit=&offset=
    DELETE     /api/v1/queues/{queue}/items/{run_id}
    POST       /api/v1/queues/{queue}/claim               {reviewer} → the next item (a 10-minute lease) or 204
    POST       /api/v1/queues/{queue}/items/{run_id}/annotations
                                                          {reviewer, labels, reference_output, comment, promote}
    GET        /api/v1/queues/{queue}/annotations
    GET        /api/v1/queues/{queue}/agreement           reviewers' agreement per rubric key
    GET        /api/v1/queues/{queue}/calibration         ?judge_key=judge&label_key=correct  judge vs people
    POST       /api/v1/feedback/tokens                    {run_id, key, expires_in_s} → a presigned URL
    GET/POST   /api/v1/feedback/tokens/{token}            score a run without a key (?score=1 or a JSON body)
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import msgspec
from fastapi import APIRouter, Depends, Request, Response

from tracehound.analytics.loop_alerts import drift_status
from tracehound.analytics.pools import new_pool
from tracehound.errors import NotFound, QueryError
from tracehound.evals import review
from tracehound.server.decode import json_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.base import Feedback
from tracehound.store.review import Annotation, AnnotationQueue, FeedbackToken, Pool, PoolMember, QueueItem
from tracehound.timefmt import iso, now_us, parse_time_us

router = APIRouter()
MAX_LIMIT = 1000
MAX_TOKEN_S = 30 * 86_400


def _limit(limit: int, most: int = MAX_LIMIT) -> int:
    if not 1 <= limit <= most:
        raise QueryError(f"`limit` must be 1 to {most}", field="limit")
    return limit


# Pools ----------------------------------------------------------------------------------------
class PoolBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    project: str
    kind: Literal["failure", "drift"] = "failure"
    reasons: list[str] = []
    filter: str | None = None
    sample_rate: float = 0.05
    queue: str | None = None
    params: dict[str, Any] = {}


def pool_record(pool: Pool, members: int | None = None) -> dict[str, Any]:
    return {"id": pool.id, "name": pool.name, "project": pool.project, "kind": pool.kind, "reasons": pool.reasons,
            "filter": pool.filter, "sample_rate": pool.sample_rate, "queue_id": pool.queue_id, "params": pool.params,
            "created_at": iso(pool.created_us), "members": members}


def member_record(m: PoolMember) -> dict[str, Any]:
    return {"run_id": m.run_id, "trace_id": m.trace_id, "session_id": m.session_id, "reason": m.reason,
            "added_at": iso(m.added_us), "run_start": iso(m.run_start_us), "stats": m.stats}


def get_pool(svc: Services, pool: str) -> Pool:
    found = svc.meta.reviews.get_pool(pool)
    if found is None:
        raise NotFound(f"no pool {pool}")
    return found


@router.post("/api/v1/pools", response_class=FastJSON, status_code=201)
async def create_pool(request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, PoolBody, svc.settings.max_request_bytes)
    queue_id = _queue(svc, body.queue).id if body.queue else None
    pool = new_pool(svc.meta.reviews, name=body.name, project=body.project, kind=body.kind, reasons=body.reasons,
                    filter_text=body.filter, sample_rate=body.sample_rate, queue_id=queue_id, params=body.params)
    svc.loop.invalidate()
    return FastJSON(pool_record(pool, 0), status_code=201)


@router.get("/api/v1/pools", response_class=FastJSON)
def list_pools(project: str | None = None, svc: Services = Depends(services)) -> FastJSON:
    reviews = svc.meta.reviews
    return FastJSON({"pools": [pool_record(p, reviews.count_pool_members(p.id)) for p in reviews.list_pools(project)],
                     "filler": svc.loop.pools.stats()})


@router.get("/api/v1/pools/{pool}", response_class=FastJSON)
def read_pool(pool: str, svc: Services = Depends(services)) -> FastJSON:
    found = get_pool(svc, pool)
    return FastJSON(pool_record(found, svc.meta.reviews.count_pool_members(found.id)))


@router.delete("/api/v1/pools/{pool}", response_class=FastJSON)
def delete_pool(pool: str, svc: Services = Depends(services)) -> FastJSON:
    found = get_pool(svc, pool)
    svc.meta.reviews.delete_pool(found.id)
    svc.loop.invalidate()
    return FastJSON({"deleted": found.id})


def _time(text: str | None, now: int, field: str) -> int | None:
    if text is None:
        return None
    if text == "now":
        return now
    try:
        return parse_time_us(text, now=now)
    except ValueError:
        raise QueryError(f"{text[:40]!r} is not an ISO-8601 or relative time (\"-24h\")", field=field) from None


@router.get("/api/v1/pools/{pool}/members", response_class=FastJSON)
def pool_members(pool: str, start: str | None = None, end: str | None = None, limit: int = 100,
                 svc: Services = Depends(services)) -> FastJSON:
    found = get_pool(svc, pool)
    now = now_us()
    members = svc.meta.reviews.list_pool_members(found.id, start_us=_time(start, now, "start"),
                                                 end_us=_time(end, now, "end"), limit=_limit(limit))
    return FastJSON({"pool": pool_record(found), "members": [member_record(m) for m in members]})


@router.get("/api/v1/pools/{pool}/drift", response_class=FastJSON)
def pool_drift(pool: str, window: str = "1h", baseline: str = "7d", min_members: int = 20,
               svc: Services = Depends(services)) -> FastJSON:
    found = get_pool(svc, pool)
    return FastJSON(drift_status({"pool": found.id, "window": window, "baseline": baseline,
                                  "min_members": min_members}, now_us(), svc.meta.reviews))


# Queues ---------------------------------------------------------------------------------------
class QueueBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    project: str | None = None
    description: str | None = None
    rubric_instructions: str | None = None
    rubric: list[dict[str, Any]] = []
    reviewers_per_item: int = 1
    dataset: str | None = None
    id: str | None = None


class QueuePatch(msgspec.Struct, forbid_unknown_fields=True):
    name: str | None = None
    description: str | None = None
    rubric_instructions: str | None = None
    rubric: list[dict[str, Any]] | None = None
    reviewers_per_item: int | None = None
    dataset: str | None = None


def queue_record(queue: AnnotationQueue) -> dict[str, Any]:
    return {"id": queue.id, "name": queue.name, "project": queue.project, "description": queue.description,
            "rubric_instructions": queue.rubric_instructions, "rubric": queue.rubric,
            "reviewers_per_item": queue.reviewers_per_item, "dataset": queue.dataset or f"{queue.name}-golden",
            "created_at": iso(queue.created_us), "items": queue.item_count, "completed": queue.completed_count}


def item_record(item: QueueItem) -> dict[str, Any]:
    return {"queue_id": item.queue_id, "run_id": item.run_id, "trace_id": item.trace_id,
            "added_at": iso(item.added_us), "source": item.source, "status": item.status, "reviews": item.reviews,
            "claimed_by": item.claimed_by, "claim_until": iso(item.claim_until_us)}


def annotation_record(a: Annotation) -> dict[str, Any]:
    return {"id": a.id, "queue_id": a.queue_id, "run_id": a.run_id, "reviewer": a.reviewer,
            "created_at": iso(a.created_us), "labels": a.labels, "reference_output": a.reference_output,
            "comment": a.comment, "promote": a.promote, "example_id": a.example_id}


def _queue(svc: Services, queue: str) -> AnnotationQueue:
    found = svc.meta.reviews.get_queue(queue)
    if found is None:
        raise NotFound(f"no annotation queue {queue}")
    return found


def new_queue(svc: Services, body: QueueBody) -> AnnotationQueue:
    """Validate and create a queue (shared with the LangSmith route)."""
    return review.create_queue(svc.meta.reviews, name=body.name, project=body.project, description=body.description,
                               rubric_instructions=body.rubric_instructions, rubric=body.rubric,
                               reviewers_per_item=body.reviewers_per_item, dataset=body.dataset, queue_id=body.id)


@router.post("/api/v1/queues", response_class=FastJSON, status_code=201)
async def create_queue(request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, QueueBody, svc.settings.max_request_bytes)
    return FastJSON(queue_record(new_queue(svc, body)), status_code=201)


@router.get("/api/v1/queues", response_class=FastJSON)
def list_queues(svc: Services = Depends(services)) -> FastJSON:
    return FastJSON({"queues": [queue_record(q) for q in svc.meta.reviews.list_queues()]})


@router.get("/api/v1/queues/{queue}", response_class=FastJSON)
def read_queue(queue: str, svc: Services = Depends(services)) -> FastJSON:
    return FastJSON(queue_record(_queue(svc, queue)))


@router.patch("/api/v1/queues/{queue}", response_class=FastJSON)
async def update_queue(queue: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, QueuePatch, svc.settings.max_request_bytes)
    found = _queue(svc, queue)
    if body.rubric is not None:
        review.check_rubric(body.rubric)
    changes = {f: getattr(body, f) for f in QueuePatch.__struct_fields__ if getattr(body, f) is not None}
    return FastJSON(queue_record(svc.meta.reviews.update_queue(found.id, **changes)))


@router.delete("/api/v1/queues/{queue}", response_class=FastJSON)
def delete_queue(queue: str, svc: Services = Depends(services)) -> FastJSON:
    found = _queue(svc, queue)
    svc.meta.reviews.delete_queue(found.id)
    return FastJSON({"deleted": found.id})


class ItemsBody(msgspec.Struct, forbid_unknown_fields=True):
    run_ids: list[str]
    source: str = "manual"


@router.post("/api/v1/queues/{queue}/items", response_class=FastJSON)
async def add_items(queue: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Add stored runs (from the runs page's selection, a script); runs already queued are kept as they are."""
    body = await json_body(request, ItemsBody, svc.settings.max_request_bytes)
    if not 0 < len(body.run_ids) <= MAX_LIMIT:
        raise QueryError(f"send 1 to {MAX_LIMIT} `run_ids`", field="run_ids")
    found = _queue(svc, queue)
    added = review.add_runs(svc.meta.reviews, svc.spans, found, [r.lower() for r in body.run_ids], body.source)
    return FastJSON({"queue_id": found.id, "added": added})


@router.get("/api/v1/queues/{queue}/items", response_class=FastJSON)
def list_items(queue: str, status: Literal["pending", "completed"] | None = None, reviewer: str | None = None,
               limit: int = 100, offset: int = 0, svc: Services = Depends(services)) -> FastJSON:
    found = _queue(svc, queue)
    if offset < 0 or offset > 10_000_000:
        raise QueryError("`offset` must be 0 to 10,000,000", field="offset")
    items = svc.meta.reviews.list_queue_items(found.id, status=status, reviewer=reviewer, limit=_limit(limit),
                                              offset=offset)
    return FastJSON({"queue": queue_record(found), "items": [item_record(i) for i in items]})


@router.delete("/api/v1/queues/{queue}/items/{run_id}", response_class=FastJSON)
def remove_item(queue: str, run_id: str, svc: Services = Depends(services)) -> FastJSON:
    found = _queue(svc, queue)
    if not svc.meta.reviews.remove_queue_item(found.id, run_id.lower()):
        raise NotFound(f"run {run_id} is not in queue {found.name}")
    return FastJSON({"deleted": run_id})


class ClaimBody(msgspec.Struct, forbid_unknown_fields=True):
    reviewer: str


@router.post("/api/v1/queues/{queue}/claim", response_class=FastJSON)
async def claim(queue: str, request: Request, svc: Services = Depends(services)) -> Response:
    """The reviewer's next item, held for them for 10 minutes; 204 when nothing is left for them."""
    body = await json_body(request, ClaimBody, svc.settings.max_request_bytes)
    if not 0 < len(body.reviewer) <= 256:
        raise QueryError("a `reviewer` name of 1 to 256 characters is needed", field="reviewer")
    found = _queue(svc, queue)
    item = svc.meta.reviews.claim_next(found.id, body.reviewer, now_us(), review.LEASE_US)
    if item is None:
        return Response(status_code=204)
    return FastJSON(item_record(item))


class AnnotationBody(msgspec.Struct, forbid_unknown_fields=True):
    reviewer: str
    labels: dict[str, Any] = {}
    reference_output: Any = None
    comment: str | None = None
    promote: bool = False


def review_stores(svc: Services) -> review.Stores:
    return review.Stores(svc.meta, svc.feedback, svc.spans)


@router.post("/api/v1/queues/{queue}/items/{run_id}/annotations", response_class=FastJSON, status_code=201)
async def annotate(queue: str, run_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    """One reviewer's labels, reference output and comment; ``promote`` adds the run to the golden dataset."""
    body = await json_body(request, AnnotationBody, svc.settings.max_request_bytes)
    found = _queue(svc, queue)
    item, annotation = review.annotate(review_stores(svc), found, run_id.lower(), body.reviewer, labels=body.labels,
                                       reference_output=body.reference_output, comment=body.comment,
                                       promote=body.promote)
    return FastJSON({"item": item_record(item), "annotation": annotation_record(annotation)}, status_code=201)


@router.get("/api/v1/queues/{queue}/annotations", response_class=FastJSON)
def list_annotations(queue: str, run_id: str | None = None, svc: Services = Depends(services)) -> FastJSON:
    found = _queue(svc, queue)
    return FastJSON({"annotations": [annotation_record(a) for a in
                                     svc.meta.reviews.list_annotations(queue_id=found.id, run_id=run_id)]})


@router.get("/api/v1/queues/{queue}/agreement", response_class=FastJSON)
def queue_agreement(queue: str, svc: Services = Depends(services)) -> FastJSON:
    found = _queue(svc, queue)
    rows = review.agreement(svc.meta.reviews.list_annotations(queue_id=found.id))
    return FastJSON({"queue": found.name, "agreement": [row.to_dict() for row in rows]})


@router.get("/api/v1/queues/{queue}/calibration", response_class=FastJSON)
def queue_calibration(queue: str, judge_key: str = "judge", label_key: str | None = None,
                      svc: Services = Depends(services)) -> FastJSON:
    """The online judge's agreement with this queue's human labels; ``retire`` below 80% (10+ runs)."""
    found = _queue(svc, queue)
    annotations = svc.meta.reviews.list_annotations(queue_id=found.id)
    label = label_key or next((item["key"] for item in found.rubric if isinstance(item, dict) and "key" in item),
                              "correct")
    run_ids = sorted({a.run_id for a in annotations})
    judged = [f for f in svc.feedback.list_feedback(run_ids=run_ids, key=judge_key, limit=100_000)
              if f.source.startswith("online:") or f.source == "evaluator"] if run_ids else []
    return FastJSON(review.judge_agreement(judged, annotations, judge_key=judge_key, label_key=label).to_dict())


# Presigned feedback -------------------------------------------------------------------------------
class TokenBody(msgspec.Struct, forbid_unknown_fields=True):
    run_id: str
    key: str
    expires_in_s: int = 3 * 3600
    feedback_id: str | None = None
    config: dict[str, Any] = {}


def issue_token(svc: Services, request: Request, run_id: str, key: str, expires_in_s: int,
                feedback_id: str | None = None, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Store a token and say where to send feedback with it (shared with the LangSmith route)."""
    if not 60 <= expires_in_s <= MAX_TOKEN_S:
        raise QueryError(f"`expires_in_s` must be 60 to {MAX_TOKEN_S}", field="expires_in_s")
    if not 0 < len(key) <= 256:
        raise QueryError("`key` must be 1 to 256 characters", field="key")
    if svc.spans.get_span(run_id.lower()) is None:
        raise NotFound(f"no run {run_id}")
    stamp = now_us()
    token = FeedbackToken(str(uuid.uuid4()), run_id.lower(), key, stamp + expires_in_s * 1_000_000, stamp,
                          feedback_id, config or {})
    svc.meta.reviews.put_feedback_token(token)
    base = str(request.base_url).rstrip("/")
    return {"id": token.id, "url": f"{base}/api/v1/feedback/tokens/{token.id}", "expires_at": iso(token.expires_us),
            "run_id": token.run_id, "feedback_key": key}


@router.post("/api/v1/feedback/tokens", response_class=FastJSON, status_code=201)
async def create_token(request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, TokenBody, svc.settings.max_request_bytes)
    return FastJSON(issue_token(svc, request, body.run_id, body.key, body.expires_in_s, body.feedback_id,
                                body.config), status_code=201)


CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
         "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "600"}


@router.options("/api/v1/feedback/tokens/{token_id}", include_in_schema=False)
def token_preflight(token_id: str) -> Response:
    """A product's page on another origin posts to the presigned URL: allow it, and only it."""
    return Response(status_code=204, headers=CORS)


def redeem(svc: Services, token_id: str, score: Any, value: Any, comment: Any, source_info: dict[str, Any]) -> Feedback:
    """Store the feedback a presigned token allows (shared with the LangSmith route)."""
    try:
        token = svc.meta.reviews.get_feedback_token(str(uuid.UUID(token_id)))
    except ValueError:
        token = None
    if token is None:
        raise NotFound("no such feedback token")
    stamp = now_us()
    if token.expires_us <= stamp:
        raise QueryError("this feedback link has expired", field="token")
    if isinstance(score, bool):
        score = float(score)
    if score is not None and (not isinstance(score, int | float) or not -1e9 < score < 1e9):
        raise QueryError("`score` must be a number", field="score")
    if score is None and value is None:
        raise QueryError("send a `score` or a `value`", field="score")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 10_000):
        raise QueryError("`comment` must be text of at most 10,000 characters", field="comment")
    run = svc.spans.get_span(token.run_id)
    item = Feedback(id=token.feedback_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"token/{token.id}")),
                    run_id=token.run_id, key=token.key, created_us=stamp, score=None if score is None else float(score),
                    value=value, comment=comment, source="user",
                    source_info={**source_info, "token": token.id,
                                 "run_start_us": run.start_us if run else None},
                    trace_id=run.trace_id if run else None)
    svc.feedback.add_feedback([item])
    svc.loop.on_feedback([item])
    return item


@router.get("/api/v1/feedback/tokens/{token_id}", response_class=FastJSON)
def redeem_get(token_id: str, score: float | None = None, value: str | None = None, comment: str | None = None,
               svc: Services = Depends(services)) -> FastJSON:
    """``<url>?score=1`` from a link or an image beacon."""
    item = redeem(svc, token_id, score, value, comment, {"via": "presigned_get"})
    return FastJSON({"id": item.id, "run_id": item.run_id, "key": item.key}, headers=CORS)


@router.post("/api/v1/feedback/tokens/{token_id}", response_class=FastJSON)
async def redeem_post(token_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, dict[str, Any], 64 * 1024)  # type: ignore[arg-type]
    item = redeem(svc, token_id, body.get("score"), body.get("value"), body.get("comment"),
                  {"via": "presigned_post", **({"metadata": body["metadata"]} if body.get("metadata") else {})})
    return FastJSON({"id": item.id, "run_id": item.run_id, "key": item.key}, headers=CORS)
