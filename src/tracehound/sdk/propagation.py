"""W3C trace context across processes: ``inject`` into outgoing headers, ``extract`` from incoming ones.

A tool calling an HTTP service puts the service's spans in the same trace, whichever SDK the service
uses::

    @tracehound.traceable(run_type="tool")
    def lookup(order_id):
        return httpx.get(URL, headers=tracehound.inject({})).json()

    # in the service (ours):                      # or OpenTelemetry's:
    with tracehound.extract(request.headers):     #   ctx = opentelemetry.propagate.extract(request.headers)
        handle(request)                           #   tracer.start_as_current_span("handle", context=ctx)

Ids: the OTel trace id is our trace UUID's 16 bytes; the span id is 8 bytes hashed from the span's
UUID. ``tracestate`` carries ``tracehound=<span id hex><uuid hex>`` so an OTel span exported to
tracehound under this parent points at the exact UUID; a ``traceparent`` from an OTel caller maps to
``uuid5(trace UUID, span id hex)``, the id the OTLP ingest gives that caller's span. Either way the
two sides meet in one tree. ``baggage`` carries ``session.id``/``user.id`` of an open session.

Spans the OpenTelemetry SDK makes *in this process* nest under the current span by themselves
(``tracehound.sdk.otel_bridge``), inside an ``extract`` block under the remote caller.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import uuid
from collections.abc import Mapping, MutableMapping
from contextvars import Token
from typing import Any, Final
from urllib.parse import quote, unquote

from tracehound.sdk import otel_bridge
from tracehound.sdk.context import CURRENT_RUN, CURRENT_SESSION
from tracehound.sdk.run import NON_RECORDING, Run, Spec

TRACEPARENT: Final = "traceparent"
TRACESTATE: Final = "tracestate"
BAGGAGE: Final = "baggage"
TRACESTATE_KEY: Final = "tracehound"
_TRACEPARENT: Final = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$")
_MAX_BAGGAGE_CHARS: Final = 8192


def otel_span_id(span_uuid: str) -> str:
    """The 8-byte OTel span id (hex) that stands for one of our span UUIDs (never all zero)."""
    digest = hashlib.blake2b(uuid.UUID(span_uuid).bytes, digest_size=8).hexdigest()
    return digest if digest != "0" * 16 else "0" * 15 + "1"


def span_uuid_for(trace_uuid: str, span_id_hex: str) -> str:
    """Our UUID for an OTel span id within a trace: what the OTLP ingest computes for that span."""
    return str(uuid.uuid5(uuid.UUID(trace_uuid), span_id_hex))


class RemoteParent(Run):
    """A span in another process, standing in as the parent of spans started under ``extract``.

    It is never exported; spans under it get its trace id and point at its UUID.
    """

    __slots__ = ("otel_span_hex", "sampled", "trace_state")

    def __init__(self, trace_id: str, parent_id: str, otel_span_hex: str, *, sampled: bool, trace_state: str = ""):
        # Not Run.__init__: no new id, no clock read, and the root is the (remote) trace itself.
        self._id = uuid.UUID(parent_id).int
        self._id_text = parent_id
        self.spec = Spec(None, "remote parent", "chain", (), {})
        self.parent = None
        self.args_json = self.kwargs_json = self.outputs_json = None
        self.root = _RemoteRoot(trace_id) if trace_id != parent_id else self
        self._steps = itertools.count(1) if self.root is self else None
        self.step = 0
        self.session = None
        self.exc = None
        self._extra = None
        self.start_ns = 0
        self.end_ns = 1  # "ended": setters on it do nothing
        self.dotted = uuid.UUID(parent_id).hex  # a path we cannot know; children sort under the parent's id
        self.otel_span_hex = otel_span_hex
        self.sampled = sampled
        self.trace_state = trace_state

    def _end(self, result: Any) -> None:
        return None

    def _fail(self, exc: BaseException) -> None:
        return None

    def __repr__(self) -> str:
        return f"<RemoteParent id={self.id} trace={self.trace_id}>"


class _RemoteRoot(RemoteParent):
    """The trace's root when only its id is known: gives children the trace id and step numbers."""

    __slots__ = ()

    def __init__(self, trace_id: str):
        super().__init__(trace_id, trace_id, "", sampled=True)


def inject(headers: MutableMapping[str, str] | None = None, run: Run | None = None) -> MutableMapping[str, str]:
    """Add ``traceparent``, ``tracestate`` and ``baggage`` for the current span to outgoing headers.

    Args:
        headers: the headers to add to (a new dict when omitted); returned for chaining.
        run: the span to propagate; the current one by default.

    Returns:
        ``headers``, unchanged when no span is recording here.
    """
    headers = {} if headers is None else headers
    run = CURRENT_RUN.get() if run is None else run
    if run is None or run is NON_RECORDING:
        return headers
    trace_hex = uuid.UUID(run.trace_id).hex
    if isinstance(run, RemoteParent) and run.otel_span_hex:
        span_hex, flags = run.otel_span_hex, "01" if run.sampled else "00"
    else:
        span_hex, flags = otel_span_id(run.id), "01"
    headers[TRACEPARENT] = f"00-{trace_hex}-{span_hex}-{flags}"
    state = f"{TRACESTATE_KEY}={span_hex}{uuid.UUID(run.id).hex}"
    inherited = run.trace_state if isinstance(run, RemoteParent) else ""
    others = [m for m in inherited.split(",") if m.strip() and not m.strip().startswith(f"{TRACESTATE_KEY}=")]
    headers[TRACESTATE] = ",".join([state, *others[:31]])  # W3C: at most 32 members, newest first
    session = run.session or CURRENT_SESSION.get()
    if session is not None:
        session_id, user_id = session
        members = [f"session.id={quote(str(session_id), safe='')}"]
        if user_id is not None:
            members.append(f"user.id={quote(str(user_id), safe='')}")
        headers[BAGGAGE] = ",".join(members)
    return headers


