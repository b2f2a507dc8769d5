"""Turn a finished ``Run`` into the JSON of one span; runs on the exporter's thread, never the caller's.

This is where the work skipped on the caller's thread happens: text ids, ``dotted_order``, binding
arguments to parameter names, JSON encoding (``repr`` for values JSON cannot hold, capped), size caps
and the error text with its traceback.

Arguments are encoded when the span is exported, not when the function was called, so an argument
mutated after the call (a message list appended to) shows its later value. That is the price of a
few-microsecond span; call ``get_current_span().set_inputs(...)`` with a copy where it matters.
"""

from __future__ import annotations

import inspect
import traceback
from typing import Any, Final

import msgspec

from tracehound.sdk.config import STATE
from tracehound.sdk.redaction import Redactor
from tracehound.sdk.run import Run, Spec
from tracehound.timefmt import compact, iso

MAX_REPR_CHARS: Final = 2000
MAX_VALUE_BYTES: Final = 1024 * 1024
MAX_NAME_CHARS: Final = 1024  # the model's limits (tracehound.model), applied here so a batch never fails on them
MAX_TAGS: Final = 256
MAX_TAG_CHARS: Final = 256
MAX_ID_CHARS: Final = 512
PREVIEW_CHARS: Final = 4096
# Same marker as tracehound.store.payload.truncation_marker (not imported: the SDK must not load the store).
TRUNCATED_KEY: Final = "__tracehound_truncated__"
_SELF_NAMES: Final = ("self", "cls")
_NO_SIGNATURE: Final = object()


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


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)
_plain_encoder = msgspec.json.Encoder()


def encode_value(value: Any, cap_bytes: int = MAX_VALUE_BYTES) -> bytes:
    """JSON for any value: unsupported objects repr'd, a mapping falls back key by key, then capped."""
    try:
        raw = _encoder.encode(value)
    except Exception:  # a key JSON cannot hold, a cycle, a dict changed while we read it
        raw = _fallback(value)
    if len(raw) > cap_bytes:
        raw = _encoder.encode({TRUNCATED_KEY: {
            "original_bytes": len(raw), "preview": raw[:PREVIEW_CHARS].decode("utf-8", "replace")}})
    return raw


def _fallback(value: Any) -> bytes:
    if isinstance(value, dict):
        try:
            items = list(value.items())
        except Exception:
            items = None
        if items is not None:
            parts = {}
            for key, item in items:
                try:
                    parts[key if isinstance(key, str) else safe_repr(key)] = msgspec.Raw(_encoder.encode(item))
                except Exception:
                    parts[key if isinstance(key, str) else safe_repr(key)] = msgspec.Raw(
                        _encoder.encode(safe_repr(item)))
            return _plain_encoder.encode(parts)
    return _encoder.encode(safe_repr(value))


