"""Chat messages from every convention's shape into one: ``{"role", "content", "tool_calls"?, …}``.

The stored shape (inputs and outputs of llm runs are ``{"messages": [...]}``)::

    {"role": "assistant", "content": "text" | [parts], "tool_calls": [{"id", "name", "arguments"}],
     "tool_call_id": "...", "name": "...", "reasoning": "...", "finish_reason": "stop"}

``content`` is a string when a message holds only text, else the list of parts as sent (images,
files, blobs are kept, never dropped). Keys with no value are left out.
"""

from __future__ import annotations

from typing import Any

from tracehound.ingest.otlp.values import parse_json, parse_json_any


def _clean(message: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in message.items() if value is not None and value != [] and value != ""}


def _content(texts: list[str], others: list[Any]) -> Any:
    if not others:
        return "\n".join(texts) if texts else None
    return [{"type": "text", "text": text} for text in texts] + others


# OpenTelemetry GenAI: {role, parts: [{type, ...}], name?, finish_reason?} -----------------------

def from_genai(value: Any) -> list[dict[str, Any]]:
    """``gen_ai.input.messages`` / ``output.messages`` (also pydantic-ai ``all_messages``)."""
    value = parse_json(value)
    if not isinstance(value, list):
        return []
    return [_genai_message(item) for item in value if isinstance(item, dict)]


def _genai_message(item: dict[str, Any]) -> dict[str, Any]:
    parts = item.get("parts")
    if not isinstance(parts, list):  # some emitters send OpenAI-style {role, content}
        return _clean({"role": item.get("role"), "content": item.get("content"), "name": item.get("name"),
                       "tool_calls": item.get("tool_calls"), "finish_reason": item.get("finish_reason")})
    texts: list[str] = []
    others: list[Any] = []
    calls: list[dict[str, Any]] = []
    reasoning: list[str] = []
    role = item.get("role")
    tool_call_id = None
    for part in parts:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text":
            texts.append(str(part.get("content", "")))
        elif kind == "reasoning":
            reasoning.append(str(part.get("content", "")))
        elif kind == "tool_call":
            calls.append(_clean({"id": part.get("id"), "name": part.get("name"),
                                 "arguments": parse_json(part.get("arguments"))}))
        elif kind == "tool_call_response":
            tool_call_id = part.get("id")
            response = part.get("response", part.get("result"))
            (texts if isinstance(response, str) else others).append(response)
        else:
            others.append(part)
    return _clean({"role": role, "content": _content(texts, others), "tool_calls": calls,
                   "tool_call_id": tool_call_id, "name": item.get("name"),
                   "reasoning": "\n".join(reasoning) if reasoning else None,
                   "finish_reason": item.get("finish_reason")})


def system_message(value: Any) -> dict[str, Any] | None:
    """``gen_ai.system_instructions`` (a list of parts or a string) as a leading system message."""
    value = parse_json(value)
    if isinstance(value, str):
        return {"role": "system", "content": value} if value else None
    if isinstance(value, list):
        message = _genai_message({"role": "system", "parts": value})
        return message if "content" in message else None
    return None


# OpenInference: llm.input_messages.N.message.{role, content, contents.M…, tool_calls.M.tool_call…} ------

