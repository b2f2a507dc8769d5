"""Token usage and model ids from the shapes people log: one reader for every provider's response.

    found = find_usage(outputs)        # a dict returned by a traced function, a LangSmith run's outputs...
    found.prompt, found.completion, found.cache_read, found.reasoning, found.model, found.origin

Shapes read (``origin`` names the one that matched; ``docs/usage.md`` has the table):

=================  ===========================================================  ==========================
origin             usage fields                                                 model field
=================  ===========================================================  ==========================
openai.chat        usage.prompt_tokens / completion_tokens / total_tokens,      model
                   prompt_tokens_details.cached_tokens / cache_write_tokens,
                   completion_tokens_details.reasoning_tokens
openai.responses   usage.input_tokens / output_tokens / total_tokens,           model
                   input_tokens_details.cached_tokens / cache_write_tokens,
                   output_tokens_details.reasoning_tokens
anthropic          usage.input_tokens / output_tokens,                          model
                   cache_read_input_tokens, cache_creation_input_tokens
                   (Anthropic's input_tokens excludes both: they are added),
                   output_tokens_details.thinking_tokens (part of output)
gemini             usageMetadata.promptTokenCount / candidatesTokenCount /      modelVersion
                   thoughtsTokenCount / cachedContentTokenCount /
                   totalTokenCount (thoughts are completion tokens)
bedrock            usage.inputTokens / outputTokens / totalTokens,              (the request's modelId)
                   cacheReadInputTokens, cacheWriteInputTokens
langchain          usage_metadata.input_tokens / output_tokens / total_tokens,  response_metadata.model_name
                   input_token_details.cache_read / cache_creation,             | .model | .model_id
                   output_token_details.reasoning
langchain.llm      llm_output.token_usage (OpenAI names)                        llm_output.model_name
=================  ===========================================================  ==========================

The reader walks dicts and the first items of lists a few levels deep (``{"output": {...}}``,
LangChain's ``generations``, ``messages[-1]``), so a completion wrapped once or twice is found; it
never reads more than ``MAX_NODES`` nodes. ``prompt``/``completion`` always follow OpenAI's
accounting: prompt includes cache reads and writes, completion includes reasoning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

MAX_DEPTH: Final = 6
MAX_NODES: Final = 200
_LIST_ITEMS: Final = 3


@dataclass(slots=True)
class Usage:
    """Token counts in OpenAI's accounting, the model id when the response names it, and the shape it came from."""

    prompt: int | None = None
    completion: int | None = None
    total: int | None = None
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0
    model: str | None = None
    origin: str = ""

    def details(self) -> dict[str, int]:
        """The non-zero detail counts, as ``metadata.usage_details`` keeps them."""
        return {key: value for key, value in (("cache_read", self.cache_read), ("cache_write", self.cache_write),
                                              ("reasoning", self.reasoning)) if value}


