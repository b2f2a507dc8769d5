"""``ExportTraceServiceRequest`` → ``Span`` objects, convention by convention, with per-source stats.

    translator = Translator(max_value_chars=settings.max_payload_bytes)
    result = translator.translate(request, project=None)
    await pipeline.submit(result.spans)       # one pipeline call per request

Spans are checked one by one: a span with bad ids or values is rejected alone (counted for the
OTLP ``partial_success``), never the whole request. Field precedence lives in ``conventions``.

The hot path is per span: one pass over the attributes (owner, noise, scalar candidates all come
from a cached ``KeyInfo``), the precedence tables pre-filtered for the conventions present (a cached
``Plan``), and report notes gathered as one tuple per span, counted per request (spans of a source
mostly share one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from tracehound.ingest.otlp import conventions as conv
from tracehound.ingest.otlp.conventions import Event, SpanView
from tracehound.ingest.otlp.decode import ValueReader, hex_id
from tracehound.ingest.otlp.ids import parent_from_tracestate, span_uuid_raw, trace_uuid, valid_span_id, valid_trace_id
from tracehound.ingest.otlp.report import SourceStats
from tracehound.ingest.otlp.shape import AS_INT, AS_IS, Shape, shape_of
from tracehound.ingest.otlp.values import as_float, as_int, as_text
from tracehound.model import MAX_ID_CHARS, MAX_NAME_CHARS, MAX_TAG_CHARS, MAX_TAGS, Span
from tracehound.timefmt import iso

DEFAULT_PROJECT: Final = "default"
MAX_MESSAGES: Final = 5
_KINDS: Final = ("unspecified", "internal", "server", "client", "producer", "consumer")
_STATUS_ERROR: Final = 2
_TOKEN_FIELDS: Final = ("prompt_tokens", "completion_tokens", "total_tokens")
_DETAIL_FIELDS: Final = ("cache_read", "cache_write", "reasoning")
_ZERO_SPAN_ID: Final = b"\0" * 8


class _Rejected(Exception):
    """A span that cannot be stored; the message goes into ``partial_success``."""


@dataclass(slots=True)
class Translation:
    """The spans to store, what was rejected and why, and the per-source stats for the report."""

    spans: list[Span] = field(default_factory=list)
    rejected: int = 0
    messages: list[str] = field(default_factory=list)
    sources: dict[tuple[str, str], SourceStats] = field(default_factory=dict)

    def error_message(self) -> str:
        if not self.rejected:
            return ""
        more = self.rejected - len(self.messages)
        return f"{self.rejected} span(s) rejected: " + "; ".join(self.messages) + (f"; and {more} more" if more > 0
                                                                                 else "")


@dataclass(slots=True)
class _Scope:
    """What every span of one ``ScopeSpans`` shares."""

    service: str
    scope: str
    scope_version: str
    project: str
    resource: dict[str, Any]
    resource_meta: dict[str, Any]
    notes: dict[tuple[Any, ...], int]


class Translator:
    """Turns OTLP export requests into spans; one instance serves every request (it holds no state)."""

    def __init__(self, *, max_value_chars: int, default_project: str = DEFAULT_PROJECT):
        self.max_value_chars = max_value_chars
        self.default_project = default_project

    def translate(self, request: Any, *, project: str | None = None) -> Translation:
        """Translate one ``ExportTraceServiceRequest``; ``project`` (from a header) beats the resource."""
        result = Translation()
        reader = ValueReader(self.max_value_chars)
        ids: dict[bytes, str] = {}  # (trace id + span id) → our UUID, so a parent in the batch is hashed once
        for resource_spans in request.resource_spans:
            resource = reader.attributes(resource_spans.resource.attributes)
            service = as_text(resource.get("service.name")) or "unknown_service"
            chosen, defaulted = self._project(project, resource, service)
            resource_meta = {key: value for key, value in resource.items() if key != "service.name"}
            for scope_spans in resource_spans.scope_spans:
                scope = _Scope(service, scope_spans.scope.name or "(no scope)", scope_spans.scope.version, chosen,
                               resource, resource_meta, {})
                stats = result.sources.get((service, scope.scope))
                if stats is None:
                    stats = result.sources[(service, scope.scope)] = SourceStats(service, scope.scope,
                                                                                 scope.scope_version)
                for span in scope_spans.spans:
                    reader.truncated = []
                    notes: list[tuple[str, ...]] = [("projects", chosen)]
                    if defaulted:
                        notes.append(("defaulted", f"project: {chosen}"))
                    try:
                        built = self._span(span, reader, scope, notes, ids)
                    except _Rejected as exc:
                        self._reject(result, stats, span, str(exc))
                        continue
                    if reader.truncated:
                        notes.extend(("truncated_attributes", key) for key in reader.truncated)
                    if built is not None:
                        result.spans.append(built)
                        notes.append(("stored",))
                    profile = tuple(notes)
                    scope.notes[profile] = scope.notes.get(profile, 0) + 1
                stats.absorb(scope.notes)
        return result

    # One span ----------------------------------------------------------------------------------

    def _span(self, span: Any, reader: ValueReader, scope: _Scope, notes: list[tuple[str, ...]],
              ids: dict[bytes, str]) -> Span | None:
        raw_trace, raw_span, raw_parent = span.trace_id, span.span_id, span.parent_span_id
        if not valid_trace_id(raw_trace):
            raise _Rejected(f"trace id is {len(raw_trace)} bytes (all zero or not 16)")
        if not valid_span_id(raw_span):
            raise _Rejected(f"span id is {len(raw_span)} bytes (all zero or not 8)")
        if raw_parent and len(raw_parent) != 8:
            raise _Rejected(f"parent span id is {len(raw_parent)} bytes, not 8")
        span_hex = hex_id(raw_span)
        own = ids.get(raw_trace + raw_span)
        if own is None:
            own = ids[raw_trace + raw_span] = span_uuid_raw(raw_trace, span_hex)
        parent = parent_hex = None
        if raw_parent and raw_parent != _ZERO_SPAN_ID:
            parent_hex = hex_id(raw_parent)
            if span.trace_state:
                parent = parent_from_tracestate(span.trace_state, parent_hex)
            if parent is None:
                parent = ids.get(raw_trace + raw_parent)
                if parent is None:
                    parent = ids[raw_trace + raw_parent] = span_uuid_raw(raw_trace, parent_hex)

        attrs = reader.attributes(span.attributes)
        events = [Event(event.name, event.time_unix_nano // 1000, reader.attributes(event.attributes))
                  for event in span.events] if span.events else []
        shape = shape_of(tuple(attrs), tuple(event.name for event in events) if events else ())
        if shape.key_notes:
            notes.extend(shape.key_notes)

        view = SpanView(span.name, span.kind, attrs, events, scope.resource, scope.scope, shape=shape)
        plan = shape.plan
        for _, drop in plan.drop:
            reason = drop(view)
            if reason:
                notes.append(("dropped", reason))
                return None
        notes.extend(shape.convention_notes)
        scalars: dict[str, Any] = {}
        for field_name, how, candidates in shape.scalars:
            for key, owner in candidates:
                value = attrs[key]
                usable = as_int(value) if how == AS_INT else (value if how == AS_IS else as_text(value))
                if usable is not None:
                    scalars[field_name] = usable
                    notes.append(("fields", field_name, owner))
                    break
        for convention, extractor in plan.usage:
            for field_name, value in (extractor(view) or {}).items():
                if field_name not in scalars:
                    scalars[field_name] = value
                    notes.append(("fields", field_name, convention.name))

        run_type = _first(plan.run_type, view, notes, "run_type")
        if run_type is None:
            run_type, label = _heuristic_run_type(shape, scalars)
            notes.append(("defaulted", label))
        view.run_type = run_type
        notes.append(("run_types", run_type))
        name = as_text(_first(plan.name, view, notes, "name")) or span.name or "span"
        inputs = _first(plan.inputs, view, notes, "inputs")
        outputs = _first(plan.outputs, view, notes, "outputs")
        if inputs is None:
            notes.append(("missing", f"inputs:{run_type}"))
        if outputs is None:
            notes.append(("missing", f"outputs:{run_type}"))
        model = scalars.get("model")
        if run_type in ("llm", "embedding"):
            if model is None:
                notes.append(("missing", f"model:{run_type}"))
            if not any(token in scalars for token in _TOKEN_FIELDS):
                notes.append(("missing", f"tokens:{run_type}"))

        tags: list[str] = []
        for convention, extractor in plan.tags:
            found = extractor(view)
            if found:
                tags.extend(found)
                notes.append(("fields", "tags", convention.name))
        metadata: dict[str, Any] = {}
        for _, extractor in plan.metadata:
            found = extractor(view)
            if found:
                metadata.update(found)
        _call_metadata(metadata, scalars, model)
        metadata["otel"] = _otel_metadata(span, scope, shape, attrs, raw_trace, span_hex, parent_hex)

        start_us, end_us = span.start_time_unix_nano // 1000, span.end_time_unix_nano // 1000
        start_us = start_us or end_us
        end_us = end_us or start_us
        if not start_us:
            raise _Rejected("the span has neither a start nor an end time")
        error = _error(span, attrs, events) if span.status.code == _STATUS_ERROR else None
        status, status_reason = _status(scalars.get("status"), error, attrs, events)
        cost = as_float(scalars["cost"]) if "cost" in scalars else None
        cost_details = (scalars.get("cost_details") or _cost_details(attrs)) if cost is not None else None
        try:
            return Span(
                id=own, trace_id=trace_uuid(raw_trace), parent_id=parent, project=scope.project,
                name=name[:MAX_NAME_CHARS], run_type=run_type, start_time=start_us, end_time=end_us,  # type: ignore[arg-type]
                status=status, status_reason=status_reason, error=error, inputs=inputs, outputs=outputs,
                step=scalars.get("step"),
                session_id=_clip(scalars.get("session_id")), user_id=_clip(scalars.get("user_id")),
                model=_clip(model), prompt_tokens=scalars.get("prompt_tokens"),
                completion_tokens=scalars.get("completion_tokens"), total_tokens=scalars.get("total_tokens"),
                cost=cost, cost_details=cost_details,
                metadata=metadata, tags=list(dict.fromkeys(tag[:MAX_TAG_CHARS] for tag in tags))[:MAX_TAGS],
                events=[{"name": event.name, "time": iso(event.time_us), "attributes": event.attrs}
                        for index, event in enumerate(events) if index not in view.consumed_events],
            )
        except ValueError as exc:
            raise _Rejected(str(exc)) from None

    def _project(self, header: str | None, resource: dict[str, Any], service: str) -> tuple[str, bool]:
        if header:
            return header[:MAX_ID_CHARS], False
        for key in conv.PROJECT_RESOURCE_KEYS:
            named = as_text(resource.get(key))
            if named:
                return named[:MAX_ID_CHARS], False
        if not service.startswith("unknown_service"):
            return service[:MAX_ID_CHARS], False
        return self.default_project, True

    @staticmethod
    def _reject(result: Translation, stats: SourceStats, span: Any, reason: str) -> None:
        result.rejected += 1
        stats.absorb({(("rejected",), ("rejections", reason[:120])): 1})
        if len(result.messages) < MAX_MESSAGES:
            result.messages.append(f"span {hex_id(span.span_id) or '(no id)'} {span.name[:60]!r}: {reason}")


def _first(entries: tuple[conv.Extractor, ...], view: SpanView, notes: list[tuple[str, ...]], field_name: str) -> Any:
    """The first non-empty value in precedence order, crediting its convention in the report."""
    for convention, extractor in entries:
        value = extractor(view)
        if value is not None and value != "":
            notes.append(("fields", field_name, convention.name))
            return value
    return None


def _call_metadata(metadata: dict[str, Any], scalars: dict[str, Any], model: str | None) -> None:
    provider = scalars.get("provider")
    if provider is not None:
        metadata["provider"] = provider
    request_model = scalars.get("request_model")
    if request_model is not None and request_model != model:
        metadata["request_model"] = request_model
    details = {name: scalars[name] for name in _DETAIL_FIELDS if name in scalars}
    if details:
        metadata["usage_details"] = details
    if "cost" in scalars:
        metadata["cost_source"] = "reported"


def _otel_metadata(span: Any, scope: _Scope, shape: Shape, attrs: dict[str, Any], raw_trace: bytes,
                   span_hex: str, parent_hex: str | None) -> dict[str, Any]:
    """What OTel said that no field holds: ids as hex, kind, scope, resource, unmapped attributes, links."""
    otel: dict[str, Any] = {
        "trace_id": hex_id(raw_trace), "span_id": span_hex,
        "kind": _KINDS[span.kind] if 0 <= span.kind < len(_KINDS) else span.kind,
        "service": scope.service, "scope": scope.scope, "conventions": list(shape.conventions),
    }
    if parent_hex is not None:
        otel["parent_span_id"] = parent_hex
    if scope.scope_version:
        otel["scope_version"] = scope.scope_version
    if scope.resource_meta:
        otel["resource"] = scope.resource_meta
    if shape.unmapped:
        otel["attributes"] = {key: attrs[key] for key in shape.unmapped}
    if span.status.message:
        otel["status_message"] = span.status.message
    if span.links:
        otel["links"] = [{"trace_id": hex_id(link.trace_id), "span_id": hex_id(link.span_id)} for link in span.links]
    if span.trace_state:
        otel["trace_state"] = span.trace_state
    return otel


def _heuristic_run_type(shape: Shape, scalars: dict[str, Any]) -> tuple[str, str]:
    if shape.tool_name:
        return "tool", "run_type: tool (heuristic: tool name)"
    if shape.documents:
        return "retriever", "run_type: retriever (heuristic: documents)"
    if scalars.get("model") is not None and any(token in scalars for token in _TOKEN_FIELDS):
        return "llm", "run_type: llm (heuristic: model and tokens)"
    return "chain", "run_type: chain (no convention)"


def _error(span: Any, attrs: dict[str, Any], events: list[Event]) -> str:
    lines = [span.status.message] if span.status.message else []
    for event in events:
        if event.name == "exception":
            head = ": ".join(str(part) for part in (event.attrs.get("exception.type"),
                                                    event.attrs.get("exception.message")) if part)
            if head and head not in lines:
                lines.append(head)
            if event.attrs.get("exception.stacktrace"):
                lines.append(str(event.attrs["exception.stacktrace"]))
            break
    if not lines:
        lines.append(str(attrs.get("error.type") or "error"))
    return "\n".join(lines)


def _status(declared: Any, error: str | None, attrs: dict[str, Any], events: list[Event]) -> tuple[str, str | None]:
    """ok / error / interrupted: ``tracehound.status`` says so, or the exception is a LangGraph interrupt."""
    if declared == "interrupted":
        return "interrupted", as_text(attrs.get("tracehound.status_reason")) or "interrupted"
    if error is not None:
        kind = str(attrs.get("error.type") or "")
        for event in events:
            if event.name == "exception":
                kind = str(event.attrs.get("exception.type") or kind)
                break
        short = kind.rsplit(".", 1)[-1]  # OTel records the qualified name: langgraph.errors.GraphInterrupt
        if short in conv.INTERRUPT_TYPES:
            return "interrupted", short
        return "error", None
    return "ok", None


def _cost_details(attrs: dict[str, Any]) -> dict[str, float] | None:
    details = {}
    for key, name in (("llm.cost.prompt", "prompt"), ("llm.cost.completion", "completion")):
        value = as_float(attrs.get(key))
        if value is not None:
            details[name] = value
    return details or None


def _clip(value: Any) -> str | None:
    text = as_text(value)
    return text[:MAX_ID_CHARS] if text is not None else None
