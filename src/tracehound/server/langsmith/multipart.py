"""Reading ``POST /runs/multipart`` bodies: plain or zstd, then ``multipart/form-data`` into parts.

The SDK compresses one whole multipart body into one zstd frame whose header carries no content size,
so the frame is decoded as a stream (``decompressobj``), never with one-shot ``decompress``, and the
output is capped at the request limit as it grows (a small frame cannot inflate past the limit).

    body = await read_multipart_body(request, max_bytes)
    for part in parse_multipart(body, request.headers["content-type"]):
        part.name, part.content_type, part.data
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import zstandard
from fastapi import Request

from tracehound.errors import MalformedRequest, PayloadTooLarge
from tracehound.server.body import inflate

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)
_NAME = re.compile(rb'\bname="([^"]*)"', re.I)
_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Part:
    """One form-data part: its name (``post.<id>``, ``post.<id>.inputs``, ``attachment.<id>.<name>``…)."""

    name: str
    content_type: str
    data: bytes


def _too_large(limit: int, what: str = "") -> PayloadTooLarge:
    return PayloadTooLarge(f"request body is over the limit of {limit} bytes{what}", limit=limit, field="body")


async def read_multipart_body(request: Request, max_bytes: int) -> bytes:
    """The request body, decoded from zstd, gzip or deflate when so encoded, never over ``max_bytes``.

    Raises:
        PayloadTooLarge: the body, or what it decompresses to, is over ``max_bytes``.
        MalformedRequest: not valid for its content encoding.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding != "zstd":
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            chunks.append(chunk)
        return inflate(b"".join(chunks), encoding, max_bytes)
    decoder = zstandard.ZstdDecompressor().decompressobj()
    out: list[bytes] = []
    size = received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes:
                raise _too_large(max_bytes)
            # Feed in slices so a highly compressible chunk is checked against the cap as it grows.
            for start in range(0, len(chunk), _CHUNK_BYTES):
                data = decoder.decompress(chunk[start:start + _CHUNK_BYTES])
                size += len(data)
                if size > max_bytes:
                    raise _too_large(max_bytes, " once decompressed")
                out.append(data)
    except zstandard.ZstdError as exc:
        raise MalformedRequest(f"body is not valid zstd: {exc}") from None
    if received and not decoder.eof:
        raise MalformedRequest("body is a truncated zstd frame")
    return b"".join(out)


def boundary_of(content_type: str) -> bytes:
    """The boundary of a ``multipart/form-data`` content type.

    Raises:
        MalformedRequest: not multipart, or no boundary.
    """
    if not content_type.lower().startswith("multipart/"):
        raise MalformedRequest(f"expected multipart/form-data, got {content_type[:80]!r}", field="content-type")
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise MalformedRequest("multipart content type without a boundary", field="content-type")
    return match.group(1).encode("latin-1")


def parse_multipart(body: bytes, content_type: str) -> Iterator[Part]:
    """The parts of a multipart body, in order.

    Raises:
        MalformedRequest: a part without headers or a name, or a body without its closing boundary.
    """
    delimiter = b"--" + boundary_of(content_type)
    pieces = body.split(delimiter)
    if len(pieces) < 2:
        if not body.strip():
            return
        raise MalformedRequest("multipart body without its boundary")
    if not pieces[-1].startswith(b"--"):
        raise MalformedRequest("multipart body without its closing boundary (truncated?)")
    for index, piece in enumerate(pieces[1:-1], 1):
        # Each piece is "\r\n<headers>\r\n\r\n<data>\r\n".
        head_end = piece.find(b"\r\n\r\n")
        if head_end < 0:
            raise MalformedRequest(f"multipart part {index} has no header block")
        headers = piece[:head_end].strip()
        data = piece[head_end + 4:]
        if data.endswith(b"\r\n"):
            data = data[:-2]
        name = _NAME.search(headers)
        if name is None:
            raise MalformedRequest(f"multipart part {index} has no name")
        yield Part(name.group(1).decode("utf-8", "replace"), _header(headers, b"content-type"), data)


def _header(headers: bytes, wanted: bytes) -> str:
    for line in headers.split(b"\r\n"):
        key, _, value = line.partition(b":")
        if key.strip().lower() == wanted:
            return value.strip().decode("latin-1")
    return "application/octet-stream"
