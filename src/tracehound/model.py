"""The one span model every source is translated into, and the batch that carries it.

A span is one step of an agent turn: an LLM call, a tool call, a retrieval, a chain. Spans of one
turn share a ``trace_id`` and point at their ``parent_id``. Times are integer UTC microseconds
inside; on the wire ``start_time``/``end_time`` may also be ISO-8601 strings, normalised on decode.

    >>> span = decode_batch(b'{"spans": [{"id": "...", ...}]}')[0]

Validation happens once, while decoding (``msgspec`` in C for types, ``__post_init__`` for the
rules types cannot say), so a bad span is reported with its index and field before anything is
stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final, Literal

import msgspec

from tracehound.errors import InvalidSpan, MalformedRequest
from tracehound.timefmt import iso, parse_iso_us

RunType = Literal["llm", "tool", "retriever", "chain", "embedding", "prompt", "parser", "agent", "guardrail"]
RUN_TYPES: Final = ("llm", "tool", "retriever", "chain", "embedding", "prompt", "parser", "agent", "guardrail")
Status = Literal["ok", "error", "interrupted", "running"]
STATUSES: Final = ("ok", "error", "interrupted", "running")

MAX_NAME_CHARS: Final = 1024
MAX_TAGS: Final = 256
MAX_TAG_CHARS: Final = 256
MAX_ID_CHARS: Final = 512

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def _uuid(value: str, field: str) -> str:
    """Canonical lower-case hyphenated form, so the same id written two ways is one span."""
    if len(value) == 36 and value.islower() and _UUID.match(value):
        return value
    if not _UUID.match(value):
        raise ValueError(f"`{field}`: {value[:64]!r} is not a UUID")
    h = value.replace("-", "").lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _time_us(value: int | str, field: str) -> int:
    if isinstance(value, int):
        return value
    try:
        return parse_iso_us(value)
    except ValueError:
        raise ValueError(f"`{field}`: {value[:64]!r} is not an ISO-8601 timestamp or integer microseconds") from None


class Span(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One run: the unit every store, query and metric speaks."""

    id: str
    trace_id: str
    name: str
    start_time: int | str
    run_type: RunType = "chain"
    parent_id: str | None = None
    dotted_order: str | None = None
    project: str = "default"
    session_id: str | None = None
    user_id: str | None = None
    end_time: int | str | None = None
    status: Status | None = None
    status_reason: str | None = None
    error: str | None = None
    inputs: Any = None
    outputs: Any = None
    metadata: dict[str, Any] = {}
    tags: list[str] = []
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cost: float | None = None
    cost_details: dict[str, float] | None = None
    model: str | None = None
    step: int | None = None
    reference_example_id: str | None = None
    events: list[dict[str, Any]] = []

    def __post_init__(self) -> None:
        self.id = _uuid(self.id, "id")
        self.trace_id = _uuid(self.trace_id, "trace_id")
        if self.parent_id is not None:
            self.parent_id = _uuid(self.parent_id, "parent_id")
            if self.parent_id == self.id:
                raise ValueError("`parent_id`: a span cannot be its own parent")
        if self.reference_example_id is not None:
            self.reference_example_id = _uuid(self.reference_example_id, "reference_example_id")
        self.start_time = _time_us(self.start_time, "start_time")
        if self.end_time is not None:
            self.end_time = _time_us(self.end_time, "end_time")
            if self.end_time < self.start_time:
                raise ValueError(
                    f"`end_time`: ends {self.start_time - self.end_time} µs before it starts"
                )
        if not self.name or len(self.name) > MAX_NAME_CHARS:
            raise ValueError(f"`name`: must be 1 to {MAX_NAME_CHARS} characters")
        if not self.project or len(self.project) > MAX_ID_CHARS:
            raise ValueError(f"`project`: must be 1 to {MAX_ID_CHARS} characters")
        if (self.session_id is not None and len(self.session_id) > MAX_ID_CHARS) or (
            self.user_id is not None and len(self.user_id) > MAX_ID_CHARS
        ) or (self.model is not None and len(self.model) > MAX_ID_CHARS):
            raise ValueError(f"`session_id`, `user_id` and `model` are limited to {MAX_ID_CHARS} characters")
        if self.tags and (len(self.tags) > MAX_TAGS or max(map(len, self.tags)) > MAX_TAG_CHARS):
            raise ValueError(f"`tags`: at most {MAX_TAGS} tags of at most {MAX_TAG_CHARS} characters")
        if (self.prompt_tokens or 0) < 0 or (self.completion_tokens or 0) < 0 or (self.total_tokens or 0) < 0:
            raise ValueError("`total_tokens`: token counts must not be negative")
        if (self.step or 0) < 0:
            raise ValueError("`step`: must not be negative")
        if self.total_tokens is None and (self.prompt_tokens is not None or self.completion_tokens is not None):
            self.total_tokens = (self.prompt_tokens or 0) + (self.completion_tokens or 0)
        if self.status is None:
            if self.error is not None:
                self.status = "error"
            elif self.end_time is None:
                self.status = "running"
            else:
                self.status = "ok"
        elif self.status == "running" and self.end_time is not None:
            raise ValueError("`status`: a span with an end_time cannot be running")

    # Derived values -------------------------------------------------------------------------

    @property
    def start_us(self) -> int:
        """Start in UTC microseconds (``start_time`` after decoding)."""
        return self.start_time  # type: ignore[return-value]

    @property
    def end_us(self) -> int | None:
        """End in UTC microseconds, ``None`` while running."""
        return self.end_time  # type: ignore[return-value]

    @property
    def latency_s(self) -> float | None:
        """Duration in seconds, ``None`` while running."""
        end = self.end_us
        return None if end is None else (end - self.start_us) / 1e6

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    def to_api(self) -> dict[str, Any]:
        """The span as the API shows it: ISO times plus the derived fields."""
        data = msgspec.structs.asdict(self)
        data["start_time"] = iso(self.start_us)
        data["end_time"] = iso(self.end_us)
        data["latency_s"] = self.latency_s
        data["is_root"] = self.is_root
        return data


