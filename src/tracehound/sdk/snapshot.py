"""JSON of a call's arguments and return value, taken on the caller's thread when the call starts and ends.

A span records what the function saw, not what its arguments became: an agent that appends to its
message list after an LLM call must not have that call recorded with the later history. Keeping
references and encoding later (on the exporter's thread) would do exactly that, and a deep copy in
Python costs more than encoding. So the arguments are encoded to JSON bytes at once, in C by msgspec
(~35 ns for a few scalars, ~7 µs for a 20 KB chat history), and the exporter's thread only binds the
already-encoded values to parameter names (``tracehound.sdk.binding``) and splices them into the span.

Values JSON cannot hold go through ``enc_hook``: a pydantic model's ``model_dump(mode="json")``, else
a capped ``repr``; a cycle or a key JSON cannot hold falls back to encoding item by item.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

MAX_REPR_CHARS: Final = 2000
EMPTY_ARRAY: Final = b"[]"


def safe_repr(value: object) -> str:
    """``repr`` that never raises and never exceeds ``MAX_REPR_CHARS`` characters."""
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<{type(value).__qualname__} object; repr failed: {type(exc).__name__}>"
    if len(text) > MAX_REPR_CHARS:
        text = f"{text[:MAX_REPR_CHARS]}... [{len(text)} chars]"
    return text


def _enc_hook(value: object) -> object:
    dump = getattr(value, "model_dump", None)  # pydantic v2 models, common in agent code
    if callable(dump) and not isinstance(value, type):
        try:
            return dump(mode="json")
        except Exception:
            pass
    return safe_repr(value)


_encode = encoder = msgspec.json.Encoder(enc_hook=_enc_hook).encode
"""msgspec's encoder with the SDK's hook; raises on cycles and keys JSON cannot hold (use ``encode_json``)."""
_plain_encode = msgspec.json.Encoder().encode


def encode_json(value: Any) -> bytes:
    """JSON bytes for any value, never raising: unsupported objects repr'd, containers item by item."""
    try:
        return _encode(value)
    except Exception:  # a key JSON cannot hold, a cycle, a dict changed while we read it
        return _fallback(value)


def _item(value: Any) -> msgspec.Raw:
    try:
        return msgspec.Raw(_encode(value))
    except Exception:
        return msgspec.Raw(_encode(safe_repr(value)))


def _fallback(value: Any) -> bytes:
    try:
        if isinstance(value, dict):
            return _plain_encode({key if isinstance(key, str) else safe_repr(key): _item(item)
                                  for key, item in list(value.items())})
        if isinstance(value, (list, tuple)):
            return _plain_encode([_item(item) for item in list(value)])
    except Exception:
        pass
    return _encode(safe_repr(value))


def encode_args(args: tuple[Any, ...], skip_first: bool) -> bytes:
    """The positional arguments as a JSON array (without ``self``/``cls`` when ``skip_first``)."""
    if skip_first:
        args = args[1:]
    return encode_json(args) if args else EMPTY_ARRAY


def encode_result(result: Any) -> bytes | None:
    """The span's outputs for a return value: a dict as it is, anything else as ``{"output": value}``."""
    if result is None:
        return None
    return encode_json(result if type(result) is dict else {"output": result})
