"""Retention policies and passes (admin).

    GET  /api/v1/projects/{p}/retention     the policy (days; null = keep forever)
    PUT  /api/v1/projects/{p}/retention     {ok_days?, failed_days?, payload_days?, rollup_days?}
    POST /api/v1/retention/run              {project?, dry_run?}  apply now (or count what would go)
    GET  /api/v1/retention/runs             ?project=&limit=  what each pass removed
"""

from __future__ import annotations

import msgspec
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from tracehound.governance import audit, retention
from tracehound.server import access
from tracehound.server.decode import InvalidRequest, json_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.governance import RetentionPolicy
from tracehound.timefmt import now_us

router = APIRouter()
_MAX_BODY = 16 * 1024


class PolicyBody(msgspec.Struct, forbid_unknown_fields=True):
    ok_days: float | None = None
    failed_days: float | None = None
    payload_days: float | None = None
    rollup_days: float | None = None


class RunBody(msgspec.Struct, forbid_unknown_fields=True):
    project: str | None = None
    dry_run: bool = False


def policy_from(project: str, body: PolicyBody) -> RetentionPolicy:
    """A checked policy. Raises ``InvalidRequest`` for a negative or non-finite number of days."""
    for name in ("ok_days", "failed_days", "payload_days", "rollup_days"):
        days = getattr(body, name)
        if days is not None and not 0 < days < 100_000:
            raise InvalidRequest(f"{name} must be a number of days above 0 (null keeps forever)", field=name)
    return RetentionPolicy(project, body.ok_days, body.failed_days, body.payload_days, body.rollup_days, now_us())


@router.get("/api/v1/projects/{project}/retention", response_class=FastJSON)
def get_retention(project: str, svc: Services = Depends(services)) -> FastJSON:
    return FastJSON(retention.policy_record(svc.meta.governance.get_retention(project), project))


@router.put("/api/v1/projects/{project}/retention", response_class=FastJSON)
async def set_retention(project: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    policy = policy_from(project, await json_body(request, PolicyBody, _MAX_BODY))
    svc.meta.governance.set_retention(policy)
    record = retention.policy_record(policy, project)
    audit.record(svc.meta.governance, access.of(request).actor, "retention.set", project, project,
                 **{k: v for k, v in record.items() if k.endswith("_days")})
    svc.retention.wake()
    return FastJSON(record)


@router.post("/api/v1/retention/run", response_class=FastJSON)
async def run_retention(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Apply the policies now (one project or all), or with ``dry_run`` only count what would go."""
    body = await json_body(request, RunBody, _MAX_BODY)
    runs = await run_in_threadpool(retention.apply_all, svc.spans, svc.meta, dry_run=body.dry_run,
                                   project=body.project)
    return FastJSON({"runs": [retention.run_record(run) for run in runs]})


@router.get("/api/v1/retention/runs", response_class=FastJSON)
def list_runs(project: str | None = None, limit: int = 100, svc: Services = Depends(services)) -> FastJSON:
    if not 1 <= limit <= 1000:
        raise InvalidRequest("limit must be between 1 and 1000", field="limit")
    runs = svc.meta.governance.list_retention_runs(project=project, limit=limit)
    return FastJSON({"runs": [retention.run_record(run) for run in runs]})
