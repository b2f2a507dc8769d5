"""The readable text of a turn: what the user said (root inputs) and what the agent answered (outputs).

Agents log payloads in many shapes: a bare string, ``{"question": ...}``, ``{"input": ...}``, a chat
``{"messages": [{"role": "user", "content": ...}]}``, LangChain's ``{"generations": [[{"text": ...}]]}``.
These functions find the text in the common shapes and fall back to compact JSON for the rest.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

INPUT_KEYS: Final = ("input", "question", "query", "prompt", "message", "user_message", "text", "content")
OUTPUT_KEYS: Final = ("output", "answer", "response", "result", "text", "content", "message", "completion")


def _content(message: Any) -> str | None:
    if isinstance(message, str):
        return message
    if isinstance(message, dict):
        content = message.get("content", message.get("text"))
        if isinstance(content, str):
            return content
        if isinstance(content, list):  # OpenAI/Anthropic content parts
            texts = [part.get("text") for part in content if isinstance(part, dict)]
            joined = "\n".join(text for text in texts if isinstance(text, str))
            return joined or None
    return None


def _role(message: Any) -> str | None:
    if isinstance(message, dict):
        role = message.get("role", message.get("type"))
        return role if isinstance(role, str) else None
    return None


def _from_keys(value: Any, keys: tuple[str, ...], role: str) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        wanted = [m for m in value if _role(m) in (role, "human" if role == "user" else "ai")]
        return _content(wanted[-1] if wanted else value[-1])
    if not isinstance(value, dict):
        return None
    for key in keys:
        found = value.get(key)
        if isinstance(found, str):
            return found
        if isinstance(found, dict | list):
            text = _from_keys(found, keys, role)
            if text is not None:
                return text
    if isinstance(value.get("messages"), list):
        return _from_keys(value["messages"], keys, role)
    if isinstance(value.get("choices"), list) and value["choices"]:
        return _content(value["choices"][0].get("message")) if isinstance(value["choices"][0], dict) else None
    generations = value.get("generations")
    if isinstance(generations, list) and generations:
        first = generations[0][0] if isinstance(generations[0], list) and generations[0] else generations[0]
        return _content(first)
    strings = [item for item in value.values() if isinstance(item, str)]
    return strings[0] if len(value) == 1 and strings else None


def _fallback(value: Any) -> str:
    return "" if value is None else msgspec.json.encode(value).decode()


def user_message(inputs: Any) -> str:
    """The user's words in a root span's inputs (the last user message of a chat)."""
    text = _from_keys(inputs, INPUT_KEYS, "user")
    return text if text is not None else _fallback(inputs)


def answer(outputs: Any) -> str:
    """The agent's answer in a root span's outputs (the last assistant message of a chat)."""
    text = _from_keys(outputs, OUTPUT_KEYS, "assistant")
    return text if text is not None else _fallback(outputs)
