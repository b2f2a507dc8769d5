"""Datasets and examples: ``/api/v1/datasets``, promotion of runs, JSONL/CSV import and export.

    POST   /api/v1/datasets                          create {name, description, metadata}
    GET    /api/v1/datasets                          list
    GET    /api/v1/datasets/{name}                   one (name or id)
    DELETE /api/v1/datasets/{name}
    GET    /api/v1/datasets/{name}/examples          ?split=&version=
    POST   /api/v1/datasets/{name}/examples          {examples: [...]} as one new version
    GET    /api/v1/datasets/{name}/versions
    POST   /api/v1/datasets/{name}/promote           {run_id, outputs, metadata, splits}
    POST   /api/v1/datasets/{name}/promote_bulk      {filter | project/run_type/name/status, limit, ...}
    GET    /api/v1/datasets/{name}/export            ?format=jsonl|csv&split=&version=
    POST   /api/v1/datasets/{name}/import            ?format=jsonl|csv, body is the file
    GET    /api/v1/examples/{id}                     ?version=
    PATCH  /api/v1/examples/{id}                     {inputs?, outputs?, metadata?, splits?}
    DELETE /api/v1/examples/{id}                     retire (a new version without it)
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tracehound.errors import NotFound
from tracehound.evals.datasets import (
    example_record,
    export_examples,
    find_runs,
    parse_examples,
    promote_run,
    promote_runs,
    require_dataset,
)
from tracehound.governance import audit
from tracehound.server import access
from tracehound.server.body import read_body
from tracehound.server.decode import json_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.base import Dataset, NewExample
from tracehound.timefmt import iso

router = APIRouter()
UNSET: Any = msgspec.UNSET


class DatasetBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    description: str | None = None
    metadata: dict[str, Any] = {}


class ExampleBody(msgspec.Struct, forbid_unknown_fields=True):
    inputs: Any
    outputs: Any = None
    metadata: dict[str, Any] = {}
    splits: list[str] = []
    source_run_id: str | None = None
    id: str | None = None


class ExamplesBody(msgspec.Struct, forbid_unknown_fields=True):
    examples: list[ExampleBody]


class ExamplePatch(msgspec.Struct, forbid_unknown_fields=True):
    inputs: Any = UNSET
    outputs: Any = UNSET
    metadata: dict[str, Any] | None = None
    splits: list[str] | None = None


class PromoteBody(msgspec.Struct, forbid_unknown_fields=True):
    run_id: str
    outputs: Any = None
    use_run_outputs: bool = False
    metadata: dict[str, Any] = {}
    splits: list[str] = []


class PromoteBulkBody(msgspec.Struct, forbid_unknown_fields=True):
    filter: str | None = None
    project: str | None = None
    run_type: str | None = None
    name: str | None = None
    status: str | None = None
    roots_only: bool = True
    limit: int = 100
    use_run_outputs: bool = True
    metadata: dict[str, Any] = {}
    splits: list[str] = []


def dataset_record(dataset: Dataset) -> dict[str, Any]:
    return {"id": dataset.id, "name": dataset.name, "description": dataset.description,
            "metadata": dataset.metadata, "version": dataset.version, "example_count": dataset.example_count,
            "created_at": iso(dataset.created_us), "updated_at": iso(dataset.updated_us)}


@router.post("/api/v1/datasets", response_class=FastJSON, status_code=201)
async def create_dataset(request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, DatasetBody, svc.settings.max_request_bytes)
    dataset = svc.meta.datasets.create_dataset(body.name, description=body.description, metadata=body.metadata)
    return FastJSON(dataset_record(dataset), status_code=201)


@router.get("/api/v1/datasets", response_class=FastJSON)
def list_datasets(svc: Services = Depends(services)) -> FastJSON:
    return FastJSON({"datasets": [dataset_record(d) for d in svc.meta.datasets.list_datasets()]})


@router.get("/api/v1/datasets/{name}", response_class=FastJSON)
def get_dataset(name: str, svc: Services = Depends(services)) -> FastJSON:
    return FastJSON(dataset_record(require_dataset(svc.meta.datasets, name)))


@router.delete("/api/v1/datasets/{name}", response_class=FastJSON)
def delete_dataset(name: str, svc: Services = Depends(services)) -> FastJSON:
    if not svc.meta.datasets.delete_dataset(name):
        raise NotFound(f"no dataset named {name!r}")
    audit.record(svc.meta.governance, access.current().actor, "dataset.delete", name)
    return FastJSON({"deleted": name})


@router.get("/api/v1/datasets/{name}/examples", response_class=FastJSON)
def list_examples(name: str, split: str | None = None, version: int | None = None,
                  svc: Services = Depends(services)) -> FastJSON:
    dataset = require_dataset(svc.meta.datasets, name)
    examples = svc.meta.datasets.list_examples(dataset.id, version=version, split=split)
    return FastJSON({"dataset": dataset.name, "version": version or dataset.version,
                     "examples": [example_record(e) for e in examples]})


@router.post("/api/v1/datasets/{name}/examples", response_class=FastJSON, status_code=201)
async def add_examples(name: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, ExamplesBody, svc.settings.max_request_bytes)
    dataset = require_dataset(svc.meta.datasets, name)
    added = svc.meta.datasets.add_examples(dataset.id, [NewExample(**msgspec.structs.asdict(e)) for e in body.examples])
    return FastJSON({"version": added[0].version if added else dataset.version,
                     "examples": [example_record(e) for e in added]}, status_code=201)


@router.get("/api/v1/datasets/{name}/versions", response_class=FastJSON)
def list_versions(name: str, svc: Services = Depends(services)) -> FastJSON:
    dataset = require_dataset(svc.meta.datasets, name)
    return FastJSON({"dataset": dataset.name, "versions": [
        {"version": v.version, "created_at": iso(v.created_us), "change": v.change}
        for v in svc.meta.datasets.list_versions(dataset.id)]})


@router.post("/api/v1/datasets/{name}/promote", response_class=FastJSON, status_code=201)
async def promote(name: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Copy one run into the dataset: its inputs, the given reference output, its provenance."""
    body = await json_body(request, PromoteBody, svc.settings.max_request_bytes)
    example = promote_run(svc.spans, svc.meta.datasets, name, body.run_id, outputs=body.outputs,
                          use_run_outputs=body.use_run_outputs, metadata=body.metadata, splits=body.splits)
    return FastJSON(example_record(example), status_code=201)