def _n(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return int(value)


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _openai_like(usage: dict[str, Any], model: Any) -> Usage | None:
    """OpenAI chat (prompt/completion) and Responses (input/output with *_details) usage."""
    if "prompt_tokens" in usage or "completion_tokens" in usage:
        prompt, completion = _n(usage.get("prompt_tokens")), _n(usage.get("completion_tokens"))
        details = _d(usage.get("prompt_tokens_details"))
        reasoning = _n(_d(usage.get("completion_tokens_details")).get("reasoning_tokens")) or 0
        return Usage(prompt, completion, _n(usage.get("total_tokens")), _n(details.get("cached_tokens")) or 0,
                     _n(details.get("cache_write_tokens")) or 0, reasoning, _text(model), "openai.chat")
    if "cache_read_input_tokens" in usage or "cache_creation_input_tokens" in usage:
        return None  # Anthropic's (whose output_tokens_details holds thinking_tokens)
    if isinstance(usage.get("input_tokens_details"), dict) or isinstance(usage.get("output_tokens_details"), dict):
        prompt, completion = _n(usage.get("input_tokens")), _n(usage.get("output_tokens"))
        details = _d(usage.get("input_tokens_details"))
        reasoning = _n(_d(usage.get("output_tokens_details")).get("reasoning_tokens")) or 0
        return Usage(prompt, completion, _n(usage.get("total_tokens")), _n(details.get("cached_tokens")) or 0,
                     _n(details.get("cache_write_tokens")) or 0, reasoning, _text(model), "openai.responses")
    return None


def _anthropic(usage: dict[str, Any], model: Any) -> Usage | None:
    if "input_tokens" not in usage and "output_tokens" not in usage:
        return None
    read = _n(usage.get("cache_read_input_tokens")) or 0
    written = _n(usage.get("cache_creation_input_tokens")) or 0
    uncached, completion = _n(usage.get("input_tokens")), _n(usage.get("output_tokens"))
    prompt = None if uncached is None else uncached + read + written
    total = None if prompt is None and completion is None else (prompt or 0) + (completion or 0)
    thinking = _n(_d(usage.get("output_tokens_details")).get("thinking_tokens")) or 0  # part of output_tokens
    return Usage(prompt, completion, total, read, written, thinking, _text(model), "anthropic")


def _bedrock(usage: dict[str, Any]) -> Usage:
    read = _n(usage.get("cacheReadInputTokens")) or 0
    written = _n(usage.get("cacheWriteInputTokens")) or 0
    uncached, completion = _n(usage.get("inputTokens")), _n(usage.get("outputTokens"))
    prompt = None if uncached is None else uncached + read + written
    return Usage(prompt, completion, _n(usage.get("totalTokens")), read, written, 0, None, "bedrock")


def _gemini(meta: dict[str, Any], model: Any) -> Usage:
    prompt = _n(meta.get("promptTokenCount", meta.get("prompt_token_count")))
    candidates = _n(meta.get("candidatesTokenCount", meta.get("candidates_token_count")))
    thoughts = _n(meta.get("thoughtsTokenCount", meta.get("thoughts_token_count"))) or 0
    cached = _n(meta.get("cachedContentTokenCount", meta.get("cached_content_token_count"))) or 0
    completion = None if candidates is None and not thoughts else (candidates or 0) + thoughts
    total = _n(meta.get("totalTokenCount", meta.get("total_token_count")))
    return Usage(prompt, completion, total, cached, 0, thoughts, _text(model), "gemini")


def _langchain(meta: dict[str, Any], response_metadata: dict[str, Any]) -> Usage:
    inputs, outputs = _d(meta.get("input_token_details")), _d(meta.get("output_token_details"))
    model = (response_metadata.get("model_name") or response_metadata.get("model")
             or response_metadata.get("model_id") or response_metadata.get("ls_model_name"))
    return Usage(_n(meta.get("input_tokens")), _n(meta.get("output_tokens")), _n(meta.get("total_tokens")),
                 _n(inputs.get("cache_read")) or 0, _n(inputs.get("cache_creation")) or 0,
                 _n(outputs.get("reasoning")) or 0, _text(model), "langchain")


def usage_of(node: dict[str, Any]) -> Usage | None:
    """The usage one dict states itself (not its children), or ``None``."""
    usage_metadata = node.get("usage_metadata")
    if isinstance(usage_metadata, dict) and ("input_tokens" in usage_metadata or "output_tokens" in usage_metadata):
        return _langchain(usage_metadata, _d(node.get("response_metadata")))
    gemini = node.get("usageMetadata") or node.get("usage_metadata")
    if isinstance(gemini, dict) and ("promptTokenCount" in gemini or "prompt_token_count" in gemini):
        return _gemini(gemini, node.get("modelVersion") or node.get("model_version"))
    usage = node.get("usage")
    if isinstance(usage, dict) and usage:
        if "inputTokens" in usage or "outputTokens" in usage:
            return _bedrock(usage)
        found = _openai_like(usage, node.get("model"))
        if found is None:
            found = _anthropic(usage, node.get("model"))
        return found
    llm_output = node.get("llm_output")
    if isinstance(llm_output, dict):
        token_usage = llm_output.get("token_usage") or llm_output.get("usage")
        if isinstance(token_usage, dict):
            found = _openai_like(token_usage, llm_output.get("model_name")) or _anthropic(
                token_usage, llm_output.get("model_name") or llm_output.get("model"))
            if found is not None:
                found.origin = "langchain.llm"
                return found
    return None


def find_usage(value: Any) -> Usage | None:
    """The first usage found walking ``value`` breadth first (dicts, and the first items of lists)."""
    queue: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while queue and seen < MAX_NODES:
        node, depth = queue.pop(0)
        seen += 1
        if isinstance(node, dict):
            found = usage_of(node)
            if found is not None and (found.prompt is not None or found.completion is not None):
                return found
            if depth < MAX_DEPTH:
                queue.extend((child, depth + 1) for child in node.values() if isinstance(child, dict | list))
        elif isinstance(node, list) and depth < MAX_DEPTH:
            items = node[:_LIST_ITEMS] if len(node) <= _LIST_ITEMS else [*node[:2], node[-1]]
            queue.extend((child, depth + 1) for child in items if isinstance(child, dict | list))
    return None


def details_from_metadata(metadata: dict[str, Any]) -> dict[str, int]:
    """Cache-read, cache-write and reasoning counts a span already carries in its metadata, by any source.

    ``usage_details`` (ours, normalised) wins; else the SDK's ``usage`` (OpenAI's ``cached_tokens``/
    ``reasoning_tokens`` or Anthropic's raw usage); else LangSmith's ``usage_metadata`` details.
    """
    given = metadata.get("usage_details")
    if isinstance(given, dict):
        return {key: int(value) for key, value in given.items()
                if key in ("cache_read", "cache_write", "reasoning") and _n(value)}
    usage = metadata.get("usage")
    if isinstance(usage, dict):
        out = {"cache_read": _n(usage.get("cached_tokens")) or _n(usage.get("cache_read_input_tokens")) or 0,
               "cache_write": _n(usage.get("cache_creation_input_tokens")) or 0,
               "reasoning": _n(usage.get("reasoning_tokens")) or 0}
        return {key: value for key, value in out.items() if value}
    usage_metadata = metadata.get("usage_metadata")
    if isinstance(usage_metadata, dict):
        return _langchain(usage_metadata, {}).details()
    return {}
