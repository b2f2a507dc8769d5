"""Reading request bodies within the configured limits, gzip and deflate included."""

from __future__ import annotations

import zlib

from fastapi import Request

from tracehound.errors import MalformedRequest, PayloadTooLarge, TracehoundError


class UnsupportedEncoding(TracehoundError):
    status = 415
    code = "unsupported_encoding"


def _too_large(limit: int, what: str) -> PayloadTooLarge:
    return PayloadTooLarge(f"request body is over the limit of {limit} bytes{what}", limit=limit, field="body")


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, decompressed, never more than ``max_bytes`` held in memory.

    Raises:
        PayloadTooLarge: the body (or what it inflates to) is over ``max_bytes``.
        UnsupportedEncoding: a ``Content-Encoding`` other than gzip, deflate or identity.
        MalformedRequest: the body is not valid for its encoding.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes, "")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes, "")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    return inflate(body, encoding, max_bytes)


def inflate(body: bytes, encoding: str, max_bytes: int) -> bytes:
    """Undo a gzip or deflate content encoding, refusing to inflate past ``max_bytes``."""
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif encoding == "deflate":
        wbits = zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS
    else:
        raise UnsupportedEncoding(f"Content-Encoding {encoding!r} is not supported (use gzip or deflate)")
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise MalformedRequest(f"body is not valid {encoding}: {exc}") from None
    if len(data) > max_bytes:
        raise _too_large(max_bytes, " once decompressed")
    if not inflater.eof:
        raise MalformedRequest(f"body is a truncated {encoding} stream")
    return data
