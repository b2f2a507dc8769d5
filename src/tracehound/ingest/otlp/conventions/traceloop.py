"""OpenLLMetry / Traceloop: ``traceloop.span.kind``, entity input/output, flattened ``gen_ai.prompt.N.*``.

Both shapes are in the wild: the legacy flattened messages (``gen_ai.prompt.0.role``) and, since
March 2026 for some instrumentations, the GenAI ``gen_ai.input.messages`` (read by ``genai``).
"""

from __future__ import annotations

import re
from typing import Any, Final

from tracehound.ingest.otlp import messages
from tracehound.ingest.otlp.conventions.base import Convention, SpanView
from tracehound.ingest.otlp.values import parse_json, parse_json_any, wrap

CONVENTION: Final = Convention(
    name="traceloop",
    keys=frozenset({"llm.request.type", "llm.is_streaming", "llm.user", "llm.headers", "llm.response.finish_reason",
                    "llm.response.stop_reason", "llm.frequency_penalty", "llm.presence_penalty", "llm.top_k",
                    "llm.chat.stop_sequences"}),
    prefixes=("traceloop.", "llm.usage.", "llm.request.functions."),
    pattern=re.compile(r"^gen_ai\.(?:prompt|completion)\.\d+\."),
)

_SPAN_KINDS: Final = {"workflow": "chain", "task": "chain", "agent": "agent", "tool": "tool", "unknown": "chain"}
_REQUEST_TYPES: Final = {"chat": "llm", "completion": "llm", "embedding": "embedding", "rerank": "retriever"}
_ASSOCIATION: Final = "traceloop.association.properties."


def run_type(view: SpanView) -> str | None:
    kind = view.get("traceloop.span.kind")
    if isinstance(kind, str) and kind.lower() in _SPAN_KINDS:
        return _SPAN_KINDS[kind.lower()]
    request = view.get("llm.request.type")
    return _REQUEST_TYPES.get(request.lower()) if isinstance(request, str) else None


def name(view: SpanView) -> str | None:
    return view.get("traceloop.entity.name")


def inputs(view: SpanView) -> Any:
    found = messages.from_traceloop(view.unflatten("gen_ai.prompt"))
    if found:
        return {"messages": found}
    entity = view.get("traceloop.entity.input")
    return wrap(parse_json_any(entity), "input") if entity is not None else None


def outputs(view: SpanView) -> Any:
    found = messages.from_traceloop(view.unflatten("gen_ai.completion"))
    if found:
        return {"messages": found}
    entity = view.get("traceloop.entity.output")
    return wrap(parse_json_any(entity), "output") if entity is not None else None


def user_metadata(view: SpanView) -> dict[str, Any] | None:
    """``traceloop.association.properties.*``: the user's own context (session, user, anything)."""
    return view.collect(_ASSOCIATION) or None


def metadata(view: SpanView) -> dict[str, Any] | None:
    attrs = view.attrs
    out: dict[str, Any] = {}
    prompt = view.collect("traceloop.prompt.")
    if prompt:
        out["prompt"] = prompt
    for key, field in (("traceloop.entity.path", "entity_path"), ("traceloop.entity.version", "entity_version"),
                       ("traceloop.workflow.name", "workflow_name"), ("llm.is_streaming", "streaming"),
                       ("llm.response.finish_reason", "finish_reason"), ("llm.response.stop_reason", "stop_reason")):
        if key in attrs:
            out[field] = attrs[key]
    functions = view.unflatten("llm.request.functions")
    if functions:
        out["tools"] = [{k: parse_json(v) for k, v in item.items()} if isinstance(item, dict) else item
                        for item in functions]
    params = {key[4:]: attrs[key] for key in ("llm.frequency_penalty", "llm.presence_penalty", "llm.top_k",
                                              "llm.chat.stop_sequences") if key in attrs}
    if params:
        out["invocation_params"] = params
    return out or None
