"""The conventions, in precedence order: the one place that says which source wins for which field.

The general rule (``docs/otlp.md``): **the first non-empty source wins, in table order**. Explicit
override keys come first (ours, then LangSmith's); for run type OpenInference beats GenAI because its
kinds are richer; for content GenAI messages beat OpenInference because their parts schema is
richer; legacy and framework keys come last. Tags are united; metadata is merged (later wins).

``REGISTRY`` is also the order in which an attribute key is given an owner, which decides which
convention the mapping report credits and whether a key counts as unmapped (kept in
``metadata.otel.attributes``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Final, NamedTuple

from tracehound.ingest.otlp.conventions import (
    genai,
    langfuse,
    langsmith,
    logfire,
    native,
    openinference,
    traceloop,
    vercel,
)
from tracehound.ingest.otlp.conventions.base import Convention, Event, SpanView

__all__ = ["Convention", "Event", "SpanView"]

REGISTRY: Final[tuple[Convention, ...]] = tuple(module.CONVENTION for module in (
    native, langsmith, openinference, traceloop, genai, vercel, logfire, langfuse,
))

Extractor = tuple[Convention, Callable[[SpanView], Any]]


def _entries(*functions: Callable[[SpanView], Any]) -> tuple[Extractor, ...]:
    return tuple((sys.modules[function.__module__].CONVENTION, function) for function in functions)


RUN_TYPE: Final = _entries(native.run_type, langsmith.run_type, langfuse.run_type, openinference.run_type,
                           genai.run_type, traceloop.run_type, vercel.run_type, logfire.run_type)
NAME: Final = _entries(native.name, langsmith.name, genai.name, openinference.name, vercel.name, traceloop.name,
                       logfire.name)
INPUTS: Final = _entries(native.inputs, genai.input_messages, genai.details_event_inputs, genai.tool_inputs,
                         openinference.inputs, traceloop.inputs, langsmith.inputs, langfuse.inputs,
                         genai.legacy_event_inputs, vercel.inputs, logfire.inputs)
OUTPUTS: Final = _entries(native.outputs, genai.output_messages, genai.details_event_outputs, genai.tool_outputs,
                          openinference.outputs, traceloop.outputs, langsmith.outputs, langfuse.outputs,
                          genai.legacy_event_outputs, vercel.outputs, logfire.outputs)
TAGS: Final = _entries(openinference.tags, langsmith.tags, vercel.tags, logfire.tags, langfuse.tags, native.tags)
# The user's own metadata, merged in this order (a later source overrides an earlier one's key).
USER_METADATA: Final = _entries(vercel.user_metadata, traceloop.user_metadata, langfuse.user_metadata,
                                openinference.user_metadata, langsmith.user_metadata, native.user_metadata)
# What each convention knows about the call (agent, prompt, tools, parameters), merged in this order.
CALL_METADATA: Final = _entries(genai.metadata, traceloop.metadata, vercel.metadata, logfire.metadata,
                                langfuse.metadata, openinference.metadata, langsmith.metadata)
DROP: Final = _entries(logfire.drop_reason)
# Scalar fields a convention packs into one structured attribute (a JSON usage object): they fill only
# the fields no attribute in ``SCALARS`` gave. ``cost_details`` is the cost breakdown.
USAGE: Final = _entries(langfuse.usage)

# Scalar fields: the first of these attributes that is present and usable wins.
SCALARS: Final[dict[str, tuple[str, ...]]] = {
    "model": ("tracehound.model", "gen_ai.response.model", "llm.response.model_name", "llm.model_name",
              "langfuse.observation.model.name", "ai.response.model", "gen_ai.request.model",
              "llm.request.model_name", "embedding.model_name", "reranker.model_name", "ai.model.id",
              "langsmith.metadata.ls_model_name", "model_name"),
    "request_model": ("gen_ai.request.model", "llm.request.model_name", "ai.model.id"),
    "provider": ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system", "ai.model.provider",
                 "langsmith.metadata.ls_provider"),
    "session_id": ("tracehound.session_id", "session.id", "gen_ai.conversation.id", "langsmith.metadata.session_id",
                   "langsmith.metadata.thread_id", "langsmith.metadata.conversation_id",
                   "traceloop.association.properties.session_id", "ai.telemetry.metadata.sessionId"),
    "user_id": ("tracehound.user_id", "user.id", "enduser.id", "langsmith.metadata.user_id",
                "traceloop.association.properties.user_id", "ai.telemetry.metadata.userId", "gen_ai.user",
                "llm.user"),
    "prompt_tokens": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt",
                      "llm.usage.prompt_tokens", "ai.usage.promptTokens", "ai.usage.inputTokens"),
    "completion_tokens": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                          "llm.token_count.completion", "llm.usage.completion_tokens", "ai.usage.completionTokens",
                          "ai.usage.outputTokens"),
    "total_tokens": ("llm.token_count.total", "gen_ai.usage.total_tokens", "llm.usage.total_tokens",
                     "ai.usage.tokens", "ai.usage.totalTokens"),
    # Details, kept apart: cache reads/writes are part of prompt_tokens, reasoning of completion_tokens.
    "cache_read": ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
                   "llm.token_count.prompt_details.cache_read", "llm.usage.cache_read_input_tokens",
                   "ai.usage.cachedInputTokens"),
    "cache_write": ("gen_ai.usage.cache_write.input_tokens", "gen_ai.usage.cache_creation.input_tokens",
                    "gen_ai.usage.cache_creation_input_tokens", "llm.token_count.prompt_details.cache_write",
                    "llm.usage.cache_creation_input_tokens"),
    "reasoning": ("gen_ai.usage.reasoning.output_tokens", "llm.token_count.completion_details.reasoning",
                  "llm.usage.reasoning_tokens", "ai.usage.reasoningTokens"),
    "cost": ("tracehound.cost", "llm.cost.total", "gen_ai.usage.cost"),
    # The turn's accounting: a span's index in its trace, and "interrupted" (waiting for a human) vs ok/error.
    "step": ("tracehound.step", "langsmith.metadata.ls_step"),
    "status": ("tracehound.status", "langsmith.metadata.ls_status"),
}

# Exception types (``exception.type`` of the span's exception event, or ``error.type``; the last dotted part)
# that mean the span was interrupted for a human, not failed: LangGraph's interrupts.
INTERRUPT_TYPES: Final = frozenset({"GraphInterrupt", "NodeInterrupt"})

# Resource attributes naming the project, before service.name.
PROJECT_RESOURCE_KEYS: Final = ("tracehound.project", "openinference.project.name")

_CACHE_MAX: Final = 50_000


class KeyInfo(NamedTuple):
    """What one attribute key is: its owner's name (``None``: unmapped), whether it is noise, and the
    scalar fields it can fill with its rank in each field's precedence."""

    owner: str | None
    ignored: bool
    scalars: tuple[tuple[str, int], ...]