class RemoteContext:
    """The caller's trace, from incoming headers; ``with`` it to make spans inside its children.

    ``valid`` is False when the headers carry no usable ``traceparent``: the block then runs as if
    ``extract`` had not been called (spans start a new trace).
    """

    def __init__(self, parent: RemoteParent | None, baggage: dict[str, str]):
        self.parent = parent
        self.baggage = baggage
        self._tokens: list[tuple[Any, Token[Any]]] = []
        self._otel_tokens: list[Any] = []

    @property
    def valid(self) -> bool:
        return self.parent is not None

    @property
    def trace_id(self) -> str | None:
        return None if self.parent is None else self.parent.trace_id

    @property
    def parent_id(self) -> str | None:
        return None if self.parent is None else self.parent.id

    def __enter__(self) -> RemoteContext:
        if self.parent is not None:
            # An unsampled caller's trace stays unrecorded here too.
            run: Run = self.parent if self.parent.sampled else NON_RECORDING
            self._tokens.append((CURRENT_RUN, CURRENT_RUN.set(run)))
            if otel_bridge.OTEL_MODULE in otel_bridge.MODULES:
                self._otel_tokens.append(otel_bridge.attach(otel_bridge.context_for(run)))
        session_id = self.baggage.get("session.id")
        if session_id and CURRENT_SESSION.get() is None:
            self._tokens.append((CURRENT_SESSION, CURRENT_SESSION.set((session_id, self.baggage.get("user.id")))))
        return self

    def __exit__(self, *exc_info: object) -> None:
        while self._otel_tokens:
            otel_bridge.detach(self._otel_tokens.pop())
        while self._tokens:
            variable, token = self._tokens.pop()
            variable.reset(token)


def extract(headers: Mapping[str, str]) -> RemoteContext:
    """Read the caller's trace context from incoming headers (case-insensitive names).

    Returns:
        A ``RemoteContext``; ``with`` it around the work done for the request. Malformed headers
        give an invalid context rather than an error: tracing never fails a request.
    """
    lowered = {str(key).lower(): value for key, value in headers.items()}
    return RemoteContext(_parent(lowered), _baggage(str(lowered.get(BAGGAGE, ""))))


def _parent(headers: Mapping[str, str]) -> RemoteParent | None:
    match = _TRACEPARENT.match(str(headers.get(TRACEPARENT, "")).strip().lower())
    if match is None:
        return None
    version, trace_hex, span_hex, flags = match.groups()
    if version == "ff" or trace_hex == "0" * 32 or span_hex == "0" * 16:
        return None
    trace_id = str(uuid.UUID(hex=trace_hex))
    state = str(headers.get(TRACESTATE, ""))
    parent_id = _from_tracestate(state, span_hex) or span_uuid_for(trace_id, span_hex)
    return RemoteParent(trace_id, parent_id, span_hex, sampled=bool(int(flags, 16) & 1), trace_state=state)


def _from_tracestate(state: str, span_hex: str) -> str | None:
    for member in state.split(","):
        key, _, value = member.strip().partition("=")
        if key == TRACESTATE_KEY and len(value) == 48 and value[:16] == span_hex:
            try:
                return str(uuid.UUID(hex=value[16:]))
            except ValueError:
                return None
    return None


def _baggage(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for member in text[:_MAX_BAGGAGE_CHARS].split(","):
        key, sep, value = member.split(";", 1)[0].partition("=")
        if sep and key.strip():
            out[unquote(key.strip())] = unquote(value.strip())
    return out


def otel_context(run: Run | None = None) -> Any:
    """An OpenTelemetry ``Context`` whose current span stands for ours, for OTel spans to nest under.

    Spans started while one of ours runs already nest under it (``tracehound.sdk.otel_bridge``); this
    is for a span of ours that is not current here (a thread started without its context)::

        with tracer.start_as_current_span("query", context=tracehound.otel_context(run)): ...

    Returns:
        The context, or ``None`` (OTel's "current context") when no span is recording here.

    Raises:
        ImportError: ``opentelemetry-api`` is not installed (``pip install opentelemetry-api``).
    """
    from opentelemetry import trace

    run = CURRENT_RUN.get() if run is None else run
    if run is None or run is NON_RECORDING:
        return None
    return trace.set_span_in_context(trace.NonRecordingSpan(span_context(run)))


def span_context(run: Run) -> Any:
    """The OpenTelemetry ``SpanContext`` that stands for one of our (recording) spans.

    Trace id: our trace UUID's 16 bytes; span id: as ``inject`` sends it; ``tracestate`` carries our
    UUID, so an OTel child exported to tracehound points at exactly this span.
    """
    from opentelemetry.trace import SpanContext, TraceFlags, TraceState

    headers = inject({}, run)
    _, trace_hex, span_hex, _ = headers[TRACEPARENT].split("-")
    key, _, value = headers[TRACESTATE].split(",")[0].partition("=")
    return SpanContext(int(trace_hex, 16), int(span_hex, 16), is_remote=False,
                       trace_flags=TraceFlags(TraceFlags.SAMPLED), trace_state=TraceState([(key, value)]))
