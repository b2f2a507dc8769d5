"""Langfuse SDK (v3+, OTel based): ``langfuse.observation.*``, ``langfuse.trace.*``, environment and release.

The SDK writes input, output, usage and cost as JSON strings (``usage_details`` is
``{"input": 10, "output": 5, "total": 15, "input_cached_tokens": 2}``, ``cost_details`` the same keys in
USD), and flattens trace and observation metadata into ``langfuse.*.metadata.<key>`` with JSON values.
Session and user come as ``session.id``/``user.id`` (read by the scalar table). The observation type
names the run type; ``langfuse.internal.*`` flags are bookkeeping and are not stored.
"""

from __future__ import annotations

import re
from typing import Any, Final

from tracehound.ingest.otlp.conventions.base import Convention, SpanView
from tracehound.ingest.otlp.values import as_float, as_int, as_str_list, parse_json, parse_json_any, wrap

CONVENTION: Final = Convention(
    name="langfuse",
    prefixes=("langfuse.",),
    ignored=re.compile(r"^langfuse\.internal\."),
)

_RUN_TYPES: Final = {
    "generation": "llm", "embedding": "embedding", "tool": "tool", "agent": "agent", "retriever": "retriever",
    "guardrail": "guardrail", "chain": "chain", "span": "chain", "event": "chain", "evaluator": "chain",
}
# usage_details keys → our token fields; Langfuse's own names first, then the providers' it passes through.
_TOKENS: Final = (("prompt_tokens", ("input", "prompt_tokens", "input_tokens")),
                  ("completion_tokens", ("output", "completion_tokens", "output_tokens")),
                  ("total_tokens", ("total", "total_tokens")))
_DETAILS: Final = (("cache_read", ("input_cached_tokens", "cache_read_input_tokens", "input_cache_read")),
                   ("cache_write", ("cache_creation_input_tokens", "input_cache_creation")),
                   ("reasoning", ("output_reasoning_tokens", "reasoning_tokens", "output_reasoning")))
_META: Final = (("langfuse.environment", "environment"), ("langfuse.release", "release"),
                ("langfuse.version", "version"), ("langfuse.observation.level", "level"),
                ("langfuse.observation.status_message", "status_message"),
                ("langfuse.observation.prompt.name", "prompt_name"),
                ("langfuse.observation.prompt.version", "prompt_version"),
                ("langfuse.observation.completion_start_time", "completion_start_time"),
                ("langfuse.trace.name", "trace_name"), ("langfuse.trace.public", "trace_public"))


def run_type(view: SpanView) -> str | None:
    kind = view.get("langfuse.observation.type")
    return _RUN_TYPES.get(kind.lower()) if isinstance(kind, str) else None


def inputs(view: SpanView) -> Any:
    return _payload(view.get("langfuse.observation.input"), "input")


def outputs(view: SpanView) -> Any:
    return _payload(view.get("langfuse.observation.output"), "output")


def tags(view: SpanView) -> list[str]:
    return as_str_list(view.get("langfuse.trace.tags"))


def user_metadata(view: SpanView) -> dict[str, Any] | None:
    """Trace metadata, then the observation's own (which wins on a shared key)."""
    found = view.collect("langfuse.trace.metadata.")
    found.update(view.collect("langfuse.observation.metadata."))
    for key in ("langfuse.trace.metadata", "langfuse.observation.metadata"):  # older SDKs: one JSON object
        whole = parse_json(view.get(key))
        if isinstance(whole, dict):
            found.update(whole)
    return {key: parse_json_any(value) for key, value in found.items()} or None


def metadata(view: SpanView) -> dict[str, Any] | None:
    attrs = view.attrs
    out: dict[str, Any] = {field: attrs[key] for key, field in _META if key in attrs}
    parameters = parse_json(attrs.get("langfuse.observation.model.parameters"))
    if parameters:
        out["invocation_params"] = parameters
    return {"langfuse": out} if out else None


def usage(view: SpanView) -> dict[str, Any] | None:
    """Token counts, cost and cost breakdown from ``usage_details``/``cost_details`` (scalar fields)."""
    out: dict[str, Any] = {}
    details = parse_json(view.get("langfuse.observation.usage_details"))
    if isinstance(details, dict):
        for field, keys in _TOKENS + _DETAILS:
            count = next((as_int(details[key]) for key in keys if key in details), None)
            if count is not None:
                out[field] = count
    costs = parse_json(view.get("langfuse.observation.cost_details"))
    if isinstance(costs, dict):
        amounts = {key: amount for key, value in costs.items() if (amount := as_float(value)) is not None}
        total = amounts.pop("total", None)
        if total is None and amounts:
            total = sum(amounts.values())
        if total is not None:
            out["cost"] = total
            breakdown = {{"input": "prompt", "output": "completion"}.get(key, key): value
                         for key, value in amounts.items()}
            if breakdown:
                out["cost_details"] = breakdown
    return out or None


def _payload(value: Any, key: str) -> Any:
    if value is None or value == "":
        return None
    parsed = parse_json_any(value)
    if isinstance(parsed, list) and parsed and all(isinstance(item, dict) and "role" in item for item in parsed):
        return {"messages": parsed}  # a chat generation's message list
    return wrap(parsed, key)
