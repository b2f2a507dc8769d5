"""OpenTelemetry GenAI semantic conventions (``gen_ai.*``), old and new attribute names.

Covers messages as attributes (v1.37+: ``gen_ai.input.messages``/``output.messages`` with
``system_instructions``), on the ``gen_ai.client.inference.operation.details`` event, and as the
≤v1.36 per-message span events (``gen_ai.user.message``…, ``gen_ai.choice``); tool and retrieval
spans; ``gen_ai.system`` → ``gen_ai.provider.name``; ``cache_creation`` → ``cache_write``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from tracehound.ingest.otlp import messages
from tracehound.ingest.otlp.conventions.base import Convention, SpanView
from tracehound.ingest.otlp.values import parse_json, parse_json_any, wrap

CONVENTION: Final = Convention(
    name="genai",
    keys=frozenset({
        "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system", "gen_ai.request.model",
        "gen_ai.response.model", "gen_ai.conversation.id", "gen_ai.input.messages", "gen_ai.output.messages",
        "gen_ai.system_instructions", "gen_ai.tool.definitions", "gen_ai.tool.name", "gen_ai.tool.call.id",
        "gen_ai.tool.type", "gen_ai.tool.description", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",
        "gen_ai.retrieval.query.text", "gen_ai.retrieval.documents", "gen_ai.agent.name", "gen_ai.agent.id",
        "gen_ai.agent.description", "gen_ai.agent.version", "gen_ai.workflow.name", "gen_ai.data_source.id",
        "gen_ai.prompt.name", "gen_ai.response.id", "gen_ai.response.finish_reasons", "gen_ai.output.type",
        "gen_ai.user", "gen_ai.response.time_to_first_chunk", "gen_ai.openai.request.service_tier",
        "gen_ai.openai.response.service_tier", "gen_ai.openai.response.system_fingerprint", "error.type",
        "enduser.id",
    }),
    prefixes=("gen_ai.request.", "gen_ai.usage."),
    event_prefixes=("gen_ai.",),
)

DETAILS_EVENT: Final = "gen_ai.client.inference.operation.details"

_RUN_TYPES: Final = {
    "chat": "llm", "text_completion": "llm", "generate_content": "llm", "embeddings": "embedding",
    "retrieval": "retriever", "rerank": "retriever", "execute_tool": "tool", "invoke_agent": "agent",
    "create_agent": "agent", "invoke_workflow": "chain",
}
# Attributes that describe the call without being inputs, outputs or usage: kept in metadata under these names.
_METADATA_KEYS: Final = {
    "gen_ai.agent.name": "agent_name", "gen_ai.agent.id": "agent_id", "gen_ai.agent.description": "agent_description",
    "gen_ai.agent.version": "agent_version", "gen_ai.workflow.name": "workflow_name",
    "gen_ai.data_source.id": "data_source_id", "gen_ai.tool.call.id": "tool_call_id", "gen_ai.tool.type": "tool_type",
    "gen_ai.tool.description": "tool_description", "gen_ai.response.id": "response_id",
    "gen_ai.response.finish_reasons": "finish_reasons", "gen_ai.output.type": "output_type",
    "gen_ai.prompt.name": "prompt_name", "gen_ai.operation.name": "operation",
    "gen_ai.response.time_to_first_chunk": "time_to_first_token_s",
    "gen_ai.openai.response.system_fingerprint": "system_fingerprint",
}


def run_type(view: SpanView) -> str | None:
    return _RUN_TYPES.get(str(view.get("gen_ai.operation.name") or "").lower())


def name(view: SpanView) -> str | None:
    return view.get("gen_ai.tool.name") if view.run_type == "tool" else None


def input_messages(view: SpanView) -> Any:
    return _messages_in(view.attrs)


def output_messages(view: SpanView) -> Any:
    return _messages_out(view.attrs)


def _from_details_event(view: SpanView, read: Callable[[dict[str, Any]], Any]) -> Any:
    """What ``read`` finds in the first details event that has it (that event is then consumed)."""
    for index, event in enumerate(view.events):
        if event.name == DETAILS_EVENT:
            found = read(event.attrs)
            if found is not None:
                view.consumed_events.add(index)
                return found
    return None


def details_event_inputs(view: SpanView) -> Any:
    return _from_details_event(view, _messages_in)


def details_event_outputs(view: SpanView) -> Any:
    return _from_details_event(view, _messages_out)


def tool_inputs(view: SpanView) -> Any:
    arguments = view.get("gen_ai.tool.call.arguments")
    if arguments is not None:
        return wrap(parse_json_any(arguments), "input")
    query = view.get("gen_ai.retrieval.query.text")
    return {"query": query} if query is not None else None


def tool_outputs(view: SpanView) -> Any:
    result = view.get("gen_ai.tool.call.result")
    if result is not None:
        return wrap(parse_json_any(result), "output")
    documents = parse_json(view.get("gen_ai.retrieval.documents"))
    return {"documents": documents} if documents is not None else None


def legacy_event_inputs(view: SpanView) -> Any:
    return _legacy_events(view, inputs=True)


def legacy_event_outputs(view: SpanView) -> Any:
    return _legacy_events(view, inputs=False)


def metadata(view: SpanView) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    attrs = view.attrs
    for key, field in _METADATA_KEYS.items():
        value = attrs.get(key)
        if value is not None:
            out[field] = value
    definitions = attrs.get("gen_ai.tool.definitions")
    if definitions is not None:
        out["tools"] = parse_json(definitions)
    params = {key: value for key, value in view.collect("gen_ai.request.").items() if key != "model"}
    if params:
        out["invocation_params"] = params
    return out or None


def _messages_in(attrs: dict[str, Any]) -> Any:
    found = messages.from_genai(attrs.get("gen_ai.input.messages"))
    system = messages.system_message(attrs.get("gen_ai.system_instructions"))
    if system is not None:
        found.insert(0, system)
    return {"messages": found} if found else None


def _messages_out(attrs: dict[str, Any]) -> Any:
    found = messages.from_genai(attrs.get("gen_ai.output.messages"))
    return {"messages": found} if found else None


def _legacy_events(view: SpanView, *, inputs: bool) -> Any:
    found = []
    for index, event in enumerate(view.events):
        if messages.is_legacy_event(event.name) and messages.is_input_event(event.name) == inputs:
            found.append(messages.from_legacy_event(event.name, event.attrs))
            view.consumed_events.add(index)
    return {"messages": found} if found else None
