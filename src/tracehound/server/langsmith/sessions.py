"""LangSmith projects: ``POST``/``GET /sessions``, ``GET``/``PATCH``/``DELETE /sessions/{id}``.

``POST /sessions`` with a ``reference_dataset_id`` (``evaluate()``) also creates our experiment of
the same id and name. A duplicate name answers 409 (``evaluate`` retries with a new suffix) unless
``upsert=true``. ``PATCH`` nulls mean unchanged; renaming is not supported (501), since a project's
name is the key its spans are stored under.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from tracehound.errors import Conflict, MalformedRequest, NotFound
from tracehound.server.langsmith._params import contains, query_bool, query_json, query_list
from tracehound.server.langsmith.bodies import json_object
from tracehound.server.langsmith.experiments import rebuild_results, summary_of
from tracehound.server.langsmith.projects import LS_KEY, find_project, project_id, session_record, user_metadata
from tracehound.server.langsmith.state import LangSmithState, langsmith_state
from tracehound.server.langsmith.unsupported import NotSupported
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.base import Experiment, Project
from tracehound.timefmt import now_us

router = APIRouter()


def _experiment(svc: Services, project: Project) -> Experiment | None:
    experiment = svc.meta.experiments.get_experiment(project.name)
    return experiment if experiment is not None and experiment.project == project.name else None


def _record(svc: Services, project: Project) -> dict[str, Any]:
    return session_record(project, _experiment(svc, project))


def _extra_metadata(body: dict[str, Any]) -> dict[str, Any] | None:
    extra = body.get("extra")
    if isinstance(extra, dict) and isinstance(extra.get("metadata"), dict):
        return dict(extra["metadata"])
    return None


@router.post("/sessions")
async def create_session(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Create a project (and an experiment when it references a dataset)."""
    body = await json_object(request, svc.settings.max_request_bytes)
    upsert = bool(query_bool(request.query_params, "upsert"))
    return FastJSON(await run_in_threadpool(_create, svc, body, upsert))


def _create(svc: Services, body: dict[str, Any], upsert: bool) -> dict[str, Any]:
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise MalformedRequest("a project needs a `name`", field="name")
    session_id = str(uuid.UUID(str(body["id"]))) if body.get("id") else str(uuid.uuid4())
    metadata = _extra_metadata(body) or {}
    existing = svc.meta.get_project(name)
    if existing is not None:
        if not upsert:
            raise Conflict(f"a project named {name!r} exists already", field="name")
        project = svc.meta.update_project(name, description=body.get("description"),
                                          metadata={**existing.metadata, **metadata})
        return _record(svc, project)
    dataset_id = body.get("reference_dataset_id")
    dataset = svc.meta.datasets.get_dataset(str(dataset_id)) if dataset_id else None
    if dataset_id and dataset is None:
        raise NotFound(f"no dataset with id {dataset_id}")
    if dataset is not None:
        # The experiment first: its name is unique too, and a clash must leave no project behind.
        svc.meta.experiments.create_experiment(Experiment(
            id=session_id, name=name, project=name, dataset_id=dataset.id, dataset_version=dataset.version,
            created_us=now_us(), metadata={**metadata, "source": "langsmith",
                                           "evaluator_keys": body.get("evaluator_keys") or []}))
    project = svc.meta.create_project(name, description=body.get("description"),
                                      metadata={**metadata, LS_KEY: {"id": session_id}})
    return _record(svc, project)


@router.get("/sessions")
def list_sessions(request: Request, limit: int = 100, offset: int = 0, svc: Services = Depends(services)) -> FastJSON:
    """``?name=&name_contains=&id=&reference_dataset=&reference_free=&metadata=&limit=&offset=``."""
    params = request.query_params
    name, contains_text = params.get("name"), params.get("name_contains")
    ids = {str(uuid.UUID(i)) for i in query_list(params, "id")}
    datasets = set(query_list(params, "reference_dataset"))
    reference_free = query_bool(params, "reference_free")
    metadata = query_json(params, "metadata")
    projects = [svc.meta.get_project(name)] if name else svc.meta.list_projects()
    records = []
    for project in projects:
        if project is None or (contains_text and contains_text not in project.name):
            continue
        if ids and project_id(project) not in ids:
            continue
        if metadata and not contains(user_metadata(project), metadata):
            continue
        record = _record(svc, project)
        if datasets and record["reference_dataset_id"] not in datasets:
            continue
        if reference_free is not None and (record["reference_dataset_id"] is None) != reference_free:
            continue
        records.append(record)
    records.sort(key=lambda r: r["start_time"], reverse=True)
    return FastJSON(records[offset:offset + limit])


def _require(svc: Services, session_id: str) -> Project:
    project = find_project(svc, session_id)
    if project is None:
        raise NotFound(f"no project with id {session_id}")
    return project


@router.get("/sessions/{session_id}")
def read_session(session_id: str, svc: Services = Depends(services)) -> FastJSON:
    return FastJSON(_record(svc, _require(svc, session_id)))


@router.patch("/sessions/{session_id}")
async def update_session(session_id: str, request: Request, svc: Services = Depends(services),
                         state: LangSmithState = Depends(langsmith_state)) -> FastJSON:
    """``{name, description, extra, end_time}``, nulls unchanged; ``evaluate()`` closes out with this."""
    body = await json_object(request, svc.settings.max_request_bytes)
    project = await run_in_threadpool(_require, svc, session_id)
    if body.get("name") not in (None, project.name):
        raise NotSupported("renaming a project (PATCH /sessions/{id} with a new name)")
    metadata = _extra_metadata(body)
    own = dict(project.metadata.get(LS_KEY) or {})
    if body.get("end_time"):
        own["end_time"] = body["end_time"]
    new_metadata = {**(metadata if metadata is not None else user_metadata(project)), LS_KEY: own}
    project = await run_in_threadpool(svc.meta.update_project, project.name, description=body.get("description"),
                                      metadata=new_metadata)
    experiment = _experiment(svc, project)
    if experiment is not None:
        await state.sync.flush()
        results = await run_in_threadpool(rebuild_results, svc, experiment)
        if body.get("end_time"):
            await run_in_threadpool(svc.meta.experiments.finish_experiment, experiment.id, summary_of(results))
    return FastJSON(_record(svc, project))


@router.delete("/sessions/{session_id}")
def delete_session(session_id: str, svc: Services = Depends(services)) -> FastJSON:
    """Delete the project, its runs and, for an experiment, its results."""
    project = _require(svc, session_id)
    experiment = _experiment(svc, project)
    if experiment is not None:
        svc.meta.experiments.delete_experiment(experiment.id)
    svc.spans.delete_project(project.name)
    svc.meta.delete_project(project.name)
    return FastJSON({})
