"""Turn a finished ``Run`` into the JSON of one span; runs on the exporter's thread, never the caller's.

This is where the work skipped on the caller's thread happens: text ids, ``dotted_order``, binding
arguments to parameter names, JSON encoding (``repr`` for values JSON cannot hold, capped), size caps
and the error text with its traceback.

Arguments and return values arrive already encoded, as they were when the call started and ended
(``tracehound.sdk.snapshot``): a message list appended to after the call keeps its earlier length here.
"""

from __future__ import annotations

import traceback
from typing import Any, Final

import msgspec

from tracehound.sdk.binding import BindPlan, bind_inputs
from tracehound.sdk.config import STATE
from tracehound.sdk.redaction import Redactor
from tracehound.sdk.run import Run, Spec
from tracehound.sdk.snapshot import EMPTY_ARRAY, MAX_REPR_CHARS, encode_json, safe_repr
from tracehound.timefmt import compact, iso

MAX_VALUE_BYTES: Final = 1024 * 1024
MAX_NAME_CHARS: Final = 1024  # the model's limits (tracehound.model), applied here so a batch never fails on them
MAX_TAGS: Final = 256
MAX_TAG_CHARS: Final = 256
MAX_ID_CHARS: Final = 512
PREVIEW_CHARS: Final = 4096
# Same marker as tracehound.store.payload.truncation_marker (not imported: the SDK must not load the store).
TRUNCATED_KEY: Final = "__tracehound_truncated__"
_plain_encoder = msgspec.json.Encoder()
__all__ = ["MAX_REPR_CHARS", "bind_inputs", "encode_span", "encode_value", "error_text", "safe_repr", "span_dict"]


def encode_value(value: Any, cap_bytes: int = MAX_VALUE_BYTES) -> bytes:
    """JSON for any value (``msgspec.Raw`` pieces spliced as they are), never raising, then capped."""
    raw = encode_json(value)
    if len(raw) > cap_bytes:
        raw = _plain_encoder.encode({TRUNCATED_KEY: {
            "original_bytes": len(raw), "preview": raw[:PREVIEW_CHARS].decode("utf-8", "replace")}})
    return raw


_raw_array = msgspec.json.Decoder(list[msgspec.Raw])
_raw_object = msgspec.json.Decoder(dict[str, msgspec.Raw])


def snapshot_inputs(run: Run) -> dict[str, Any]:
    """The call's inputs by parameter name, each value the JSON taken when the call started."""
    spec = run.spec
    args_json = run.args_json
    args: list[Any] = [] if args_json is None or args_json == EMPTY_ARRAY else _raw_array.decode(args_json)
    if args_json is not None and spec.skip_first:
        args.insert(0, None)  # ``self``/``cls``: never encoded, left out again by binding
    kwargs = {} if run.kwargs_json is None else _raw_object.decode(run.kwargs_json)
    return bind_inputs(spec, tuple(args), kwargs)


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
        segment = f"{_compact(run.start_ns // 1000)}{run._id:032x}"
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
    elif run.args_json is not None:
        span["inputs"] = _payload(snapshot_inputs(run), redactor, "inputs")

    exc = run.exc
    if "outputs" in extra:
        span["outputs"] = _payload(extra["outputs"], redactor, "outputs")
    elif exc is None and run.outputs_json is not None:
        span["outputs"] = _payload(msgspec.Raw(run.outputs_json), redactor, "outputs")

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
    if (run._extra is None and run.exc is None and run.root._extra is None
            and (redactor is None or not redactor.applies_to(project))):
        return _encode_plain_span(run, project)
    return _plain_encoder.encode(span_dict(run, project, redactor))


def _spec_fields(spec: Spec, project: str) -> tuple[str, str]:
    """The JSON members every span of one spec shares in one project: (name, type, project, tags and
    metadata; the same without metadata)."""
    cached = spec.wire
    if cached is not None and cached[0] == project:
        return cached[1], cached[2]
    base = (f'"name":{_json_text(_clip(spec.name, MAX_NAME_CHARS) or "unnamed")},'
            f'"run_type":{_json_text(spec.run_type)},"project":{_json_text(project)}')
    if spec.tags:
        tags = list(dict.fromkeys(_clip(tag, MAX_TAG_CHARS) for tag in spec.tags))[:MAX_TAGS]
        base += f',"tags":{_plain_encoder.encode(tags).decode()}'
    text = base
    if spec.metadata:
        metadata = encode_value({str(key): value for key, value in spec.metadata.items()})
        text += f',"metadata":{metadata.decode()}'
    spec.wire = (project, text, base)
    return text, base


def _json_text(value: str) -> str:
    return _plain_encoder.encode(value).decode()


def _encode_plain_span(run: Run, project: str) -> bytes:
    """``encode_span`` for the common span (no fields set by user code, no error, no redaction), by
    formatting text around the pieces already encoded: a third of the cost of building a dict."""
    start_us = run.start_ns // 1000
    parent = run.parent
    spec = run.spec
    fields, base = _spec_fields(spec, project)
    if parent is not None and STATE.inherit_metadata:
        inherited = inherited_metadata(run)
        if inherited:  # the ancestors' metadata under the span's own: encoded per span, not cached
            inherited.update(spec.metadata)
            metadata = encode_value({str(key): value for key, value in inherited.items()}).decode()
            fields = f'{base},"metadata":{metadata}'
    text = (f'{{"id":"{run.id}","trace_id":"{run.root.id}",{fields},'
            f'"start_time":{start_us},"end_time":{max(run.end_ns // 1000, start_us)},'
            f'"dotted_order":"{dotted_order(run)}","step":{run.step},"status":"ok"')
    if parent is not None:
        text += f',"parent_id":"{parent.id}"'
    session = run.session
    if session is not None:
        text += f',"session_id":{_json_text(_clip(session[0], MAX_ID_CHARS))}'
        if session[1] is not None:
            text += f',"user_id":{_json_text(_clip(session[1], MAX_ID_CHARS))}'
    pieces = [text.encode()]
    args_json = run.args_json
    if args_json is not None:
        pieces.append(b',"inputs":')
        plan = run.spec.signature
        # Every parameter given positionally, nothing by keyword: splice the JSON pieces under their names.
        if isinstance(plan, BindPlan) and plan.simple and run.kwargs_json is None and args_json != EMPTY_ARRAY:
            values = _raw_array.decode(args_json)
            keys = plan.keys_after_self if plan.skip is not None else plan.keys
            if len(values) == len(keys):
                inputs = b"{" + b",".join([key + value for key, value in zip(keys, values, strict=True)]) + b"}"
                pieces.append(inputs if len(inputs) <= MAX_VALUE_BYTES else encode_value(msgspec.Raw(inputs)))
            else:
                pieces.append(encode_value(snapshot_inputs(run)))
        else:
            pieces.append(encode_value(snapshot_inputs(run)))
    outputs = run.outputs_json
    if outputs is not None:
        pieces += (b',"outputs":', outputs if len(outputs) <= MAX_VALUE_BYTES else encode_value(msgspec.Raw(outputs)))
    pieces.append(b"}")
    return b"".join(pieces)

