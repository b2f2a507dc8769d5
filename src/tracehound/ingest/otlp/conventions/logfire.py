"""Logfire and Pydantic AI: ``logfire.*`` plus pydantic-ai's agent and tool attributes.

Pydantic AI also emits GenAI keys (read by ``genai``); what it adds is the agent run's whole
conversation (``pydantic_ai.all_messages``, GenAI message schema), ``final_result``, older
``tool_arguments``/``tool_response``, and instrumentation v1's ``events`` JSON list. A
``logfire.span_type = pending_span`` is a placeholder for an unfinished span and is dropped.
"""

from __future__ import annotations

import re
from typing import Any, Final

from tracehound.ingest.otlp import messages
from tracehound.ingest.otlp.conventions.base import Convention, SpanView
from tracehound.ingest.otlp.values import as_str_list, parse_json, parse_json_any, wrap

CONVENTION: Final = Convention(
    name="logfire",
    keys=frozenset({"tool_arguments", "tool_response", "events", "all_messages_events", "agent_name", "model_name",
                    "final_result"}),
    prefixes=("logfire.", "pydantic_ai."),
    ignored=re.compile(r"^logfire\.(?:json_schema|msg_template|pending_parent_id)$"),
)


def drop_reason(view: SpanView) -> str | None:
    """Why a span is not stored at all, or ``None``."""
    return "logfire pending_span placeholder" if view.get("logfire.span_type") == "pending_span" else None


def run_type(view: SpanView) -> str | None:
    attrs = view.attrs
    if "pydantic_ai.all_messages" in attrs or "final_result" in attrs or "agent_name" in attrs:
        return "agent"
    if "tool_arguments" in attrs:
        return "tool"
    return None


def name(view: SpanView) -> str | None:
    return view.get("logfire.msg")


def inputs(view: SpanView) -> Any:
    attrs = view.attrs
    found = messages.from_genai(attrs.get("pydantic_ai.all_messages"))
    if found:
        return {"messages": found}
    if "tool_arguments" in attrs:
        return wrap(parse_json_any(attrs["tool_arguments"]), "input")
    return _events(attrs, inputs=True)


def outputs(view: SpanView) -> Any:
    attrs = view.attrs
    if "final_result" in attrs:
        return wrap(parse_json_any(attrs["final_result"]), "output")
    if "tool_response" in attrs:
        return wrap(parse_json_any(attrs["tool_response"]), "output")
    return _events(attrs, inputs=False)


def tags(view: SpanView) -> list[str]:
    return as_str_list(view.get("logfire.tags"))


def metadata(view: SpanView) -> dict[str, Any] | None:
    attrs = view.attrs
    out = {field: attrs[key] for key, field in (("logfire.level_num", "level_num"), ("logfire.span_type", "span_type"),
                                                ("agent_name", "agent_name")) if key in attrs}
    return out or None


def _events(attrs: dict[str, Any], *, inputs: bool) -> Any:
    events = parse_json(attrs.get("events") or attrs.get("all_messages_events"))
    if not isinstance(events, list):
        return None
    found = []
    for event in events:
        if isinstance(event, dict):
            event_name = str(event.get("event.name", ""))
            if messages.is_legacy_event(event_name) and messages.is_input_event(event_name) == inputs:
                found.append(messages.from_legacy_event(event_name, event))
    return {"messages": found} if found else None
