"""Payload encoding shared by the stores: JSON, capped, compressed when it pays.

A stored payload is one byte of format followed by the data: ``j`` plain JSON, ``z`` zlib-compressed
JSON. Small values stay plain because compressing 100 bytes costs more than it saves. A value whose
JSON is over the cap is replaced by a marker object that says so and keeps a preview, so a huge
prompt never blocks ingest and a reader always sees that something was cut.
"""

from __future__ import annotations

import zlib
from typing import Any, Final

import msgspec

DEFAULT_CAP_BYTES: Final = 1024 * 1024
COMPRESS_ABOVE_BYTES: Final = 384
PREVIEW_CHARS: Final = 4096
TRUNCATED_KEY: Final = "__tracehound_truncated__"

_encode = msgspec.json.encode
_decode = msgspec.json.decode


def truncation_marker(raw: bytes) -> dict[str, Any]:
    """What is stored instead of a value over the cap."""
    return {TRUNCATED_KEY: {"original_bytes": len(raw),
                            "preview": raw[:PREVIEW_CHARS].decode("utf-8", "replace")}}


def encode_payload(value: Any, cap_bytes: int = DEFAULT_CAP_BYTES) -> bytes | None:
    """Encode one payload for storage; ``None`` stays ``None`` (SQL NULL)."""
    if value is None:
        return None
    raw = _encode(value)  # a msgspec.Raw (see model.WireSpan) encodes to its bytes unchanged
    if raw == b"null":
        return None
    if len(raw) > cap_bytes:
        raw = _encode(truncation_marker(raw))
    if len(raw) > COMPRESS_ABOVE_BYTES:
        return b"z" + zlib.compress(raw, 1)
    return b"j" + raw


def decode_payload(blob: bytes | None) -> Any:
    """The stored value back as Python objects."""
    if blob is None:
        return None
    kind, data = blob[:1], blob[1:]
    if kind == b"z":
        data = zlib.decompress(data)
    return _decode(data)


def payload_text(blob: bytes | None) -> str:
    """The stored value as JSON text (for full-text indexing and export)."""
    if blob is None:
        return ""
    kind, data = blob[:1], blob[1:]
    if kind == b"z":
        data = zlib.decompress(data)
    return data.decode("utf-8", "replace")
