"""Vercel AI SDK ≤6 and ``LegacyOpenTelemetry()`` (``ai.*``); AI SDK 7's default emits GenAI spans.

``ai.generateText`` (outer) → ``ai.generateText.doGenerate`` (provider call, an llm run) →
``ai.toolCall``. The outer span repeats its steps' usage; it is a chain run, so trace roll-ups (llm
and embedding runs only) do not count it twice.
"""

from __future__ import annotations

import re
from typing import Any, Final

from tracehound.ingest.otlp import messages
from tracehound.ingest.otlp.conventions.base import Convention, SpanView
from tracehound.ingest.otlp.values import as_str_list, parse_json, parse_json_any, wrap

CONVENTION: Final = Convention(
    name="vercel",
    keys=frozenset({"operation.name", "resource.name"}),
    prefixes=("ai.",),
    ignored=re.compile(r"^ai\.(?:embedding|embeddings)$"),
)
_USER_METADATA: Final = "ai.telemetry.metadata."


def run_type(view: SpanView) -> str | None:
    operation = view.get("ai.operationId")
    if not isinstance(operation, str) or not operation.startswith("ai."):
        return None
    if operation.endswith((".doGenerate", ".doStream")):
        return "llm"
    if operation.endswith(".doEmbed"):
        return "embedding"
    if operation == "ai.toolCall":
        return "tool"
    return "chain"


def name(view: SpanView) -> str | None:
    return view.get("ai.toolCall.name") if view.run_type == "tool" else None


def inputs(view: SpanView) -> Any:
    attrs = view.attrs
    found = messages.from_vercel(attrs.get("ai.prompt.messages"))
    if found:
        return {"messages": found}
    prompt = parse_json(attrs.get("ai.prompt"))
    if isinstance(prompt, dict):
        found = messages.from_vercel(prompt.get("messages"))
        if not found and isinstance(prompt.get("prompt"), str):
            found = [{"role": "user", "content": prompt["prompt"]}]
        if isinstance(prompt.get("system"), str):
            found.insert(0, {"role": "system", "content": prompt["system"]})
        if found:
            return {"messages": found}
    if prompt is not None:
        return wrap(prompt, "input")
    if "ai.toolCall.args" in attrs:
        return wrap(parse_json_any(attrs["ai.toolCall.args"]), "input")
    for key in ("ai.values", "ai.value"):
        if key in attrs:
            return {"input": parse_json_any(attrs[key])}
    return None


def outputs(view: SpanView) -> Any:
    attrs = view.attrs
    reply = messages.assistant_reply(attrs.get("ai.response.text"), attrs.get("ai.response.toolCalls"),
                                     attrs.get("ai.response.finishReason"))
    if reply:
        return {"messages": reply}
    if "ai.response.object" in attrs:
        return wrap(parse_json_any(attrs["ai.response.object"]), "output")
    if "ai.toolCall.result" in attrs:
        return wrap(parse_json_any(attrs["ai.toolCall.result"]), "output")
    return None


def tags(view: SpanView) -> list[str]:
    return as_str_list(view.get("ai.telemetry.metadata.tags"), sep=",")


def user_metadata(view: SpanView) -> dict[str, Any] | None:
    found = view.collect(_USER_METADATA)
    found.pop("tags", None)
    return found or None


def metadata(view: SpanView) -> dict[str, Any] | None:
    attrs = view.attrs
    out: dict[str, Any] = {}
    for key, field in (("ai.telemetry.functionId", "function_id"), ("ai.operationId", "operation"),
                       ("ai.response.finishReason", "finish_reason"), ("ai.response.id", "response_id"),
                       ("ai.response.msToFirstChunk", "time_to_first_token_ms"), ("ai.toolCall.id", "tool_call_id"),
                       ("ai.schema.name", "schema_name")):
        if key in attrs:
            out[field] = attrs[key]
    if "ai.prompt.tools" in attrs:
        out["tools"] = [parse_json(tool) for tool in attrs["ai.prompt.tools"]] \
            if isinstance(attrs["ai.prompt.tools"], list) else parse_json(attrs["ai.prompt.tools"])
    settings = view.collect("ai.settings.")
    if settings:
        out["invocation_params"] = settings
    return out or None
