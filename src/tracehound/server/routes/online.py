"""Online evaluation and deploys: rules, their rate against baseline, backfill, deploy markers.

    GET    /api/v1/online-rules                      rules (file and API) and the worker pool's counters
    PUT    /api/v1/online-rules/{id}                 create or replace {project, filter, sample_rate, evaluators}
    DELETE /api/v1/online-rules/{id}
    GET    /api/v1/online-rules/{id}/series          ?start=-7d&end=now&bucket=1h&key=&window=1h&baseline_days=7
                                                     &min_runs=20 rate per bucket,
                                                     baseline vs now (see analytics/loop_alerts.py), deploys
    POST   /api/v1/online-rules/{id}/backfill        {start, end, limit} evaluate past traces now
    POST   /api/v1/deploys                           {project, version, description?, at?}
    GET    /api/v1/deploys                           ?project=&start=&end=
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request

from tracehound.analytics import online as online_rules
from tracehound.analytics.baseline import series
from tracehound.analytics.loop_alerts import online_rate_status
from tracehound.analytics.loop_service import backfill, rule_by_id
from tracehound.analytics.metrics import parse_duration_us
from tracehound.errors import NotFound, QueryError
from tracehound.server.decode import json_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.review import DeployMarker
from tracehound.timefmt import iso, now_us, parse_time_us

router = APIRouter()
MAX_BACKFILL = 10_000
MAX_BUCKETS = 2_000


def _time(text: str | None, default: int, now: int, field: str) -> int:
    if text is None or text == "now":
        return default
    try:
        return parse_time_us(text, now=now)
    except ValueError:
        raise QueryError(f"{text[:40]!r} is not an ISO-8601 or relative time (\"-24h\")", field=field) from None


@router.get("/api/v1/online-rules", response_class=FastJSON)
def list_online_rules(svc: Services = Depends(services)) -> FastJSON:
    """Every online rule, and per rule what the worker pool queued, dropped (queue full), evaluated, failed."""
    return FastJSON({"rules": [rule.to_dict() for rule in svc.loop.rules()], "stats": svc.loop.online.stats()})


@router.put("/api/v1/online-rules/{rule_id}", response_class=FastJSON)
async def put_online_rule(rule_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, dict[str, Any], svc.settings.max_request_bytes)  # type: ignore[arg-type]
    if any(rule.id == rule_id for rule in svc.loop.file_rules):
        raise QueryError(f"online rule {rule_id} comes from the rules file; edit it there", field="id")
    rule = online_rules.rule_from_dict({**body, "id": rule_id})
    svc.meta.online.put_online_rule(rule.id, rule.to_dict(), now_us())
    svc.loop.invalidate()
    return FastJSON(rule.to_dict())


@router.delete("/api/v1/online-rules/{rule_id}", response_class=FastJSON)
def delete_online_rule(rule_id: str, svc: Services = Depends(services)) -> FastJSON:
    if not svc.meta.online.delete_online_rule(rule_id):
        raise NotFound(f"no online rule {rule_id} (rules-file rules are removed from the file)")
    svc.loop.invalidate()
    return FastJSON({"deleted": rule_id})


@router.get("/api/v1/online-rules/{rule_id}/series", response_class=FastJSON)
def online_rule_series(rule_id: str, start: str = "-7d", end: str | None = None, bucket: str = "1h",
                       key: str | None = None, window: str | None = None, baseline_days: float | None = None,
                       min_runs: int = 20, svc: Services = Depends(services)) -> FastJSON:
    """The rule's flag rate per bucket, per evaluator key, with the baseline-vs-now test and the deploys."""
    rule = rule_by_id(svc.loop, rule_id)
    now = now_us()
    start_us, end_us = _time(start, now - 7 * 86_400_000_000, now, "start"), _time(end, now, now, "end")
    if end_us <= start_us:
        raise QueryError("`end` must be after `start`", field="end")
    bucket_us = parse_duration_us(bucket, field="bucket")
    if (end_us - start_us) // bucket_us > MAX_BUCKETS:
        raise QueryError(f"at most {MAX_BUCKETS} buckets; widen `bucket`", field="bucket")
    verdicts = svc.feedback.verdicts(rule.feedback_source, start_us, end_us, key=key)
    keys = sorted({v.key for v in verdicts} | {online_rules.evaluator_key(s) for s in rule.evaluators})
    if key:
        keys = [key]
    params: dict[str, Any] = {"rule": rule.id, "key": key, "window": window or "1h", "min_runs": min_runs}
    if baseline_days is not None:
        params["baseline_days"] = baseline_days
    status = online_rate_status(params, end_us, svc.feedback, svc.meta.online, rule.project)
    deploys = svc.meta.online.list_deploys(project=rule.project, start_us=start_us, end_us=end_us) \
        if rule.project else []
    return FastJSON({
        "rule": rule.to_dict(), "start": iso(start_us), "end": iso(end_us), "bucket": bucket,
        "series": {k: series([v for v in verdicts if v.key == k], start_us, end_us, bucket_us) for k in keys},
        "baseline": status, "deploys": [deploy_record(d) for d in deploys]})


