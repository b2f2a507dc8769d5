"""Request bodies as typed structs: JSON decoded by msgspec, mistakes answered as 422 naming the field."""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec
from fastapi import Request

from tracehound.errors import MalformedRequest, TracehoundError
from tracehound.server.body import read_body

T = TypeVar("T")
_PATH = re.compile(r"at `\$\.?([\w.]*)")


class InvalidRequest(TracehoundError):
    """A body that is JSON but not the expected shape."""

    status = 422
    code = "invalid_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


async def json_body(request: Request, kind: type[T], max_bytes: int) -> T:
    """The request body decoded as ``kind``.

    Raises:
        MalformedRequest: not JSON. InvalidRequest: JSON of the wrong shape (the field is named).
    """
    body = await read_body(request, max_bytes)
    try:
        return msgspec.json.decode(body or b"{}", type=kind)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from None
    except msgspec.DecodeError as exc:
        raise MalformedRequest(f"malformed JSON: {exc}") from None


def convert(value: object, kind: type[T]) -> T:
    """An already decoded JSON value as ``kind`` (for bodies that take one of several shapes)."""
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: msgspec.ValidationError) -> InvalidRequest:
    match = _PATH.search(str(exc))
    return InvalidRequest(str(exc), field=match.group(1) if match and match.group(1) else None)
