"""OTel trace and span ids mapped to our UUIDs, deterministically.

The trace UUID is the 16 trace-id bytes themselves (lossless, and what LangSmith does). A span's
UUID is ``uuid5(trace UUID, span-id hex)``: a child can name a parent that has not arrived yet (children
end, and usually arrive, first), and a retried export upserts instead of duplicating.

Our SDK puts its own span UUID in ``tracestate`` (``tracehound=<span-id hex><uuid hex>``) when it
injects a ``traceparent``; an OTel span whose parent is that span id then points at the SDK's UUID, so
spans of both SDKs nest in one tree (see ``tracehound.sdk.propagation``).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Final

TRACESTATE_KEY: Final = "tracehound"


def _text(raw: bytes | bytearray) -> str:
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def trace_uuid(trace_id: bytes) -> str:
    """Our trace id for a 16-byte OTel trace id: the same bytes, as UUID text."""
    return _text(trace_id)


def span_uuid_raw(trace_id: bytes, span_id_hex: str) -> str:
    """``uuid5(UUID(bytes=trace_id), span_id_hex)`` without the ``uuid`` module's overhead (hot path).

    A uuid5 is the SHA-1 of namespace bytes + name, cut to 16 bytes, with version 5 and the RFC 4122
    variant set; the test suite checks it against ``uuid.uuid5``.
    """
    digest = bytearray(hashlib.sha1(trace_id + span_id_hex.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return _text(digest)


def span_uuid(trace: str, span_id_hex: str) -> str:
    """Our span id for an OTel span id (hex) within a trace (our trace UUID text)."""
    return str(uuid.uuid5(uuid.UUID(trace), span_id_hex))


def valid_trace_id(trace_id: bytes) -> bool:
    """16 bytes, not all zero (a logs payload posted to /v1/traces decodes into spans without ids)."""
    return len(trace_id) == 16 and trace_id != b"\0" * 16


def valid_span_id(span_id: bytes) -> bool:
    """8 bytes, not all zero."""
    return len(span_id) == 8 and span_id != b"\0" * 8


def parent_from_tracestate(trace_state: str, parent_hex: str) -> str | None:
    """The SDK span UUID carried in ``tracestate`` for this parent span id, if it is there.

    The entry is inherited by every descendant, so it only applies when the span's parent *is* the
    span the SDK injected.
    """
    if TRACESTATE_KEY not in trace_state:
        return None
    for member in trace_state.split(","):
        key, _, value = member.strip().partition("=")
        if key == TRACESTATE_KEY and len(value) == 48 and value[:16] == parent_hex:
            try:
                return str(uuid.UUID(hex=value[16:]))
            except ValueError:
                return None
    return None


def tracestate_entry(span_id_hex: str, span_uuid_text: str) -> str:
    """The ``tracestate`` member our SDK sends: ``tracehound=<16 hex span id><32 hex uuid>``."""
    return f"{TRACESTATE_KEY}={span_id_hex}{uuid.UUID(span_uuid_text).hex}"