def from_openinference(items: list[Any]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        message = item.get("message") if isinstance(item, dict) else None
        if not isinstance(message, dict):
            continue
        texts = [message["content"]] if isinstance(message.get("content"), str) else []
        others: list[Any] = []
        for entry in message.get("contents") or []:
            part = entry.get("message_content") if isinstance(entry, dict) else None
            if isinstance(part, dict):
                if part.get("type") == "text" and isinstance(part.get("text"), str):
                    texts.append(part["text"])
                else:
                    others.append(part)
        calls = []
        for entry in message.get("tool_calls") or []:
            call = entry.get("tool_call") if isinstance(entry, dict) else None
            if isinstance(call, dict):
                function = call.get("function") or {}
                calls.append(_clean({"id": call.get("id"), "name": function.get("name"),
                                     "arguments": parse_json(function.get("arguments"))}))
        out.append(_clean({"role": message.get("role"), "content": _content(texts, others), "tool_calls": calls,
                           "tool_call_id": message.get("tool_call_id"), "name": message.get("name")}))
    return out


# OpenLLMetry / Traceloop legacy: gen_ai.prompt.N.{role, content, tool_calls.M.{id,name,arguments}} ----

def from_traceloop(items: list[Any]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        calls = [_clean({"id": call.get("id"), "name": call.get("name"),
                         "arguments": parse_json(call.get("arguments"))})
                 for call in item.get("tool_calls") or [] if isinstance(call, dict)]
        out.append(_clean({"role": item.get("role"), "content": parse_json(item.get("content")), "tool_calls": calls,
                           "tool_call_id": item.get("tool_call_id"), "finish_reason": item.get("finish_reason")}))
    return out


# GenAI ≤1.36 span events: gen_ai.{system,user,assistant,tool}.message and gen_ai.choice ---------------

_EVENT_ROLES = {"gen_ai.system.message": "system", "gen_ai.user.message": "user",
                "gen_ai.assistant.message": "assistant", "gen_ai.tool.message": "tool"}


def from_legacy_event(name: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """One legacy message event (its body flattened into attributes, or as ``content``/``message``)."""
    body = attrs
    if name == "gen_ai.choice":
        body = parse_json(attrs.get("message")) if "message" in attrs else attrs
        if not isinstance(body, dict):
            body = {"content": body}
    calls = []
    for call in parse_json(body.get("tool_calls")) or []:
        if isinstance(call, dict):
            function = call.get("function") or {}
            calls.append(_clean({"id": call.get("id"), "name": function.get("name", call.get("name")),
                                 "arguments": parse_json(function.get("arguments", call.get("arguments")))}))
    return _clean({"role": body.get("role") or _EVENT_ROLES.get(name, "assistant"),
                   "content": parse_json(body.get("content")), "tool_calls": calls,
                   "tool_call_id": attrs.get("id") if name == "gen_ai.tool.message" else None,
                   "finish_reason": attrs.get("finish_reason")})


def is_legacy_event(name: str) -> bool:
    return name in _EVENT_ROLES or name == "gen_ai.choice"


def is_input_event(name: str) -> bool:
    return name in _EVENT_ROLES


# Vercel AI SDK: ai.prompt.messages, CoreMessage {role, content: str | [{type: text|tool-call|…}]} ----

def from_vercel(value: Any) -> list[dict[str, Any]]:
    value = parse_json(value)
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if not isinstance(item, dict):
            continue
        content = item.get("content")
        texts: list[str] = []
        others: list[Any] = []
        calls = []
        tool_call_id = None
        if isinstance(content, str):
            texts.append(content)
        for part in content if isinstance(content, list) else []:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                texts.append(str(part.get("text", "")))
            elif kind == "tool-call":
                calls.append(_clean({"id": part.get("toolCallId"), "name": part.get("toolName"),
                                     "arguments": parse_json(part.get("args", part.get("input")))}))
            elif kind == "tool-result":
                tool_call_id = part.get("toolCallId")
                result = part.get("result", part.get("output"))
                (texts if isinstance(result, str) else others).append(result)
            elif part is not None:
                others.append(part)
        out.append(_clean({"role": item.get("role"), "content": _content(texts, others), "tool_calls": calls,
                           "tool_call_id": tool_call_id}))
    return out


def assistant_reply(text: Any, tool_calls: Any = None, finish_reason: Any = None) -> list[dict[str, Any]]:
    """A single assistant message from a reply text and tool calls (Vercel ``ai.response.*``)."""
    calls = []
    for call in parse_json(tool_calls) or []:
        if isinstance(call, dict):
            calls.append(_clean({"id": call.get("toolCallId", call.get("id")),
                                 "name": call.get("toolName", call.get("name")),
                                 "arguments": parse_json_any(call.get("args", call.get("input")))}))
    message = _clean({"role": "assistant", "content": text, "tool_calls": calls, "finish_reason": finish_reason})
    return [message] if len(message) > 1 else []
