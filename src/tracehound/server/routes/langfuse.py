"""The Langfuse public API the unmodified ``langfuse`` Python SDK (v3 and later) calls.

* ``POST /api/public/otel/v1/traces``: observations as OTLP/HTTP, the same handler as ``/v1/traces``
  (``langfuse.*`` attributes are read by ``ingest/otlp/conventions/langfuse.py``).
* ``POST /api/public/scores``: a JSON list of scores, stored as feedback; answered 202
  ``{"message": "Accepted"}``, or 207 ``{accepted, rejected, errors}`` when some are refused.
* ``GET /api/public/health`` and ``GET /api/public/projects`` (what ``Langfuse.auth_check()`` reads).

The SDK authenticates with HTTP Basic ``public_key:secret_key``; the secret key is the server's API
key (``server/auth.py``). See ``docs/langfuse.md``.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request, Response

import tracehound
from tracehound.errors import TracehoundError
from tracehound.ingest.otlp.ids import span_uuid, trace_uuid
from tracehound.server.decode import InvalidRequest, json_body
from tracehound.server.responses import FastJSON
from tracehound.server.routes.otlp import export_traces
from tracehound.server.services import Services, services
from tracehound.store.base import Feedback
from tracehound.timefmt import now_us, parse_iso_us

router = APIRouter()
router.add_api_route("/api/public/otel/v1/traces", export_traces, methods=["POST"])

_MAX_SCORES = 1000
_HEX = frozenset("0123456789abcdef")


class ScoreBody(msgspec.Struct, rename="camel"):
    """One Langfuse ``CreateScoreRequest`` (unknown fields are ignored, as Langfuse does)."""

    name: str
    value: float | str | bool | None = None
    id: str | None = None
    trace_id: str | None = None
    observation_id: str | None = None
    session_id: str | None = None
    dataset_run_id: str | None = None
    comment: str | None = None
    metadata: Any = None
    environment: str | None = None
    data_type: str | None = None
    config_id: str | None = None
    source: str | None = None
    timestamp: str | None = None


@router.get("/api/public/health", response_class=FastJSON)
def health() -> FastJSON:
    return FastJSON({"status": "OK", "version": tracehound.__version__})


@router.get("/api/public/projects", response_class=FastJSON)
def projects(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """What ``Langfuse.auth_check()`` reads: the projects the key may see (it fails on an empty list)."""
    scope = getattr(getattr(request.state, "principal", None), "projects", None)
    names = [project.name for project in svc.meta.list_projects() if scope is None or project.name in scope]
    if not names and scope is None:
        names = [svc.settings.project]  # a fresh server: the project spans go to by default
    organization = {"id": "tracehound", "name": "tracehound"}
    return FastJSON({"data": [{"id": name, "name": name, "organization": organization, "metadata": {}}
                              for name in names]})


@router.post("/api/public/scores")
async def create_scores(request: Request, svc: Services = Depends(services)) -> Response:
    """Store Langfuse scores as feedback on the observation (or the trace's root) they name."""
    raw = await json_body(request, Any, svc.settings.max_request_bytes)  # type: ignore[arg-type]
    if isinstance(raw, dict):  # one score (older SDKs) or a list
        raw = [raw]
    if not isinstance(raw, list):
        raise InvalidRequest("the body must be a JSON list of scores", field=None)
    if len(raw) > _MAX_SCORES:
        raise InvalidRequest(f"{len(raw)} scores in one request; the limit is {_MAX_SCORES}", field=None)
    stamp = now_us()
    items: list[Feedback] = []
    errors: list[dict[str, str]] = []
    for index, entry in enumerate(raw):
        try:
            body = msgspec.convert(entry, ScoreBody)
            items.append(_feedback(body, stamp, svc))
        except (msgspec.ValidationError, TracehoundError, ValueError) as exc:
            errors.append({"message": f"score {index}: {exc}"})
    if items:
        svc.feedback.add_feedback(items)
    if errors:
        return FastJSON({"accepted": len(items), "rejected": len(errors), "errors": errors}, status_code=207)
    return FastJSON({"message": "Accepted"}, status_code=202)


def _feedback(body: ScoreBody, stamp: int, svc: Services) -> Feedback:
    if not body.name or len(body.name) > 256:
        raise InvalidRequest("`name` must be 1 to 256 characters", field="name")
    if body.trace_id is None:
        raise InvalidRequest("a score needs a `traceId` (session-only and dataset-run scores are not stored)",
                             field="traceId")
    trace = _trace_uuid(body.trace_id)
    if body.observation_id is not None:
        run_id = span_uuid(trace, _span_hex(body.observation_id))
    else:  # a trace score lands on the trace's root span once it is stored, else on the trace id
        outline = svc.spans.get_trace_outline(trace)
        roots = [node.span.id for node in outline if node.span.parent_id is None]
        run_id = roots[0] if roots else trace
    score, value = _score_value(body)
    info: dict[str, Any] = {"langfuse": {key: val for key, val in (
        ("data_type", body.data_type), ("environment", body.environment), ("config_id", body.config_id),
        ("source", body.source), ("metadata", body.metadata), ("session_id", body.session_id))
        if val is not None}}
    created = parse_iso_us(body.timestamp) if body.timestamp else stamp
    score_id = body.id or str(uuid.uuid4())
    return Feedback(id=score_id[:128], run_id=run_id, key=body.name, created_us=created, score=score, value=value,
                    comment=body.comment, source="api", source_info=info, trace_id=trace)


def _score_value(body: ScoreBody) -> tuple[float | None, Any]:
    value = body.value
    if value is None:
        raise InvalidRequest("a score needs a `value`", field="value")
    if isinstance(value, bool):
        return float(value), None
    if isinstance(value, str):  # categorical or text
        return None, value
    if not math.isfinite(value):
        raise InvalidRequest("`value` must be a finite number", field="value")
    return float(value), None


def _trace_uuid(text: str) -> str:
    cleaned = text.replace("-", "").lower()
    if len(cleaned) != 32 or not _HEX.issuperset(cleaned):
        raise InvalidRequest(f"`traceId` {text[:64]!r} is not 32 hex digits (an OTel trace id)", field="traceId")
    return trace_uuid(bytes.fromhex(cleaned))


def _span_hex(text: str) -> str:
    cleaned = text.lower()
    if len(cleaned) != 16 or not _HEX.issuperset(cleaned):
        raise InvalidRequest(f"`observationId` {text[:64]!r} is not 16 hex digits (an OTel span id)",
                             field="observationId")
    return cleaned