class BackfillBody(msgspec.Struct, forbid_unknown_fields=True):
    start: str = "-24h"
    end: str | None = None
    limit: int = 1000


@router.post("/api/v1/online-rules/{rule_id}/backfill", response_class=FastJSON)
async def backfill_rule(rule_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Evaluate the rule's sample of the traces that ended in a past window (filter and sample rate apply)."""
    body = await json_body(request, BackfillBody, svc.settings.max_request_bytes)
    if not 1 <= body.limit <= MAX_BACKFILL:
        raise QueryError(f"`limit` must be 1 to {MAX_BACKFILL}", field="limit")
    now = now_us()
    start_us, end_us = _time(body.start, now - 86_400_000_000, now, "start"), _time(body.end, now, now, "end")
    rule = rule_by_id(svc.loop, rule_id)
    from starlette.concurrency import run_in_threadpool

    result = await run_in_threadpool(backfill, svc.loop, rule, start_us, end_us, body.limit)
    return FastJSON(result)


class DeployBody(msgspec.Struct, forbid_unknown_fields=True):
    project: str
    version: str
    description: str | None = None
    at: str | None = None
    metadata: dict[str, Any] = {}


def deploy_record(marker: DeployMarker) -> dict[str, Any]:
    return {"id": marker.id, "project": marker.project, "version": marker.version, "at": iso(marker.at_us),
            "at_us": marker.at_us, "description": marker.description, "metadata": marker.metadata}


@router.post("/api/v1/deploys", response_class=FastJSON, status_code=201)
async def mark_deploy(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Record a deploy of ``version`` in ``project`` (now, or at ``at``); time charts draw it."""
    body = await json_body(request, DeployBody, svc.settings.max_request_bytes)
    if not body.project or not body.version or len(body.version) > 256 or len(body.project) > 512:
        raise QueryError("`project` and `version` (up to 256 characters) are needed", field="version")
    now = now_us()
    marker = DeployMarker(str(uuid.uuid4()), body.project, body.version, _time(body.at, now, now, "at"),
                          body.description, body.metadata)
    svc.meta.online.add_deploy(marker)
    return FastJSON(deploy_record(marker), status_code=201)


@router.get("/api/v1/deploys", response_class=FastJSON)
def list_deploys(project: str | None = None, start: str | None = None, end: str | None = None, limit: int = 100,
                 svc: Services = Depends(services)) -> FastJSON:
    now = now_us()
    if not 1 <= limit <= 1000:
        raise QueryError("`limit` must be 1 to 1000", field="limit")
    markers = svc.meta.online.list_deploys(project=project, start_us=None if start is None else
                                           _time(start, 0, now, "start"),
                                           end_us=None if end is None else _time(end, now, now, "end"), limit=limit)
    return FastJSON({"deploys": [deploy_record(m) for m in markers]})
