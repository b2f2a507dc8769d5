"""Projects: list, create, read, rename, delete (confirmed; spans removed in the background), redaction,
and ``GET /healthz``.

    GET    /api/v1/projects                          the caller's projects
    POST   /api/v1/projects                          {name, description?}                    (admin)
    GET    /api/v1/projects/{p}                      the project, its retention and redaction
    PATCH  /api/v1/projects/{p}                      {name?, description?}  rename / describe (admin)
    DELETE /api/v1/projects/{p}?confirm={p}          forget it now, spans go in the background (admin)
    GET    /api/v1/projects/{p}/redaction            (admin; the key is shown as "set")
    PUT    /api/v1/projects/{p}/redaction            {enabled, detectors?, patterns?, fields?, sensitive_keys?, key?}
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request

import tracehound
from tracehound.errors import NotFound
from tracehound.governance import audit, projects, redaction, retention
from tracehound.server import access
from tracehound.server.decode import json_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.base import Project
from tracehound.timefmt import iso

router = APIRouter()
_MAX_BODY = 64 * 1024


class ProjectBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    description: str | None = None


class ProjectPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: str | None = None
    description: str | None = None


def _record(project: Project) -> dict[str, Any]:
    return {"name": project.name, "created_at": iso(project.created_us), "description": project.description,
            "metadata": project.metadata}


@router.get("/api/v1/projects", response_class=FastJSON)
def list_projects(svc: Services = Depends(services)) -> FastJSON:
    return FastJSON({"projects": [_record(p) for p in svc.meta.list_projects() if access.current().sees(p.name)]})


@router.post("/api/v1/projects", response_class=FastJSON, status_code=201)
async def create_project(request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, ProjectBody, _MAX_BODY)
    project = projects.create_project(svc.meta, body.name, description=body.description,
                                      actor=access.of(request).actor)
    return FastJSON(_record(project), status_code=201)


def project_details(svc: Services, name: str) -> dict[str, Any]:
    """A project with its retention policy, redaction (key hidden) and background work in progress."""
    project = svc.meta.get_project(name)
    if project is None:
        raise NotFound(f"no project named {name!r}")
    gov = svc.meta.governance
    return {**_record(project), "retention": retention.policy_record(gov.get_retention(name), name),
            "redaction": redaction.public_view(gov.get_project_setting(name, redaction.SETTING)),
            "retention_runs": [retention.run_record(run) for run in gov.list_retention_runs(project=name, limit=20)]}


@router.get("/api/v1/projects/{project}", response_class=FastJSON)
def get_project(project: str, svc: Services = Depends(services)) -> FastJSON:
    return FastJSON(project_details(svc, project))


@router.patch("/api/v1/projects/{project}", response_class=FastJSON)
async def update_project(project: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, ProjectPatch, _MAX_BODY)
    if svc.meta.get_project(project) is None:
        raise NotFound(f"no project named {project!r}")
    if body.description is not None:
        svc.meta.update_project(project, description=body.description)
    name = project
    if body.name is not None and body.name != project:
        name = projects.rename_project(svc.meta, project, body.name, actor=access.of(request).actor).name
        svc.retention.wake()
    return FastJSON(project_details(svc, name))


@router.delete("/api/v1/projects/{project}", response_class=FastJSON, status_code=202)
def delete_project(project: str, request: Request, confirm: str | None = None,
                   svc: Services = Depends(services)) -> FastJSON:
    """Forget the project at once; its spans are removed in the background (answers 202)."""
    projects.delete_project(svc.meta, project, confirm=confirm, actor=access.of(request).actor)
    svc.retention.wake()
    return FastJSON({"deleted": project, "spans": "being removed in the background"}, status_code=202)


@router.get("/api/v1/projects/{project}/redaction", response_class=FastJSON)
def get_redaction(project: str, svc: Services = Depends(services)) -> FastJSON:
    return FastJSON(redaction.public_view(svc.meta.governance.get_project_setting(project, redaction.SETTING)))


@router.put("/api/v1/projects/{project}/redaction", response_class=FastJSON)
async def set_redaction(project: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Set the project's server-side redaction; applies to every ingest path from the next batch."""
    config = redaction.validate(await json_body(request, dict[str, Any], _MAX_BODY))
    svc.meta.governance.set_project_setting(project, redaction.SETTING, config)
    svc.pipeline.set_project_redactors(redaction.project_redactors(svc.meta))
    audit.record(svc.meta.governance, access.of(request).actor, "redaction.set", project, project,
                 **redaction.public_view(config))
    return FastJSON(redaction.public_view(config))


@router.get("/healthz", response_class=FastJSON)
def healthz(svc: Services = Depends(services)) -> FastJSON:
    """Liveness plus what an operator checks first: is the writer keeping up."""
    return FastJSON({"status": "ok", "version": tracehound.__version__,
                     "committed_spans": svc.pipeline.committed_spans, "commits": svc.pipeline.commits})
