"""LangSmith datasets: ``POST``/``GET /datasets``, ``GET``/``PATCH``/``DELETE /datasets/{id}``.

A LangSmith dataset is one of our datasets (same id and name). ``extra.metadata`` is the dataset's
metadata; LangSmith-only properties (``data_type``, the schemas, ``transformations``) are kept in it
under ``langsmith`` and shown back in their own keys.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from tracehound.errors import MalformedRequest, NotFound
from tracehound.governance import audit
from tracehound.server import access
from tracehound.server.langsmith._params import contains, query_json, query_list
from tracehound.server.langsmith.bodies import json_object, json_value
from tracehound.server.langsmith.projects import TENANT_ID
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.base import Dataset
from tracehound.timefmt import iso

router = APIRouter()
LS_KEY: Final = "langsmith"
_LS_FIELDS: Final = ("data_type", "inputs_schema_definition", "outputs_schema_definition", "transformations")


def dataset_record(svc: Services, dataset: Dataset) -> dict[str, Any]:
    """Our dataset as LangSmith's ``Dataset``."""
    own = dataset.metadata.get(LS_KEY) if isinstance(dataset.metadata.get(LS_KEY), dict) else {}
    experiments = svc.meta.experiments.list_experiments(dataset.id)
    return {
        "id": dataset.id, "name": dataset.name, "description": dataset.description,
        "data_type": own.get("data_type") or "kv", "created_at": iso(dataset.created_us),
        "modified_at": iso(dataset.updated_us), "example_count": dataset.example_count,
        "session_count": len(experiments),
        "last_session_start_time": iso(experiments[0].created_us) if experiments else None,
        "metadata": {k: v for k, v in dataset.metadata.items() if k != LS_KEY},
        "inputs_schema_definition": own.get("inputs_schema_definition"),
        "outputs_schema_definition": own.get("outputs_schema_definition"),
        "transformations": own.get("transformations"), "tenant_id": TENANT_ID,
    }


def require_dataset(svc: Services, dataset_id: str) -> Dataset:
    dataset = svc.meta.datasets.get_dataset(dataset_id)
    if dataset is None:
        raise NotFound(f"no dataset with id {dataset_id}")
    return dataset


def _metadata(body: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any] | None:
    extra = body.get("extra") if isinstance(body.get("extra"), dict) else {}
    metadata = extra.get("metadata") if isinstance(extra.get("metadata"), dict) else body.get("metadata")
    own = {name: body[name] for name in _LS_FIELDS if body.get(name) is not None}
    if metadata is None and not own:
        return None
    merged = dict(base or {})
    if metadata is not None:
        merged = {**{k: v for k, v in merged.items() if k == LS_KEY}, **metadata}
    if own:
        merged[LS_KEY] = {**(merged.get(LS_KEY) or {}), **own}
    return merged


@router.post("/datasets")
async def create_dataset(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Create a dataset; a taken name answers 409."""
    body = await json_value(request, svc.settings.max_request_bytes)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise MalformedRequest("a dataset needs a `name`", field="name")
    dataset = await run_in_threadpool(svc.meta.datasets.create_dataset, body["name"],
                                      description=body.get("description"), metadata=_metadata(body) or {})
    return FastJSON(dataset_record(svc, dataset))


@router.get("/datasets")
def list_datasets(request: Request, limit: int = 100, offset: int = 0, svc: Services = Depends(services)) -> FastJSON:
    """``?name=&name_contains=&data_type=&id=&metadata=&limit=&offset=``."""
    params = request.query_params
    name, contains_text = params.get("name"), params.get("name_contains")
    ids = {str(uuid.UUID(i)) for i in query_list(params, "id")}
    data_type, metadata = params.get("data_type"), query_json(params, "metadata")
    found = svc.meta.datasets.get_dataset(name) if name else None
    datasets = ([found] if found is not None and found.name == name else []) if name else \
        svc.meta.datasets.list_datasets()
    records = []
    for dataset in datasets:
        record = dataset_record(svc, dataset)
        if (contains_text and contains_text not in dataset.name) or (ids and dataset.id not in ids) \
                or (data_type and record["data_type"] != data_type) \
                or (metadata and not contains(record["metadata"], metadata)):
            continue
        records.append(record)
    return FastJSON(records[offset:offset + limit])


@router.get("/datasets/{dataset_id}")
def read_dataset(dataset_id: str, svc: Services = Depends(services)) -> FastJSON:
    return FastJSON(dataset_record(svc, require_dataset(svc, dataset_id)))


@router.patch("/datasets/{dataset_id}")
async def update_dataset(dataset_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    """``{name, description, metadata}``; nulls unchanged."""
    body = await json_object(request, svc.settings.max_request_bytes)
    dataset = await run_in_threadpool(require_dataset, svc, dataset_id)
    updated = await run_in_threadpool(svc.meta.datasets.update_dataset, dataset.id, name=body.get("name"),
                                      description=body.get("description"),
                                      metadata=_metadata(body, dataset.metadata))
    return FastJSON(dataset_record(svc, updated))


@router.delete("/datasets/{dataset_id}")
def delete_dataset(dataset_id: str, svc: Services = Depends(services)) -> FastJSON:
    dataset = require_dataset(svc, dataset_id)
    if not svc.meta.datasets.delete_dataset(dataset.id):
        raise NotFound(f"no dataset with id {dataset_id}")
    audit.record(svc.meta.governance, access.current().actor, "dataset.delete", dataset.name)
    return FastJSON({})
