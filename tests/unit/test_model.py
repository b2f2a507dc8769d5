"""The span model: validation errors name the span and the field; ids and times normalise."""

from __future__ import annotations

import msgspec
import pytest

from tests.spans import BASE_US, new_id, span, tree
from tracehound.errors import InvalidSpan, MalformedRequest
from tracehound.model import RUN_TYPES, Span, decode_batch


def batch(*spans: dict) -> bytes:
    return msgspec.json.encode({"spans": list(spans)})


def test_decodes_iso_and_microsecond_times_to_microseconds() -> None:
    (decoded,) = decode_batch(batch(span(start_time="2026-04-15T10:00:00Z", end_time=BASE_US + 1_500_000)))
    assert decoded.start_us == BASE_US
    assert decoded.latency_s == 1.5
    assert decoded.status == "ok"


def test_bare_list_is_accepted() -> None:
    assert len(decode_batch(msgspec.json.encode(tree(3)))) == 3


def test_ids_are_normalised_to_lower_case_hyphenated_form() -> None:
    raw = new_id()
    (decoded,) = decode_batch(batch(span(id=raw.upper().replace("-", ""), trace_id=raw.upper())))
    assert decoded.id == raw and decoded.trace_id == raw


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"end_time": BASE_US - 1}, "end_time", "before it starts"),
        ({"run_type": "robot"}, "run_type", "robot"),
        ({"id": "not-a-uuid"}, "id", "not a UUID"),
        ({"parent_id": "123"}, "parent_id", "not a UUID"),
        ({"name": 7}, "name", "Expected `str`"),
        ({"name": ""}, "name", "1 to"),
        ({"start_time": "yesterday"}, "start_time", "ISO-8601"),
        ({"prompt_tokens": -3}, "total_tokens", "negative"),
        ({"tags": ["x" * 300]}, "tags", "at most"),
        ({"status": "running"}, "status", "cannot be running"),
    ],
)
def test_a_bad_span_is_reported_with_its_index_and_field(change: dict, field: str, words: str) -> None:
    good = span(start_time=BASE_US)
    bad = span(**{"start_time": BASE_US, **change})
    with pytest.raises(InvalidSpan) as caught:
        decode_batch(batch(good, bad))
    assert caught.value.index == 1
    assert caught.value.field == field
    assert words in str(caught.value)
    assert str(caught.value).startswith("span 1")


def test_a_parent_in_another_trace_is_rejected() -> None:
    first = span()
    other = span(new_id(), parent_id=first["id"])
    with pytest.raises(InvalidSpan) as caught:
        decode_batch(batch(first, other))
    assert caught.value.field == "parent_id" and caught.value.index == 1
    assert first["trace_id"] in str(caught.value)


def test_malformed_json_is_a_malformed_request() -> None:
    with pytest.raises(MalformedRequest):
        decode_batch(b'{"spans": [')


def test_status_is_derived_when_not_given() -> None:
    running, failed = decode_batch(batch(span(end_time=None), span(error="ValueError: boom")))
    assert running.status == "running" and running.latency_s is None
    assert failed.status == "error"


def test_interrupted_keeps_its_reason() -> None:
    (decoded,) = decode_batch(batch(span(status="interrupted", status_reason="approval_required")))
    assert (decoded.status, decoded.status_reason) == ("interrupted", "approval_required")


def test_total_tokens_is_the_sum_when_missing() -> None:
    (decoded,) = decode_batch(batch(span(run_type="llm", prompt_tokens=120, completion_tokens=30)))
    assert decoded.total_tokens == 150


def test_every_run_type_is_accepted() -> None:
    decoded = decode_batch(batch(*[span(run_type=run_type) for run_type in RUN_TYPES]))
    assert [s.run_type for s in decoded] == list(RUN_TYPES)


def test_to_api_gives_iso_times_and_derived_fields() -> None:
    data = Span(**span(start_time=BASE_US, end_time=BASE_US + 2000)).to_api()
    assert data["start_time"] == "2026-04-15T10:00:00.000000Z"
    assert data["latency_s"] == 0.002 and data["is_root"] is True
