"""A JSON attribute holding a lone surrogate escape is kept as its text, not a 500."""

from __future__ import annotations

import uuid

import httpx
import pytest

pytestmark = pytest.mark.anyio

TRACE_HEX = "5b8efff798038103d269b633813fc60c"


async def test_lone_surrogate_in_a_json_attribute_is_stored_as_text(api: httpx.AsyncClient) -> None:
    raw_input = '{"question": "\\ud800 broken"}'
    body = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "surrogates"}}]},
        "scopeSpans": [{"scope": {"name": "test"}, "spans": [{
            "traceId": TRACE_HEX, "spanId": "eee19b7ec3c1b174", "name": "agent",
            "startTimeUnixNano": "1776247200000000000", "endTimeUnixNano": "1776247201000000000",
            "attributes": [{"key": "openinference.span.kind", "value": {"stringValue": "CHAIN"}},
                           {"key": "input.value", "value": {"stringValue": raw_input}}],
        }]}],
    }]}
    response = await api.post("/v1/traces", json=body)
    assert response.status_code == 200, response.text
    trace = (await api.get(f"/api/v1/traces/{uuid.UUID(TRACE_HEX)}")).json()
    (span,) = trace["spans"]
    assert span["name"] == "agent"
    assert span["inputs"] == {"input": raw_input}
