"""LangSmith trace ingest: ``POST /runs/multipart``, ``POST /runs/batch``, ``POST /runs``, ``PATCH /runs/{id}``.

Every path ends in ``pipeline.submit`` (redaction, sampling, rollups, alerts and full-text search
apply as for native spans), and is idempotent per run id: a post and a patch merge in any order,
nulls in a patch mean "unchanged", and a re-sent body stores nothing new. A patch that lacks what a
span needs (a manual ``update_run`` sends name, trace and start as null) is completed from the span
already stored. Feedback parts of a multipart body are stored even when their run has not arrived.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from tracehound.errors import InvalidSpan, MalformedRequest, PayloadTooLarge
from tracehound.model import Span, check_batch
from tracehound.server import access
from tracehound.server.langsmith.bodies import json_object, json_value
from tracehound.server.langsmith.feedback import to_feedback
from tracehound.server.langsmith.multipart import parse_multipart, read_multipart_body
from tracehound.server.langsmith.projects import find_project
from tracehound.server.langsmith.state import LangSmithState, langsmith_state
from tracehound.server.langsmith.translate import ATTACHMENTS_KEY, merge_ops, to_span
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.base import Feedback

router = APIRouter()
log = logging.getLogger(__name__)
_FIELDS = frozenset(("inputs", "outputs", "events", "extra", "error", "serialized", "attachments"))
_decode = msgspec.json.decode


class _Ops:
    """The runs, feedback and attachments of one request, gathered before anything is stored."""

    def __init__(self) -> None:
        self.posts: dict[str, dict[str, Any]] = {}
        self.patches: dict[str, dict[str, Any]] = {}
        self.feedback: list[dict[str, Any]] = []
        self.attachments: dict[str, dict[str, tuple[str, bytes]]] = {}

    def add(self, kind: str, run: Any) -> None:
        if not isinstance(run, dict) or not run.get("id"):
            raise MalformedRequest(f"a {kind} run must be a JSON object with an `id`", field=kind)
        target = self.posts if kind == "post" else self.patches
        target.setdefault(str(run["id"]).lower(), {}).update(run)


@router.post("/runs/multipart")
async def ingest_multipart(request: Request, svc: Services = Depends(services),
                           state: LangSmithState = Depends(langsmith_state)) -> FastJSON:
    """The SDK's default trace path: form-data parts, plain or zstd-compressed."""
    body = await read_multipart_body(request, svc.settings.max_request_bytes)
    ops = _Ops()
    for part in parse_multipart(body, request.headers.get("content-type", "")):
        kind, _, rest = part.name.partition(".")
        if kind == "attachment":
            run_id, _, name = rest.partition(".")
            ops.attachments.setdefault(run_id.lower(), {})[name] = (part.content_type.split(";")[0].strip(),
                                                                     part.data)
            continue
        try:
            value = _decode(part.data) if part.data else None
        except msgspec.DecodeError as exc:
            raise MalformedRequest(f"part {part.name!r} is not JSON: {exc}", field=part.name) from None
        if kind == "feedback":
            ops.feedback.append(value if isinstance(value, dict) else {})
        elif kind in ("post", "patch"):
            run_id, _, field = rest.partition(".")
            if not field:
                ops.add(kind, value)
            elif field in _FIELDS:
                target = ops.posts if kind == "post" else ops.patches
                target.setdefault(run_id.lower(), {"id": run_id})[field] = value
        else:
            raise MalformedRequest(f"unknown multipart part {part.name!r} (expected post., patch., attachment."
                                   " or feedback.)", field=part.name)
    return FastJSON(await ingest(svc, state, ops), status_code=202)


@router.post("/runs/batch")
async def ingest_batch(request: Request, svc: Services = Depends(services),
                       state: LangSmithState = Depends(langsmith_state)) -> FastJSON:
    """``{"post": [run...], "patch": [run...]}`` with fields inline (the SDK's fallback path)."""
    body = await json_value(request, svc.settings.max_request_bytes)
    if not isinstance(body, dict):
        raise MalformedRequest("expected {\"post\": [...], \"patch\": [...]}")
    ops = _Ops()
    for kind in ("post", "patch"):
        for run in body.get(kind) or []:
            ops.add(kind, run)
    return FastJSON(await ingest(svc, state, ops), status_code=202)


@router.post("/runs")
async def create_run(request: Request, svc: Services = Depends(services),
                     state: LangSmithState = Depends(langsmith_state)) -> FastJSON:
    """One run, sent synchronously (``client.create_run``); ``trace_id``/``dotted_order`` may be absent."""
    ops = _Ops()
    ops.add("post", await json_value(request, svc.settings.max_request_bytes))
    return FastJSON(await ingest(svc, state, ops), status_code=202)


