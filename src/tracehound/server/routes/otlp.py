"""OTLP/HTTP trace ingest (``POST /v1/traces``, also ``/api/v1/otel/v1/traces``) and the mapping report.

Answers follow the OTLP spec: ``ExportTraceServiceResponse`` in the request's content type, with
``partial_success`` naming spans rejected one by one; errors as ``google.rpc.Status`` (protobuf, or
its JSON form with our ``error`` object beside it); 413 over the size or span cap; 503 with
``Retry-After`` under backpressure (the OTel exporters retry it). The project is the
``X-Tracehound-Project`` header, else the resource's ``tracehound.project`` or
``openinference.project.name``, else its ``service.name``, else ``default``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

import anyio
from fastapi import APIRouter, Depends, Request, Response

from tracehound.errors import MalformedRequest, PayloadTooLarge, StoreError, TracehoundError
from tracehound.server import access
from tracehound.server.body import UnsupportedEncoding, read_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

try:  # opentelemetry-proto is needed only here; without it the rest of the server still runs
    from tracehound.ingest.otlp.decode import decode_request, encode_response, media_type
    from tracehound.ingest.otlp.report_store import ReportSaver, ReportStore
    from tracehound.ingest.otlp.translate import Translator

    _MISSING: str | None = None
except ImportError as _exc:  # pragma: no cover - exercised only on a slim install
    _MISSING = str(_exc)

log = logging.getLogger(__name__)
router = APIRouter()

PROJECT_HEADER: Final = "x-tracehound-project"
_INSTALL: Final = "OTLP ingest needs opentelemetry-proto: pip install 'opentelemetry-proto>=1.25'"
# HTTP status → google.rpc.Code, for the Status body OTLP clients log.
RPC_CODES: Final = {400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 413: 8, 415: 3, 422: 3, 429: 8, 501: 12, 503: 14}


class OtlpUnavailable(TracehoundError):
    status = 501
    code = "otlp_unavailable"


@dataclass
class _Otlp:
    """Per-app OTLP state: the translator and the mapping report (created on first use)."""

    translator: Translator
    saver: ReportSaver


def otlp_state(app: Any, svc: Services) -> _Otlp:
    """The app's OTLP state, shared by OTLP/HTTP and OTLP/gRPC (``server/otlp_grpc.py``)."""
    state = getattr(app.state, "otlp", None)
    if state is None:
        if _MISSING is not None:
            raise OtlpUnavailable(f"{_INSTALL} ({_MISSING})")
        state = _Otlp(Translator(max_value_chars=svc.settings.max_payload_bytes),
                      ReportSaver(ReportStore(svc.meta.ingest_sources)))
        app.state.otlp = state
    return state


def _state(request: Request, svc: Services) -> _Otlp:
    return otlp_state(request.app, svc)


@router.post("/v1/traces")
@router.post("/api/v1/otel/v1/traces")
async def export_traces(request: Request, svc: Services = Depends(services)) -> Response:
    """Store the spans of an OTLP export request; answers once they are committed."""
    content_type = request.headers.get("content-type")
    media = "application/x-protobuf" if "protobuf" in (content_type or "") else "application/json"
    try:
        state = _state(request, svc)
        media = media_type(content_type)
        body = await _read(request, svc.settings.max_request_bytes)
        export = decode_request(body, media)
        count = sum(len(scope.spans) for resource in export.resource_spans for scope in resource.scope_spans)
        limit = svc.settings.max_spans_per_request
        if count > limit:
            raise PayloadTooLarge(f"{count} spans in one request; the limit is {limit}"
                                  " (lower the exporter's max_export_batch_size)", limit=limit, field="spans")
        result = state.translator.translate(export, project=request.headers.get(PROJECT_HEADER) or None)
        access.check_ingest(span.project for span in result.spans)
        await svc.pipeline.submit(result.spans, "otlp")
    except TracehoundError as exc:
        return _error(exc, media)
    state.saver.report.add(result.sources)
    if state.saver.due():
        await _save(state)
    return Response(encode_response(media, result.rejected, result.error_message()), media_type=media)


@router.get("/api/v1/ingest/report", response_class=FastJSON)
async def ingest_report(request: Request, service: str | None = None, svc: Services = Depends(services)) -> FastJSON:
    """The mapping report: per OTLP source (service.name + scope), what was recognised, dropped, defaulted;
    ``at_ingest``: per protocol (native, langsmith, otlp), where tokens, model, cost and step came from."""
    state = _state(request, svc)
    await _save(state)
    sources = state.saver.report.sources()
    if service is not None:
        sources = [source for source in sources if source["service"] == service]
    return FastJSON({"sources": sources, "at_ingest": svc.pipeline.enricher.ledger.to_dict()})


async def _read(request: Request, max_bytes: int) -> bytes:
    try:
        return await read_body(request, max_bytes)
    except UnsupportedEncoding as exc:
        encoding = request.headers.get("content-encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):  # a known encoding whose data is corrupt
            raise MalformedRequest(str(exc)) from None
        raise


async def _save(state: _Otlp) -> None:
    try:
        await anyio.to_thread.run_sync(state.saver.save)
    except StoreError as exc:  # the report is diagnostics: never fail an ingest for it
        log.warning("could not save the OTLP mapping report: %s", exc)


def _error(exc: TracehoundError, media: str) -> Response:
    headers = {}
    retry_after = getattr(exc, "retry_after_s", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    code = RPC_CODES.get(exc.status, 13)
    if media == "application/x-protobuf":
        return Response(_status_protobuf(code, str(exc)), status_code=exc.status, headers=headers,
                        media_type="application/x-protobuf")
    return FastJSON({"code": code, "message": str(exc), **exc.to_dict()}, status_code=exc.status, headers=headers)


def _status_protobuf(code: int, message: str) -> bytes:
    """``google.rpc.Status{code, message}`` encoded by hand (two fields; no googleapis dependency)."""
    text = message.encode()
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