NULL_JSON: Final = msgspec.Raw(b"null")


class WireSpan(Span, kw_only=True, omit_defaults=True):
    """A span as decoded from the wire: inputs and outputs stay raw JSON bytes.

    Ingest stores payloads as JSON anyway, so decoding them into Python objects only to encode them
    again would be wasted work (it is half the cost of decoding a typical span).
    """

    inputs: msgspec.Raw = NULL_JSON
    outputs: msgspec.Raw = NULL_JSON


class SpanBatch(msgspec.Struct):
    """The body of ``POST /api/v1/spans``."""

    spans: list[Span]


class _WireBatch(msgspec.Struct):
    spans: list[WireSpan]


_ERROR_PATH = re.compile(
    r"^(?P<message>.*?)(?: - at `\$(?:\.spans)?(?:\[(?P<index>\d+)\])?(?:\.(?P<field>\w+))?[^`]*`)?$", re.S
)
_FIELD_IN_MESSAGE = re.compile(r"^`(\w+)`: ")

_batch_decoder = msgspec.json.Decoder(_WireBatch)
_span_list_decoder = msgspec.json.Decoder(list[WireSpan])


def decode_batch(body: bytes) -> list[WireSpan]:
    """Decode and validate a JSON batch, either ``{"spans": [...]}`` or a bare list.

    Raises:
        InvalidSpan: naming the index and field of the first bad span; nothing of the batch is kept.
        MalformedRequest: the body is not JSON.
    """
    try:
        bare_list = body.lstrip()[:1] == b"["
        spans = _span_list_decoder.decode(body) if bare_list else _batch_decoder.decode(body).spans
    except msgspec.ValidationError as exc:
        raise invalid_span_from(exc) from None
    except msgspec.DecodeError as exc:
        raise MalformedRequest(f"malformed JSON: {exc}") from None
    check_batch(spans)
    return spans


def invalid_span_from(exc: msgspec.ValidationError) -> InvalidSpan:
    """Turn msgspec's ``... - at `$.spans[3].name``` into an error with index and field."""
    text = str(exc)
    match = _ERROR_PATH.match(text)
    assert match is not None  # the pattern matches any text
    message, index, field = match.group("message"), match.group("index"), match.group("field")
    inner = _FIELD_IN_MESSAGE.match(message)
    if inner:
        field = field or inner.group(1)
        message = message[inner.end():]
    where = f"span {index}" if index is not None else "batch"
    return InvalidSpan(
        f"{where}: `{field}`: {message}" if field else f"{where}: {message}",
        field=field,
        index=int(index) if index is not None else None,
    )


def check_batch(spans: Sequence[Span]) -> None:
    """Rules across spans of one batch: a parent given in the batch must be in the same trace.

    Raises:
        InvalidSpan: naming the offending span.
    """
    trace_of = {span.id: span.trace_id for span in spans}
    for index, span in enumerate(spans):
        parent = span.parent_id
        if parent is not None:
            parent_trace = trace_of.get(parent)
            if parent_trace is not None and parent_trace != span.trace_id:
                raise InvalidSpan(
                    f"span {index} ({span.id}): `parent_id`: parent {parent} is in trace {parent_trace},"
                    f" not {span.trace_id}",
                    field="parent_id", index=index, span_id=span.id,
                )


def encode_spans(spans: list[Span]) -> bytes:
    """The wire form of a batch (what the SDK exporter sends)."""
    return msgspec.json.encode(SpanBatch(spans))
