"""``ExportTraceServiceRequest`` → ``Span`` objects, convention by convention, with per-source stats.

    translator = Translator(max_value_chars=settings.max_payload_bytes)
    result = translator.translate(request, project=None)
    await pipeline.submit(result.spans)       # one pipeline call per request

Spans are checked one by one: a span with bad ids or values is rejected alone (counted for the
OTLP ``partial_success``), never the whole request. Field precedence lives in ``conventions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from tracehound.ingest.otlp import conventions as conv
from tracehound.ingest.otlp.conventions import Event, SpanView
from tracehound.ingest.otlp.decode import ValueReader, hex_id
from tracehound.ingest.otlp.ids import parent_from_tracestate, span_uuid, trace_uuid, valid_span_id, valid_trace_id
from tracehound.ingest.otlp.report import SourceStats
from tracehound.ingest.otlp.values import as_float, as_int, as_text
from tracehound.model import MAX_ID_CHARS, MAX_NAME_CHARS, MAX_TAG_CHARS, MAX_TAGS, Span
from tracehound.timefmt import iso

DEFAULT_PROJECT: Final = "default"
MAX_MESSAGES: Final = 5
_KINDS: Final = ("unspecified", "internal", "server", "client", "producer", "consumer")
_STATUS_ERROR: Final = 2
_TOKEN_FIELDS: Final = ("prompt_tokens", "completion_tokens", "total_tokens")
_DETAIL_FIELDS: Final = ("cache_read", "cache_write", "reasoning")
_HEURISTIC: Final = "heuristic"


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


class Translator:
    """Turns OTLP export requests into spans; one instance serves every request (it holds no state)."""

    def __init__(self, *, max_value_chars: int, default_project: str = DEFAULT_PROJECT):
        self.max_value_chars = max_value_chars
        self.default_project = default_project

    def translate(self, request: Any, *, project: str | None = None) -> Translation:
        """Translate one ``ExportTraceServiceRequest``; ``project`` (from a header) beats the resource."""
        result = Translation()
        reader = ValueReader(self.max_value_chars)
        for resource_spans in request.resource_spans:
            resource = reader.attributes(resource_spans.resource.attributes)
            service = as_text(resource.get("service.name")) or "unknown_service"
            chosen, defaulted = self._project(project, resource, service)
            resource_meta = {key: value for key, value in resource.items() if key != "service.name"}
            for scope_spans in resource_spans.scope_spans:
                scope = scope_spans.scope.name or "(no scope)"
                key = (service, scope)
                stats = result.sources.get(key)
                if stats is None:
                    stats = result.sources[key] = SourceStats(service, scope, scope_spans.scope.version)
                for span in scope_spans.spans:
                    stats.spans += 1
                    reader.truncated = []
                    try:
                        built = self._span(span, reader, resource, resource_meta, service, scope_spans.scope, chosen,
                                           stats)
                    except _Rejected as exc:
                        self._reject(result, stats, span, str(exc))
                        continue
                    for truncated in reader.truncated:
                        stats.truncated_attributes[truncated] = stats.truncated_attributes.get(truncated, 0) + 1
                    if built is None:
                        continue
                    stats.stored += 1
                    stats.projects[chosen] = stats.projects.get(chosen, 0) + 1
                    if defaulted:
                        stats.defaulted[f"project: {chosen}"] = stats.defaulted.get(f"project: {chosen}", 0) + 1
                    result.spans.append(built)
        return result

    # One span ----------------------------------------------------------------------------------

    def _span(self, span: Any, reader: ValueReader, resource: dict[str, Any], resource_meta: dict[str, Any],
              service: str, scope: Any, project: str, stats: SourceStats) -> Span | None:
        raw_trace, raw_span, raw_parent = span.trace_id, span.span_id, span.parent_span_id
        if not valid_trace_id(raw_trace):
            raise _Rejected(f"trace id is {len(raw_trace)} bytes (all zero or not 16)")
        if not valid_span_id(raw_span):
            raise _Rejected(f"span id is {len(raw_span)} bytes (all zero or not 8)")
        if raw_parent and len(raw_parent) != 8:
            raise _Rejected(f"parent span id is {len(raw_parent)} bytes, not 8")
        trace = trace_uuid(raw_trace)
        span_hex = hex_id(raw_span)
        parent_hex = hex_id(raw_parent) if raw_parent and raw_parent != b"\0" * 8 else None
        parent = None
        if parent_hex is not None:
            parent = (parent_from_tracestate(span.trace_state, parent_hex) if span.trace_state else None) \
                or span_uuid(trace, parent_hex)

        attrs = reader.attributes(span.attributes)
        events = [Event(event.name, event.time_unix_nano // 1000, reader.attributes(event.attributes))
                  for event in span.events]
        view = SpanView(span.name, span.kind, attrs, events, resource, scope.name)

        present: set[str] = set()
        unmapped: dict[str, Any] = {}
        owner_of = conv.owner_of
        for key, value in attrs.items():
            owner = owner_of(key)
            if owner is None:
                unmapped[key] = value
                stats.unmapped_attributes[key] = stats.unmapped_attributes.get(key, 0) + 1
            elif owner.ignores(key):
                stats.ignored_attributes[key] = stats.ignored_attributes.get(key, 0) + 1
            else:
                present.add(owner.name)
        for event in events:
            owner = conv.event_owner(event.name)
            if owner is not None:
                present.add(owner.name)

        for convention, drop in conv.DROP:
            if convention.name in present:
                reason = drop(view)
                if reason:
                    stats.dropped[reason] = stats.dropped.get(reason, 0) + 1
                    return None
        for name in present:
            stats.conventions[name] = stats.conventions.get(name, 0) + 1

        scalars = _scalars(attrs, stats)
        run_type = _first(conv.RUN_TYPE, view, present, stats, "run_type")
        if run_type is None:
            run_type, label = _heuristic_run_type(attrs, scalars)
            stats.defaulted[label] = stats.defaulted.get(label, 0) + 1
        view.run_type = run_type
        stats.run_types[run_type] = stats.run_types.get(run_type, 0) + 1

        name = _first(conv.NAME, view, present, stats, "name")
        name = as_text(name) or span.name or "span"
        inputs = _first(conv.INPUTS, view, present, stats, "inputs")
        outputs = _first(conv.OUTPUTS, view, present, stats, "outputs")
        if inputs is None:
            stats.missing[f"inputs:{run_type}"] = stats.missing.get(f"inputs:{run_type}", 0) + 1
        if outputs is None:
            stats.missing[f"outputs:{run_type}"] = stats.missing.get(f"outputs:{run_type}", 0) + 1

        model = as_text(scalars.get("model"))
        if run_type in ("llm", "embedding"):
            if model is None:
                stats.missing[f"model:{run_type}"] = stats.missing.get(f"model:{run_type}", 0) + 1
            if all(scalars.get(token) is None for token in _TOKEN_FIELDS):
                stats.missing[f"tokens:{run_type}"] = stats.missing.get(f"tokens:{run_type}", 0) + 1

        tags: list[str] = []
        for convention, extractor in conv.TAGS:
            if convention.name in present:
                found = extractor(view)
                if found:
                    tags.extend(found)
                    stats.field_source("tags", convention.name)

        metadata = self._metadata(view, present, scalars, model, resource_meta, unmapped, span, service,
                                  scope, trace_hex=hex_id(raw_trace), span_hex=span_hex, parent_hex=parent_hex)
        start_us, end_us = span.start_time_unix_nano // 1000, span.end_time_unix_nano // 1000
        if not start_us:
            start_us = end_us
        if not end_us:
            end_us = start_us
        if not start_us:
            raise _Rejected("the span has neither a start nor an end time")
        error = _error(span, attrs, events) if span.status.code == _STATUS_ERROR else None
        cost = as_float(scalars.get("cost"))
        try:
            return Span(
                id=span_uuid(trace, span_hex), trace_id=trace, parent_id=parent, project=project,
                name=name[:MAX_NAME_CHARS], run_type=run_type, start_time=start_us, end_time=end_us,  # type: ignore[arg-type]
                status="error" if error is not None else "ok", error=error, inputs=inputs, outputs=outputs,
                session_id=_clip(scalars.get("session_id")), user_id=_clip(scalars.get("user_id")),
                model=_clip(model), prompt_tokens=scalars.get("prompt_tokens"),
                completion_tokens=scalars.get("completion_tokens"), total_tokens=scalars.get("total_tokens"),
                cost=cost, cost_details=_cost_details(attrs) if cost is not None else None,
                metadata=metadata, tags=list(dict.fromkeys(tag[:MAX_TAG_CHARS] for tag in tags))[:MAX_TAGS],
                events=[{"name": event.name, "time": iso(event.time_us), "attributes": event.attrs}
                        for index, event in enumerate(events) if index not in view.consumed_events],
            )
        except ValueError as exc:
            raise _Rejected(str(exc)) from None

    def _metadata(self, view: SpanView, present: set[str], scalars: dict[str, Any], model: str | None,
                  resource_meta: dict[str, Any], unmapped: dict[str, Any], span: Any, service: str, scope: Any,
                  *, trace_hex: str, span_hex: str, parent_hex: str | None) -> dict[str, Any]:
        metadata: dict[str, Any] = {}
        for group in (conv.USER_METADATA, conv.CALL_METADATA):
            for convention, extractor in group:
                if convention.name in present:
                    found = extractor(view)
                    if found:
                        metadata.update(found)
        provider = as_text(scalars.get("provider"))
        if provider is not None:
            metadata["provider"] = provider
        request_model = as_text(scalars.get("request_model"))
        if request_model is not None and request_model != model:
            metadata["request_model"] = request_model
        details = {name: scalars[name] for name in _DETAIL_FIELDS if scalars.get(name) is not None}
        if details:
            metadata["usage_details"] = details
        if scalars.get("cost") is not None:
            metadata["cost_source"] = "reported"
        otel: dict[str, Any] = {
            "trace_id": trace_hex, "span_id": span_hex, "kind": _KINDS[span.kind] if 0 <= span.kind < 6 else span.kind,
            "service": service, "scope": scope.name, "conventions": sorted(present),
        }
        if parent_hex is not None:
            otel["parent_span_id"] = parent_hex
        if scope.version:
            otel["scope_version"] = scope.version
        if resource_meta:
            otel["resource"] = resource_meta
        if unmapped:
            otel["attributes"] = unmapped
        if span.status.message:
            otel["status_message"] = span.status.message
        if span.links:
            otel["links"] = [{"trace_id": hex_id(link.trace_id), "span_id": hex_id(link.span_id)}
                             for link in span.links]
        if span.trace_state:
            otel["trace_state"] = span.trace_state
        metadata["otel"] = otel
        return metadata

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
        stats.rejected += 1
        label = reason.split(":", 1)[0] if reason.startswith("`") else reason
        stats.rejections[label[:120]] = stats.rejections.get(label[:120], 0) + 1
        if len(result.messages) < MAX_MESSAGES:
            result.messages.append(f"span {hex_id(span.span_id) or '(no id)'} {span.name[:60]!r}: {reason}")


def _first(entries: tuple[conv.Extractor, ...], view: SpanView, present: set[str], stats: SourceStats,
           field_name: str) -> Any:
    """The first non-empty value in precedence order, crediting its convention in the report."""
    for convention, extractor in entries:
        if convention.name in present:
            value = extractor(view)
            if value is not None and value != "":
                stats.field_source(field_name, convention.name)
                return value
    return None


_INT_SCALARS: Final = frozenset({*_TOKEN_FIELDS, *_DETAIL_FIELDS})


def _scalars(attrs: dict[str, Any], stats: SourceStats) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, keys in conv.SCALARS.items():
        for key in keys:
            value = attrs.get(key)
            if value is None:
                continue
            if name in _INT_SCALARS:
                value = as_int(value)
            elif name != "cost":
                value = as_text(value)
            if value is not None:
                out[name] = value
                owner = conv.owner_of(key)
                stats.field_source(name, owner.name if owner else key)
                break
    return out


def _heuristic_run_type(attrs: dict[str, Any], scalars: dict[str, Any]) -> tuple[str, str]:
    if "gen_ai.tool.name" in attrs or "tool.name" in attrs:
        return "tool", "run_type: tool (heuristic: tool name)"
    if any(key.startswith("retrieval.documents.") for key in attrs):
        return "retriever", "run_type: retriever (heuristic: documents)"
    if scalars.get("model") is not None and any(scalars.get(token) is not None for token in _TOKEN_FIELDS):
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
