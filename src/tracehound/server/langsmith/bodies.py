"""JSON request bodies of the LangSmith API, decoded once, mistakes answered as 400."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import Request

from tracehound.errors import MalformedRequest
from tracehound.server.body import read_body

_decode = msgspec.json.Decoder().decode


def decode_json(body: bytes, *, empty: bytes = b"null") -> Any:
    """Any JSON value (an empty body counts as ``empty``).

    Raises:
        MalformedRequest: the body is not JSON.
    """
    try:
        return _decode(body or empty)
    except msgspec.DecodeError as exc:
        raise MalformedRequest(f"malformed JSON: {exc}") from None


def require_object(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object.

    Raises:
        MalformedRequest: it is not.
    """
    if not isinstance(value, dict):
        raise MalformedRequest("expected a JSON object")
    return value


async def json_value(request: Request, max_bytes: int) -> Any:
    """The body as decoded JSON (an object or, for bulk calls, an array)."""
    return decode_json(await read_body(request, max_bytes))


async def json_object(request: Request, max_bytes: int, *, empty: bytes = b"null") -> dict[str, Any]:
    """The body, which must be a JSON object."""
    return require_object(decode_json(await read_body(request, max_bytes), empty=empty))