@router.post("/api/v1/datasets/{name}/promote_bulk", response_class=FastJSON, status_code=201)
async def promote_bulk(name: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Promote every run a filter selects (the run's own outputs become the reference by default)."""
    body = await json_body(request, PromoteBulkBody, svc.settings.max_request_bytes)
    require_dataset(svc.meta.datasets, name)
    runs = find_runs(svc.spans, filter=body.filter, project=body.project, run_type=body.run_type, name=body.name,
                     status=body.status, roots_only=body.roots_only, limit=body.limit)
    added = promote_runs(svc.spans, svc.meta.datasets, name, runs, use_run_outputs=body.use_run_outputs,
                         metadata=body.metadata, splits=body.splits)
    return FastJSON({"promoted": len(added), "examples": [example_record(e) for e in added]}, status_code=201)


@router.get("/api/v1/datasets/{name}/export")
def export(name: str, format: str = "jsonl", split: str | None = None, version: int | None = None,
           svc: Services = Depends(services)) -> Response:
    dataset = require_dataset(svc.meta.datasets, name)
    text = export_examples(svc.meta.datasets.list_examples(dataset.id, version=version, split=split), format)
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    return Response(text, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{dataset.name}.{format}"'})


@router.post("/api/v1/datasets/{name}/import", response_class=FastJSON, status_code=201)
async def import_examples(name: str, request: Request, format: str = "jsonl", keep_ids: bool = False,
                          svc: Services = Depends(services)) -> FastJSON:
    """Add the examples of a JSONL or CSV file as one version (ids are new unless ``keep_ids``)."""
    dataset = require_dataset(svc.meta.datasets, name)
    text = (await read_body(request, svc.settings.max_request_bytes)).decode("utf-8-sig")
    news = parse_examples(text, format)
    if not keep_ids:
        news = [_without_id(n) for n in news]
    added = svc.meta.datasets.add_examples(dataset.id, news, change=f"import {format}") if news else []
    return FastJSON({"imported": len(added), "version": added[0].version if added else dataset.version},
                    status_code=201)


def _without_id(example: NewExample) -> NewExample:
    return NewExample(example.inputs, example.outputs, example.metadata, example.splits, example.source_run_id)


@router.get("/api/v1/examples/{example_id}", response_class=FastJSON)
def get_example(example_id: str, version: int | None = None, svc: Services = Depends(services)) -> FastJSON:
    example = svc.meta.datasets.get_example(example_id, version)
    if example is None:
        raise NotFound(f"no example with id {example_id}")
    return FastJSON(example_record(example))


@router.patch("/api/v1/examples/{example_id}", response_class=FastJSON)
async def edit_example(example_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, ExamplePatch, svc.settings.max_request_bytes)
    example = svc.meta.datasets.update_example(
        example_id, inputs=... if body.inputs is UNSET else body.inputs,
        outputs=... if body.outputs is UNSET else body.outputs, metadata=body.metadata, splits=body.splits)
    return FastJSON(example_record(example))


@router.delete("/api/v1/examples/{example_id}", response_class=FastJSON)
def retire_example(example_id: str, svc: Services = Depends(services)) -> FastJSON:
    version = svc.meta.datasets.retire_examples([example_id])
    return FastJSON({"retired": example_id, "version": version})
