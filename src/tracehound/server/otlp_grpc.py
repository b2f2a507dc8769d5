"""OTLP/gRPC trace ingest (``opentelemetry.proto.collector.trace.v1.TraceService/Export``), port 4317 by convention.

Opt-in: ``TRACEHOUND_GRPC_PORT`` (or ``tracehound serve --grpc-port 4317``) with the ``grpc`` extra
(``grpcio``). The request bytes go through the very path OTLP/HTTP protobuf takes — ``decode_request``,
the shared ``Translator`` and mapping report, ``IngestPipeline`` — so translation, durability (the
answer comes after the commit) and partial success (``rejected_spans`` + ``error_message``) are the
same. Errors map to gRPC status codes as OTLP/HTTP maps them to ``google.rpc.Code``: backpressure is
``UNAVAILABLE`` (the OTel exporters retry it), the span cap ``RESOURCE_EXHAUSTED``, a bad body
``INVALID_ARGUMENT``, a missing or wrong key ``UNAUTHENTICATED``. The key is the server's API key sent
as ``x-api-key`` or ``authorization: Bearer`` metadata; the project is ``x-tracehound-project``.
"""

from __future__ import annotations

import hmac
import logging
from concurrent import futures
from typing import Any, Final

from tracehound.errors import PayloadTooLarge, StoreError, TracehoundError
from tracehound.server.routes.otlp import PROJECT_HEADER, RPC_CODES, otlp_state
from tracehound.server.services import Services

try:
    import grpc

    _MISSING: str | None = None
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    _MISSING = str(_exc)

log = logging.getLogger(__name__)
SERVICE: Final = "opentelemetry.proto.collector.trace.v1.TraceService"
_PROTOBUF: Final = "application/x-protobuf"
INSTALL: Final = "OTLP/gRPC needs grpcio: pip install 'tracehound[grpc]'"


class GrpcUnavailable(TracehoundError):
    status = 501
    code = "grpc_unavailable"


class OtlpGrpcServer:
    """The gRPC server beside the HTTP app; ``start()`` binds, ``stop()`` drains in-flight exports."""

    def __init__(self, app: Any, svc: Services, *, host: str, port: int, workers: int = 8) -> None:
        if _MISSING is not None:
            raise GrpcUnavailable(f"{INSTALL} ({_MISSING})")
        self.app, self.svc = app, svc
        limit = svc.settings.max_request_bytes
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="otlp-grpc"),
                                  options=[("grpc.max_receive_message_length", limit)])
        handler = grpc.unary_unary_rpc_method_handler(self.export)  # bytes in, bytes out: no re-encoding
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, {"Export": handler}),))
        self.port = self.server.add_insecure_port(f"{host}:{port}")
        if not self.port:
            raise StoreError(f"cannot listen for OTLP/gRPC on {host}:{port}")
        self.api_key = svc.settings.server_api_key.encode() if svc.settings.server_api_key else None

    def start(self) -> None:
        self.server.start()

    def stop(self, grace_s: float = 5.0) -> None:
        self.server.stop(grace_s).wait(grace_s + 1)

    def export(self, body: bytes, context: Any) -> bytes:
        """One ``Export`` call: the spans are committed before the answer."""
        metadata = dict(context.invocation_metadata() or ())
        if not self._authorised(metadata):
            context.abort(grpc.StatusCode.UNAUTHENTICATED,
                          "missing API key (send x-api-key)" if not _given(metadata) else "wrong API key")
        try:
            return self._ingest(body, metadata.get(PROJECT_HEADER) or None)
        except TracehoundError as exc:
            context.abort(_status(exc.status), str(exc))
        raise AssertionError("unreachable")  # pragma: no cover - abort raises

    def _ingest(self, body: bytes, project: str | None) -> bytes:
        from tracehound.ingest.otlp.decode import decode_request, encode_response

        state = otlp_state(self.app, self.svc)
        export = decode_request(body, _PROTOBUF)
        count = sum(len(scope.spans) for resource in export.resource_spans for scope in resource.scope_spans)
        limit = self.svc.settings.max_spans_per_request
        if count > limit:
            raise PayloadTooLarge(f"{count} spans in one request; the limit is {limit}"
                                  " (lower the exporter's max_export_batch_size)", limit=limit, field="spans")
        result = state.translator.translate(export, project=project)
        self.svc.pipeline.submit_sync(result.spans)
        state.saver.report.add(result.sources)
        if state.saver.due():
            try:
                state.saver.save()
            except StoreError as exc:  # the report is diagnostics: never fail an ingest for it
                log.warning("could not save the OTLP mapping report: %s", exc)
        return encode_response(_PROTOBUF, result.rejected, result.error_message())

    def _authorised(self, metadata: dict[str, str]) -> bool:
        if self.api_key is None:
            return True
        given = _given(metadata)
        return given is not None and hmac.compare_digest(given.encode(), self.api_key)


def _given(metadata: dict[str, str]) -> str | None:
    if "x-api-key" in metadata:
        return metadata["x-api-key"]
    authorization = metadata.get("authorization", "")
    return authorization[7:].strip() if authorization[:7].lower() == "bearer " else None


def _status(http_status: int) -> Any:
    code = RPC_CODES.get(http_status, 13)
    return next(status for status in grpc.StatusCode if status.value[0] == code)
