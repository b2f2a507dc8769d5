"""OpenInference (Arize Phoenix): ``openinference.span.kind``, ``input.value``, flattened ``llm.*`` lists.

Lists of objects arrive flattened with zero-based indices
(``llm.input_messages.0.message.tool_calls.0.tool_call.function.name``) and are rebuilt with
``values.unflatten``. Embedding vectors are dropped (counted in the mapping report).
"""

from __future__ import annotations

import re
from typing import Any, Final

from tracehound.ingest.otlp import messages
from tracehound.ingest.otlp.conventions.base import Convention, SpanView
from tracehound.ingest.otlp.values import as_str_list, parse_json, parse_json_any, wrap

CONVENTION: Final = Convention(
    name="openinference",
    keys=frozenset({
        "openinference.span.kind", "input.value", "input.mime_type", "output.value", "output.mime_type",
        "llm.model_name", "llm.provider", "llm.system", "llm.invocation_parameters", "llm.function_call",
        "session.id", "user.id", "metadata", "tag.tags", "tool.name", "tool.description", "tool.parameters",
        "tool.id", "tool.json_schema", "embedding.model_name", "reranker.query", "reranker.model_name",
        "reranker.top_k", "agent.name", "graph.node.id", "graph.node.name", "graph.node.parent_id",
        "prompt.id", "prompt.vendor", "prompt.url", "llm.request.model_name", "llm.response.model_name",
    }),
    prefixes=("llm.input_messages.", "llm.output_messages.", "llm.token_count.", "llm.cost.", "llm.tools.",
              "llm.prompt_template.", "retrieval.documents.", "embedding.embeddings.", "reranker.input_documents.",
              "reranker.output_documents.", "tool_call."),
    ignored=re.compile(r"^embedding\.embeddings\.\d+\.embedding\.vector$"),
)

_RUN_TYPES: Final = {
    "LLM": "llm", "EMBEDDING": "embedding", "CHAIN": "chain", "RETRIEVER": "retriever", "RERANKER": "retriever",
    "TOOL": "tool", "AGENT": "agent", "GUARDRAIL": "guardrail", "PROMPT": "prompt", "EVALUATOR": "chain",
    "DECISION": "chain", "UNKNOWN": "chain",
}


def run_type(view: SpanView) -> str | None:
    kind = view.get("openinference.span.kind")
    return _RUN_TYPES.get(kind.upper()) if isinstance(kind, str) else None


def name(view: SpanView) -> str | None:
    return view.get("tool.name") if view.run_type == "tool" else None


def inputs(view: SpanView) -> Any:
    attrs = view.attrs
    if view.run_type == "llm":
        found = messages.from_openinference(view.unflatten("llm.input_messages"))
        if found:
            return {"messages": found}
    elif view.run_type == "embedding":
        texts = [item.get("embedding", {}).get("text") for item in view.unflatten("embedding.embeddings")
                 if isinstance(item, dict)]
        if any(text is not None for text in texts):
            return {"input": texts}
    if "reranker.query" in attrs:
        return {"query": attrs["reranker.query"],
                "documents": _documents(view.unflatten("reranker.input_documents"))}
    return _value(attrs, "input")


def outputs(view: SpanView) -> Any:
    attrs = view.attrs
    if view.run_type == "llm":
        found = messages.from_openinference(view.unflatten("llm.output_messages"))
        if found:
            return {"messages": found}
    documents = view.unflatten("retrieval.documents") or view.unflatten("reranker.output_documents")
    if documents:
        return {"documents": _documents(documents)}
    return _value(attrs, "output")


def tags(view: SpanView) -> list[str]:
    found = as_str_list(view.get("tag.tags"))
    if view.get("openinference.span.kind") == "RERANKER":
        found.append("reranker")
    return found


def user_metadata(view: SpanView) -> dict[str, Any] | None:
    """The free-form ``metadata`` attribute (a JSON string by the spec)."""
    value = parse_json(view.get("metadata"))
    if isinstance(value, dict):
        return value
    return {"metadata": value} if value is not None else None


def metadata(view: SpanView) -> dict[str, Any] | None:
    attrs = view.attrs
    out: dict[str, Any] = {}
    params = parse_json(attrs.get("llm.invocation_parameters"))
    if params is not None:
        out["invocation_params"] = params
    template = {key[len("llm.prompt_template."):]: parse_json(value)
                for key, value in view.with_prefix("llm.prompt_template.").items()}
    prompt = {key[len("prompt."):]: attrs[key] for key in ("prompt.id", "prompt.vendor", "prompt.url") if key in attrs}
    if template or prompt:
        out["prompt"] = {**prompt, **template}
    tools = view.unflatten("llm.tools")
    if tools:
        out["tools"] = [parse_json(item.get("tool", {}).get("json_schema")) if isinstance(item, dict) else item
                        for item in tools]
    for key, field in (("agent.name", "agent_name"), ("tool.description", "tool_description"),
                       ("tool.id", "tool_call_id"), ("graph.node.id", "graph_node_id"),
                       ("graph.node.name", "graph_node_name"), ("graph.node.parent_id", "graph_node_parent_id"),
                       ("llm.function_call", "function_call"), ("reranker.top_k", "top_k")):
        if key in attrs:
            out[field] = parse_json(attrs[key])
    if "tool.parameters" in attrs:
        out["tool_parameters"] = parse_json(attrs["tool.parameters"])
    return out or None


def _value(attrs: dict[str, Any], prefix: str) -> Any:
    value = attrs.get(f"{prefix}.value")
    if value is None:
        return None
    mime = attrs.get(f"{prefix}.mime_type")
    if mime == "application/json":
        value = parse_json_any(value)
    elif mime is None:
        value = parse_json(value)
    return wrap(value, prefix)


def _documents(items: list[Any]) -> list[Any]:
    out = []
    for item in items:
        document = item.get("document") if isinstance(item, dict) else None
        if isinstance(document, dict):
            if "metadata" in document:
                document = {**document, "metadata": parse_json(document["metadata"])}
            out.append(document)
    return out
