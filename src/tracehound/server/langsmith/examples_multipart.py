"""``POST /v1/platform/datasets/{id}/examples``: examples uploaded as multipart form data.

The ``langsmith`` npm package's ``createExamples`` has no JSON fallback: it uses this endpoint, and only
when ``/info`` says ``dataset_examples_multipart_enabled`` (``info.py`` says so to the JS SDK). Parts
per example: ``<id>`` (JSON: ``metadata``, ``split``, ``source_run_id``, ``use_source_run_io``),
``<id>.inputs``, ``<id>.outputs``; the examples become one new dataset version, exactly as
``POST /examples/bulk``. Example attachments (``<id>.attachment.<name>``) answer 501: never stored
half. Answers ``{"example_ids": [...], "count": n}``.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from tracehound.errors import MalformedRequest
from tracehound.server.langsmith.datasets import require_dataset
from tracehound.server.langsmith.examples import create_from_bodies
from tracehound.server.langsmith.multipart import parse_multipart, read_multipart_body
from tracehound.server.langsmith.unsupported import NotSupported
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

router = APIRouter()


@router.post("/v1/platform/datasets/{dataset_id}/examples")
async def upload_examples(dataset_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    dataset = await run_in_threadpool(require_dataset, svc, dataset_id)  # 404 before reading the body
    body = await read_multipart_body(request, svc.settings.max_request_bytes)
    examples: dict[str, dict[str, Any]] = {}
    for part in parse_multipart(body, request.headers.get("content-type", "")):
        example_id, _, field = part.name.partition(".")
        entry = examples.setdefault(example_id, {"dataset_id": dataset.id, "id": example_id})
        if field.startswith("attachment"):
            raise NotSupported("`POST /v1/platform/datasets/{id}/examples` with attachments")
        try:
            value = msgspec.json.decode(part.data) if part.data else None
        except msgspec.DecodeError as exc:
            raise MalformedRequest(f"part {part.name!r} is not JSON: {exc}", field=part.name) from None
        if field == "":
            if not isinstance(value, dict):
                raise MalformedRequest(f"part {part.name!r} must be a JSON object", field=part.name)
            entry.update({key: value[key] for key in ("metadata", "split", "source_run_id", "use_source_run_io")
                          if key in value})
        elif field in ("inputs", "outputs"):
            entry[field] = value
        else:
            raise MalformedRequest(f"unknown part {part.name!r}", field=part.name)
    for example_id in examples:
        try:
            uuid.UUID(example_id)
        except ValueError:
            raise MalformedRequest(f"example id {example_id[:64]!r} is not a UUID", field=example_id) from None
    created = await run_in_threadpool(create_from_bodies, svc, list(examples.values()))
    return FastJSON({"example_ids": [example.id for example in created], "count": len(created)})
