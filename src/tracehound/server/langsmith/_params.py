"""LangSmith's query-parameter conventions: repeated keys for lists, Python-spelled booleans, JSON dicts."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.datastructures import QueryParams

from tracehound.errors import MalformedRequest


def query_list(params: QueryParams, name: str) -> list[str]:
    """Every value of a repeated parameter (``id=a&id=b``), blanks dropped."""
    return [value for value in params.getlist(name) if value != ""]


def query_bool(params: QueryParams, name: str) -> bool | None:
    """A boolean sent as ``True``/``False``/``true``/``1``; absent is ``None``."""
    value = params.get(name)
    if value is None or value == "":
        return None
    return value.strip().lower() in ("true", "1", "yes")


def query_json(params: QueryParams, name: str) -> dict[str, Any] | None:
    """A dict sent as a JSON string (``metadata={"k":"v"}``).

    Raises:
        MalformedRequest: not a JSON object.
    """
    value = params.get(name)
    if not value:
        return None
    try:
        decoded = msgspec.json.decode(value)
    except msgspec.DecodeError:
        decoded = None
    if not isinstance(decoded, dict):
        raise MalformedRequest(f"`{name}` must be a JSON object", field=name)
    return decoded


def contains(container: Any, wanted: Any) -> bool:
    """JSON containment: every key of ``wanted`` is in ``container`` with a containing value."""
    if isinstance(wanted, dict):
        return isinstance(container, dict) and all(k in container and contains(container[k], v)
                                                   for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(container, list) and all(any(contains(c, w) for c in container) for w in wanted)
    return bool(container == wanted)