@router.patch("/runs/{run_id}")
async def update_run(run_id: str, request: Request, svc: Services = Depends(services),
                     state: LangSmithState = Depends(langsmith_state)) -> FastJSON:
    """Update one run; null fields are left unchanged."""
    run = await json_object(request, svc.settings.max_request_bytes)
    ops = _Ops()
    ops.add("patch", {**run, "id": run_id})
    return FastJSON(await ingest(svc, state, ops), status_code=202)


async def ingest(svc: Services, state: LangSmithState, ops: _Ops) -> dict[str, int]:
    """Translate and store one request's runs, then its feedback; schedule experiment rebuilds."""
    runs = [merge_ops(ops.posts.get(run_id), ops.patches.get(run_id))
            for run_id in dict.fromkeys([*ops.posts, *ops.patches])]
    limit = svc.settings.max_spans_per_request
    if len(runs) > limit:
        raise PayloadTooLarge(f"{len(runs)} runs in one request; the limit is {limit}", limit=limit, field="runs")
    spans = await run_in_threadpool(_translate, svc, state, runs, ops.attachments)
    check_batch(spans)
    access.check_ingest(span.project for span in spans)
    await svc.pipeline.submit(spans, "langsmith")
    feedback = [to_feedback(item) for item in ops.feedback]
    if feedback:
        await run_in_threadpool(svc.feedback.add_feedback, feedback)
    touched = await run_in_threadpool(_experiments_touched, state, spans, feedback)
    if touched:
        state.sync.touch(touched)
    return {"runs": len(spans), "feedback": len(feedback)}


def _translate(svc: Services, state: LangSmithState, runs: list[dict[str, Any]],
               attachments: dict[str, dict[str, tuple[str, bytes]]]) -> list[Span]:
    projects: dict[str, str] = {}
    spans = []
    for index, run in enumerate(runs):
        run_id = str(run["id"]).lower()
        stored = None
        if not (run.get("name") and run.get("start_time") and run.get("trace_id")
                and (run.get("session_name") or run.get("session_id"))):
            stored = svc.spans.get_span(run_id)
        parent = None
        if not run.get("trace_id") and run.get("parent_run_id") and stored is None:
            parent = svc.spans.get_span(str(run["parent_run_id"]).lower())
        project = _project(svc, run, stored, projects)
        if run_id in attachments:
            run = _with_attachments(state, run, attachments[run_id])
        try:
            spans.append(to_span(run, project, stored, parent))
        except (ValueError, TypeError, msgspec.ValidationError) as exc:
            raise InvalidSpan(f"run {index} ({run_id}): {exc}", index=index, span_id=run_id) from None
    return spans


def _project(svc: Services, run: dict[str, Any], stored: Span | None, cache: dict[str, str]) -> str:
    """The project a run goes to: ``session_name``, else the project with ``session_id``, else where it is."""
    if run.get("session_name"):
        return str(run["session_name"])
    session_id = run.get("session_id")
    if session_id:
        key = str(session_id)
        if key not in cache:
            project = find_project(svc, key)
            cache[key] = project.name if project is not None else key
        return cache[key]
    return stored.project if stored is not None else "default"


def _with_attachments(state: LangSmithState, run: dict[str, Any],
                      files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
    """Store attachment bytes by content hash; the run's metadata lists them (name → type, size, hash)."""
    state.attachments_dir.mkdir(parents=True, exist_ok=True)
    listed = {}
    for name, (mime_type, data) in files.items():
        digest = hashlib.sha256(data).hexdigest()
        path = state.attachments_dir / digest
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        listed[name] = {"mime_type": mime_type, "size_bytes": len(data), "sha256": digest}
    extra = dict(run.get("extra") or {})
    extra["metadata"] = {**(extra.get("metadata") or {}), ATTACHMENTS_KEY: listed}
    return {**run, "extra": extra}


def _experiments_touched(state: LangSmithState, spans: Iterable[Span], feedback: list[Feedback]) -> set[str]:
    touched = set()
    for project in {span.project for span in spans}:
        experiment = state.sync.experiment_of_project(project)
        if experiment is not None:
            touched.add(experiment.id)
    touched |= experiments_of_feedback(state, feedback)
    return touched


def experiments_of_feedback(state: LangSmithState, feedback: list[Feedback]) -> set[str]:
    """Experiments whose results a batch of feedback changes (by its session, else by its run's project)."""
    touched = set()
    experiments = state.svc.meta.experiments
    for item in feedback:
        session = item.source_info.get("session_id")
        experiment = experiments.get_experiment(str(session)) if session else None
        if experiment is None:
            span = state.svc.spans.get_span(item.run_id)
            experiment = state.sync.experiment_of_project(span.project) if span is not None else None
        if experiment is not None:
            touched.add(experiment.id)
    return touched