_SCALAR_RANKS: Final[dict[str, list[tuple[str, int]]]] = {}
for _field, _keys in SCALARS.items():
    for _rank, _key in enumerate(_keys):
        _SCALAR_RANKS.setdefault(_key, []).append((_field, _rank))
_key_cache: dict[str, KeyInfo] = {}


def owner_of(key: str) -> Convention | None:
    """The convention that maps ``key`` (first in ``REGISTRY``), or ``None``."""
    return next((convention for convention in REGISTRY if convention.owns(key)), None)


def key_info(key: str) -> KeyInfo:
    """``KeyInfo`` for an attribute key; cached, because keys repeat on every span of a source."""
    info = _key_cache.get(key)
    if info is None:
        owner = owner_of(key)
        info = KeyInfo(owner.name if owner else None, bool(owner and owner.ignores(key)),
                       tuple(_SCALAR_RANKS.get(key, ())))
        if len(_key_cache) < _CACHE_MAX:  # unbounded key cardinality (ids in keys) must not grow memory
            _key_cache[key] = info
    return info


def event_owner(name: str) -> Convention | None:
    return next((c for c in REGISTRY if c.event_prefixes and name.startswith(c.event_prefixes)), None)


class Plan(NamedTuple):
    """The precedence tables cut down to the conventions present on a span (spans of a source share one)."""

    drop: tuple[Extractor, ...]
    run_type: tuple[Extractor, ...]
    name: tuple[Extractor, ...]
    inputs: tuple[Extractor, ...]
    outputs: tuple[Extractor, ...]
    tags: tuple[Extractor, ...]
    metadata: tuple[Extractor, ...]
    usage: tuple[Extractor, ...]


_plan_cache: dict[frozenset[str], Plan] = {}


def plan_for(present: frozenset[str]) -> Plan:
    plan = _plan_cache.get(present)
    if plan is None:
        def keep(entries: tuple[Extractor, ...]) -> tuple[Extractor, ...]:
            return tuple(entry for entry in entries if entry[0].name in present)

        plan = Plan(keep(DROP), keep(RUN_TYPE), keep(NAME), keep(INPUTS), keep(OUTPUTS), keep(TAGS),
                    keep(USER_METADATA) + keep(CALL_METADATA), keep(USAGE))
        _plan_cache[present] = plan
    return plan
