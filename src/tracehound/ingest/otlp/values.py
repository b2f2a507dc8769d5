"""Reading attribute values the way instrumentations write them.

The same datum arrives in several shapes: a JSON string (older SDKs, OpenInference ``metadata``), a
structured ``arrayValue``/``kvlistValue`` (Python SDK ≥1.45), or flattened with numeric indices
(``llm.input_messages.0.message.role``). These helpers accept all of them.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

import msgspec

_INDEXED: Final = re.compile(r"^(\d+)\.(.+)$")
_fast_decode: Final = msgspec.json.decode


def _loads(text: str) -> Any:
    """``json.loads``, via msgspec (5x faster) whenever it accepts the text.

    msgspec is stricter (no ``NaN``/``Infinity``, no lone surrogates, no overflowing or 4300-digit
    numbers) and otherwise decodes to the same values; what it refuses goes to ``json.loads``, so
    the result is the standard library's, unless it holds text UTF-8 cannot carry (then ValueError,
    and callers keep the attribute as the string it arrived as).
    """
    try:
        return _fast_decode(text)
    except msgspec.DecodeError:
        value = json.loads(text)
    try:  # a lone surrogate (``"\\ud800"``) parses but cannot be stored as UTF-8: keep the text instead
        msgspec.json.encode(value)
    except UnicodeEncodeError:
        raise ValueError("JSON with a lone surrogate") from None
    return value


def parse_json(value: Any) -> Any:
    """A JSON string parsed when it looks like an object or array; anything else unchanged."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return _loads(value)
        except ValueError:
            return value
    return value


def parse_json_any(value: Any) -> Any:
    """Like ``parse_json`` but also for JSON scalars (``"\\"text\\""``, ``42``), as tool results are."""
    if isinstance(value, str):
        try:
            return _loads(value)
        except ValueError:
            return value
    return value


def as_int(value: Any) -> int | None:
    """A non-negative token count from an int, float or numeric string; ``None`` otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if value is None:
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def as_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def as_text(value: Any) -> str | None:
    """A non-empty string for ids and names (numbers are accepted and turned into text)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def as_str_list(value: Any, *, sep: str | None = None) -> list[str]:
    """Tags from a list, a JSON list string, or (with ``sep``) a separated string."""
    value = parse_json(value)
    if isinstance(value, list):
        return [str(item) for item in value if item is not None and item != ""]
    if isinstance(value, str) and value:
        if sep is None:
            return [value]
        return [part.strip() for part in value.split(sep) if part.strip()]
    return []


def unflatten(attrs: dict[str, Any], prefix: str) -> list[Any]:
    """Rebuild a list flattened as ``<prefix>.<n>.<path>`` keys, recursively (``…0.tool_calls.1.…``).

    Only numeric indices start list items, so ``gen_ai.prompt.name`` is not swallowed by the
    ``gen_ai.prompt`` list.
    """
    dotted = prefix + "."
    tree: dict[str, Any] = {}
    for key, value in attrs.items():
        if not key.startswith(dotted):
            continue
        match = _INDEXED.match(key[len(dotted):])
        if match is None:
            continue
        node = tree.setdefault(match.group(1), {})
        parts = match.group(2).split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return _as_list(tree) if tree else []


def _as_list(node: dict[str, Any]) -> list[Any]:
    return [_listify(node[key]) for key in sorted(node, key=int)]


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return _as_list(node)
    return {key: _listify(value) for key, value in node.items()}


def has_prefix(attrs: dict[str, Any], prefix: str) -> bool:
    return any(key.startswith(prefix) for key in attrs)


def collect_prefixed(attrs: dict[str, Any], prefix: str) -> dict[str, Any]:
    """``{rest: value}`` for every ``<prefix><rest>`` key, values JSON-parsed when they are JSON."""
    n = len(prefix)
    return {key[n:]: parse_json(value) for key, value in attrs.items() if key.startswith(prefix) and key[n:]}


def wrap(value: Any, key: str) -> Any:
    """Inputs and outputs are objects: a dict stays, anything else goes under ``key``."""
    if value is None or isinstance(value, dict):
        return value
    return {key: value}