def bind_inputs(spec: Spec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by parameter name (defaults filled in, ``self``/``cls`` left out)."""
    plan = _plan(spec)
    if plan is None:
        return {"args": list(args), **kwargs} if args else dict(kwargs)
    if plan.simple:
        inputs = plan.fast_bind(args, kwargs)
        if inputs is not None:
            return inputs
    try:
        bound = plan.signature.bind(*args, **kwargs)
    except TypeError:
        return {"args": list(args), **kwargs} if args else dict(kwargs)
    bound.apply_defaults()
    inputs = {}
    var_keyword: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        if name == plan.skip:
            continue
        kind = plan.signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            var_keyword = value
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            inputs[name] = list(value)
        else:
            inputs[name] = value
    for name, value in var_keyword.items():
        inputs.setdefault(name, value)
    return inputs


class _BindPlan:
    """How to bind one function's arguments, worked out once: ``inspect`` binding costs ~8 µs a call,
    the fast path for plain parameters (no ``*args``, ``**kwargs`` or positional-only) about 1 µs."""

    __slots__ = ("defaults", "names", "positional", "signature", "simple", "skip")

    def __init__(self, signature: inspect.Signature) -> None:
        params = list(signature.parameters.values())
        self.signature = signature
        self.skip = params[0].name if params and params[0].name in _SELF_NAMES and params[0].kind in (
            inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD) else None
        self.simple = all(p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
                          for p in params)
        self.names = tuple(p.name for p in params)
        self.positional = sum(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)
        self.defaults = {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}

    def fast_bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """Bind plain parameters by hand; ``None`` when the call needs ``inspect`` (or does not bind)."""
        names = self.names
        if len(args) > self.positional:
            return None
        inputs = dict(zip(names, args, strict=False))  # fewer args than names: the rest come by keyword
        used = 0
        defaults = self.defaults
        for name in names[len(args):]:
            if name in kwargs:
                inputs[name] = kwargs[name]
                used += 1
            elif name in defaults:
                inputs[name] = defaults[name]
            else:
                return None
        if used != len(kwargs):
            return None
        if self.skip is not None:
            inputs.pop(self.skip, None)
        return inputs


def _plan(spec: Spec) -> _BindPlan | None:
    # Cached on the spec; two exporter threads racing compute it twice, which is harmless.
    plan = spec.signature
    if plan is None:
        try:
            plan = _BindPlan(inspect.signature(spec.func))
        except (TypeError, ValueError):
            plan = _NO_SIGNATURE
        spec.signature = plan
    return None if plan is _NO_SIGNATURE else plan


_last_second: tuple[int, str] = (-1, "")  # one tuple, so threads never see a second with another's text


def _compact(us: int) -> str:
    """``timefmt.compact`` with the date part cached per second (it is the hot part of dotted_order)."""
    global _last_second
    second, micros = divmod(us, 1_000_000)
    cached = _last_second
    if cached[0] != second:
        cached = _last_second = (second, compact(second * 1_000_000)[:-7])
    return f"{cached[1]}{micros:06d}Z"


def error_text(exc: BaseException) -> str:
    """``"ExcType: message\\n\\ntraceback"`` for the span's ``error`` field."""
    try:
        message = str(exc)
    except Exception:
        message = "<str() failed>"
    try:
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:
        trace = ""
    return f"{type(exc).__name__}: {message}\n\n{trace}".rstrip("\n")


def dotted_order(run: Run) -> str:
    """``<start><id>`` segments from the root down, joined by dots; cached on each run."""
    if run.dotted is None:
        segment = f"{_compact(run.start_ns // 1000)}{run.id.replace('-', '')}"
        parent = run.parent
        run.dotted = segment if parent is None else f"{dotted_order(parent)}.{segment}"
    return run.dotted


def _clip(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit]


def _payload(value: Any, redactor: Redactor | None, field: str) -> msgspec.Raw:
    raw = encode_value(value)
    if redactor is not None and field in redactor.fields:
        raw = redactor.json_bytes(raw)
    return msgspec.Raw(raw)


# Keys that describe one span only (usage of one call, a guard that fired on it): never inherited.
NOT_INHERITED: Final = frozenset({"usage", "usage_details", "usage_source", "cost_source", "guard", "provider",
                                  "request_model"})


def inherited_metadata(run: Run) -> dict[str, Any]:
    """The ancestors' metadata, root first, so the nearest wins (LangSmith's ``create_child`` merge).

    Read when the child is exported: a key an ancestor sets after the child ended is not seen.
    """
    chain = []
    parent = run.parent
    while parent is not None:
        chain.append(parent)
        parent = parent.parent
    merged: dict[str, Any] = {}
    for ancestor in reversed(chain):
        merged.update(ancestor.spec.metadata)
        own = (ancestor._extra or {}).get("metadata")
        if own:
            merged.update(own)
    for key in NOT_INHERITED & merged.keys():
        del merged[key]
    return merged


def span_dict(run: Run, project: str, redactor: Redactor | None = None) -> dict[str, Any]:
    """The span as a dict of JSON-ready values, inputs/outputs already encoded (``msgspec.Raw``).

    With a ``redactor`` (that applies to ``project``), personal data is replaced by tokens in the
    name, inputs, outputs, error and metadata before anything is encoded for the wire.
    """
    if redactor is not None and not redactor.applies_to(project):
        redactor = None
    spec = run.spec
    extra = run._extra or {}
    start_us = run.start_ns // 1000
    routed = run.root._extra
    if routed is not None and "project" in routed:  # an experiment's trace goes to the experiment's project
        project = routed["project"]
    span: dict[str, Any] = {
        "id": run.id,
        "trace_id": run.root.id,
        "name": _clip(spec.name, MAX_NAME_CHARS) or "unnamed",
        "run_type": spec.run_type,
        "start_time": start_us,
        "end_time": max(run.end_ns // 1000, start_us),  # the wall clock may step back; never end before start
        "project": project,
        "dotted_order": dotted_order(run),
        "step": run.step,
    }
    if run.parent is not None:
        span["parent_id"] = run.parent.id
    if run.session is not None:
        session_id, user_id = run.session
        span["session_id"] = _clip(session_id, MAX_ID_CHARS)
        if user_id is not None:
            span["user_id"] = _clip(user_id, MAX_ID_CHARS)

    if "inputs" in extra:
        span["inputs"] = _payload(extra["inputs"], redactor, "inputs")
    elif run.args is not None or run.kwargs is not None:
        span["inputs"] = _payload(bind_inputs(spec, run.args or (), run.kwargs or {}), redactor, "inputs")

    exc = run.exc
    if "outputs" in extra:
        span["outputs"] = _payload(extra["outputs"], redactor, "outputs")
    elif exc is None and run.result is not None:
        result = run.result
        span["outputs"] = _payload(result if isinstance(result, dict) else {"output": result}, redactor, "outputs")

    if exc is not None:
        if isinstance(exc, Exception):
            span["status"] = "error"
            span["error"] = error_text(exc)
        else:  # KeyboardInterrupt, asyncio.CancelledError, SystemExit, GeneratorExit: stopped, not failed
            span["status"] = "interrupted"
            span["status_reason"] = type(exc).__name__
    if "interrupted" in extra:
        span["status"] = "interrupted"
        span["status_reason"] = _clip(extra["interrupted"], MAX_ID_CHARS)
        if exc is not None and isinstance(exc, Exception):
            span["error"] = error_text(exc)
    elif "status" not in span:
        span["status"] = "ok"

    metadata = inherited_metadata(run) if run.parent is not None and STATE.inherit_metadata else {}
    metadata.update(spec.metadata)
    metadata.update(extra.get("metadata", ()))
    if metadata:
        span["metadata"] = _payload({str(key): value for key, value in metadata.items()}, redactor, "metadata")
    tags = list(spec.tags) + extra.get("tags", [])
    if tags:
        span["tags"] = list(dict.fromkeys(_clip(tag, MAX_TAG_CHARS) for tag in tags))[:MAX_TAGS]
    for key in ("prompt_tokens", "completion_tokens", "total_tokens", "cost", "cost_details"):
        if key in extra:
            span[key] = extra[key]
    if "model" in extra:
        span["model"] = _clip(extra["model"], MAX_ID_CHARS)
    if "reference_example_id" in extra:
        span["reference_example_id"] = extra["reference_example_id"]
    if redactor is not None:
        if "name" in redactor.fields:
            span["name"] = _clip(redactor.text(span["name"]), MAX_NAME_CHARS) or "redacted"
        if "error" in span and "error" in redactor.fields:
            span["error"] = redactor.text(span["error"])
    if "events" in extra:
        span["events"] = msgspec.Raw(encode_value([
            {"name": name, "time": iso(time_ns // 1000), "attributes": attributes}
            for name, time_ns, attributes in extra["events"]
        ]))
    return span


def encode_span(run: Run, project: str, redactor: Redactor | None = None) -> bytes:
    """The JSON of one span, as it goes into a batch's ``"spans"`` list."""
    return _plain_encoder.encode(span_dict(run, project, redactor))

