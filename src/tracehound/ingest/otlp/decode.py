"""OTLP/HTTP bodies into ``ExportTraceServiceRequest`` messages, and attribute values into Python.

Protobuf is parsed by the official ``opentelemetry-proto`` classes (upb, in C). OTLP/JSON differs from
plain proto3 JSON in one way that matters: ids are **hex**, not base64; hex digits are valid base64,
so a naive parse silently yields 24-byte garbage ids. They are converted before parsing.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Final

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tracehound.errors import MalformedRequest, TracehoundError
from tracehound.store.payload import PREVIEW_CHARS, TRUNCATED_KEY

PROTOBUF: Final = "application/x-protobuf"
JSON: Final = "application/json"
MEDIA_TYPES: Final = (PROTOBUF, JSON)

_PLAIN_KINDS: Final = frozenset({"int_value", "double_value", "bool_value"})
# An id that is not hex becomes this, so the span fails the length check and is rejected alone.
_BAD_ID: Final = base64.b64encode(b"\xff").decode()


class UnsupportedMediaType(TracehoundError):
    """The request's Content-Type is neither OTLP protobuf nor OTLP JSON."""

    status = 415
    code = "unsupported_media_type"
    field = "content-type"


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header (``application/json; charset=utf-8`` occurs).

    Raises:
        UnsupportedMediaType: for anything but ``application/x-protobuf`` or ``application/json``.
    """
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type {content_type!r} is not OTLP; send application/x-protobuf or application/json"
        )
    return media


def decode_request(body: bytes, media: str) -> ExportTraceServiceRequest:
    """Parse an export request in either encoding.

    Raises:
        MalformedRequest: the body is not a valid ``ExportTraceServiceRequest``.
    """
    if media == PROTOBUF:
        try:
            return ExportTraceServiceRequest.FromString(body)
        except DecodeError as exc:
            raise MalformedRequest(f"body is not a valid OTLP protobuf ExportTraceServiceRequest: {exc}") from None
    try:
        data = json.loads(body) if body.strip() else {}
        if not isinstance(data, dict):
            raise ValueError("the top level is not an object")
        _hex_ids_to_base64(data)
        return json_format.ParseDict(data, ExportTraceServiceRequest(), ignore_unknown_fields=True)
    except (ValueError, json_format.ParseError, TypeError, AttributeError) as exc:
        raise MalformedRequest(f"body is not a valid OTLP/JSON ExportTraceServiceRequest: {exc}") from None


def _hex_ids_to_base64(data: dict[str, Any]) -> None:
    """Rewrite ``traceId``/``spanId``/``parentSpanId`` (and link ids) in place, only where OTLP puts them."""
    for resource_spans in _list(data, "resourceSpans", "resource_spans"):
        for scope_spans in _list(resource_spans, "scopeSpans", "scope_spans"):
            for span in _list(scope_spans, "spans"):
                _convert_ids(span)
                for link in _list(span, "links"):
                    _convert_ids(link)


def _list(obj: Any, *keys: str) -> list[Any]:
    if not isinstance(obj, dict):
        return []
    for key in keys:
        value = obj.get(key)
        if isinstance(value, list):
            return value
    return []


_ID_KEYS: Final = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _convert_ids(obj: Any) -> None:
    if not isinstance(obj, dict):
        return
    for key in _ID_KEYS:
        value = obj.get(key)
        if isinstance(value, str):
            try:
                obj[key] = base64.b64encode(bytes.fromhex(value)).decode()
            except ValueError:
                obj[key] = _BAD_ID


def encode_response(media: str, rejected: int = 0, message: str = "") -> bytes:
    """``ExportTraceServiceResponse`` in the request's encoding; ``partial_success`` only when needed."""
    response = ExportTraceServiceResponse()
    if rejected or message:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if media == PROTOBUF:
        return response.SerializeToString()
    return json.dumps(json_format.MessageToDict(response)).encode()


class ValueReader:
    """Turns ``AnyValue``s into Python values, capping huge strings instead of rejecting the span.

    A string longer than ``max_chars`` becomes the store's truncation marker shape (a preview plus
    the original size), the same shape a capped payload has, so a reader always sees something was cut.
    ``truncated`` collects the attribute keys that were, for the mapping report.
    """

    __slots__ = ("max_chars", "preview_chars", "truncated")

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        # The marker must itself fit under the store's payload cap, or the store would cap it again.
        self.preview_chars = min(PREVIEW_CHARS, max_chars // 2)
        self.truncated: list[str] = []

    def _marker(self, key: str, text: str, original_bytes: int) -> dict[str, Any]:
        self.truncated.append(key)
        return {TRUNCATED_KEY: {"original_bytes": original_bytes, "preview": text[: self.preview_chars]}}

    def attributes(self, key_values: Any) -> dict[str, Any]:
        """A ``repeated KeyValue`` as a dict (later duplicates win, as in the SDKs)."""
        out: dict[str, Any] = {}
        max_chars = self.max_chars
        for kv in key_values:
            # Inlined ``value`` for the common kinds: each upb field access builds an object, so read once.
            key, any_value = kv.key, kv.value
            kind = any_value.WhichOneof("value")
            if kind == "string_value":
                text = any_value.string_value
                out[key] = text if len(text) <= max_chars else self._marker(key, text, len(text.encode()))
            elif kind in _PLAIN_KINDS:
                out[key] = getattr(any_value, kind)
            elif kind == "array_value":
                out[key] = self._array(any_value.array_value.values, key)
            else:
                out[key] = self.value(any_value, key)
        return out

    def _array(self, items: Any, key: str) -> list[Any]:
        out = []
        max_chars = self.max_chars
        for item in items:
            if item.WhichOneof("value") == "string_value":  # by far the most common element (tags, finish reasons)
                text = item.string_value
                out.append(text if len(text) <= max_chars else self._marker(key, text, len(text.encode())))
            else:
                out.append(self.value(item, key))
        return out

    def value(self, any_value: Any, key: str = "") -> Any:
        kind = any_value.WhichOneof("value")
        if kind == "string_value":
            text = any_value.string_value
            if len(text) > self.max_chars:
                return self._marker(key, text, len(text.encode()))
            return text
        if kind == "int_value":
            return any_value.int_value
        if kind == "double_value":
            return any_value.double_value
        if kind == "bool_value":
            return any_value.bool_value
        if kind == "array_value":
            return self._array(any_value.array_value.values, key)
        if kind == "kvlist_value":
            return {kv.key: self.value(kv.value, key) for kv in any_value.kvlist_value.values}
        if kind == "bytes_value":
            raw = any_value.bytes_value
            if len(raw) > self.max_chars:
                return self._marker(key, base64.b64encode(raw[: self.preview_chars]).decode(), len(raw))
            return base64.b64encode(raw).decode()
        return None


def hex_id(raw: bytes) -> str:
    """Lower-case hex of an id (``bytes.hex`` without the attribute lookup cost in hot loops)."""
    return binascii.hexlify(raw).decode()
