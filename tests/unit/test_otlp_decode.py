"""OTLP decoding details: media types, hex ids in JSON, attribute values, id derivation."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from tracehound.errors import MalformedRequest
from tracehound.ingest.otlp.decode import UnsupportedMediaType, ValueReader, decode_request, media_type
from tracehound.ingest.otlp.ids import parent_from_tracestate, span_uuid, span_uuid_raw, trace_uuid, tracestate_entry


def test_media_type_ignores_parameters_and_rejects_others() -> None:
    assert media_type("application/json; charset=utf-8") == "application/json"
    assert media_type("Application/X-Protobuf") == "application/x-protobuf"
    with pytest.raises(UnsupportedMediaType):
        media_type("text/plain")


def test_json_ids_are_hex_not_base64() -> None:
    trace_hex, span_hex = "5B8EFFF798038103D269B633813FC60C", "eee19b7ec3c1b174"
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": trace_hex, "spanId": span_hex, "name": "s", "startTimeUnixNano": "1700000000000000000",
         "kind": 2, "unknownField": 1}]}]}]}).encode()
    span = decode_request(body, "application/json").resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id.hex() == trace_hex.lower() and span.span_id.hex() == span_hex
    assert span.start_time_unix_nano == 1_700_000_000_000_000_000 and span.kind == 2


def test_json_that_is_not_an_export_request_is_malformed() -> None:
    for body in (b"[1, 2]", b'{"resourceSpans": [{"scopeSpans": 3}]}', b"\xff"):
        with pytest.raises(MalformedRequest):
            decode_request(body, "application/json")


def test_structured_values_and_the_cap() -> None:
    reader = ValueReader(max_chars=10)
    values = [KeyValue(key="list", value=AnyValue(array_value={"values": [AnyValue(int_value=1),
                                                                         AnyValue(bool_value=True)]})),
              KeyValue(key="map", value=AnyValue(kvlist_value={"values": [KeyValue(key="k", value=AnyValue(
                  double_value=0.5))]})),
              KeyValue(key="long", value=AnyValue(string_value="x" * 11)),
              KeyValue(key="bytes", value=AnyValue(bytes_value=b"\x01\x02"))]
    decoded = reader.attributes(values)
    assert decoded["list"] == [1, True] and decoded["map"] == {"k": 0.5} and decoded["bytes"] == "AQI="
    assert decoded["long"] == {"__tracehound_truncated__": {"original_bytes": 11, "preview": "xxxxx"}}
    assert reader.truncated == ["long"]


def test_ids_are_deterministic_and_match_uuid5() -> None:
    for _ in range(50):
        trace, span_hex = os.urandom(16), os.urandom(8).hex()
        assert trace_uuid(trace) == str(uuid.UUID(bytes=trace))
        assert span_uuid_raw(trace, span_hex) == span_uuid(trace_uuid(trace), span_hex) \
            == str(uuid.uuid5(uuid.UUID(bytes=trace), span_hex))


def test_tracestate_names_the_parent_uuid_only_for_that_parent() -> None:
    ours = str(uuid.uuid4())
    state = f"vendor=x,{tracestate_entry('a1b2c3d4e5f60718', ours)}"
    assert parent_from_tracestate(state, "a1b2c3d4e5f60718") == ours
    assert parent_from_tracestate(state, "ffffffffffffffff") is None
