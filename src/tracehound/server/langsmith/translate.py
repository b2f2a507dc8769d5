"""LangSmith run dicts ↔ our ``Span``: the LangSmith edge's one translator.

Ingest (``to_span``) takes a run as the SDK sends it (a ``post`` with an optional ``patch`` merged in,
or a lone ``patch``) and returns a ``Span``; reads (``to_run``) take a span as our API shows it
(``Span.to_api()`` or a row of ``query.runs.list_runs``) and return LangSmith's ``Run`` shape.

Mapping::

    id, trace_id, dotted_order, reference_example_id   same
    parent_run_id                                       parent_id
    session_name | session_id                           project (a name; ids resolved by the caller)
    run_type                                            run_type; an unknown one is stored as "chain"
                                                        with metadata.ls_run_type keeping the original
    extra.metadata                                      metadata; extra.runtime → metadata.ls_runtime
    extra.metadata / outputs usage_metadata             prompt/completion/total tokens, cost, cost_details
    metadata.ls_model_name                              model (else the model the response in outputs names)
    usage_metadata input/output_token_details           metadata.usage_details (cache_read, cache_write, reasoning)
    error GraphInterrupt(...) / NodeInterrupt(...)      status interrupted, status_reason the exception name
    metadata.ls_status = "interrupted"                  status interrupted (any other SDK can say so)
    metadata.thread_id | session_id | conversation_id   session_id (our conversation id; LangSmith's thread_id)
    metadata.user_id                                    user_id
    status (never sent)                                 derived: error → error, no end_time → running, else ok
"""

from __future__ import annotations

from typing import Any, Final

from tracehound.model import RUN_TYPES, Span
from tracehound.timefmt import compact, now_us, parse_iso_us

RUNTIME_KEY: Final = "ls_runtime"
RUN_TYPE_KEY: Final = "ls_run_type"
ATTACHMENTS_KEY: Final = "ls_attachments"
_RESERVED: Final = (RUNTIME_KEY, RUN_TYPE_KEY, ATTACHMENTS_KEY)
_THREAD_KEYS: Final = ("thread_id", "session_id", "conversation_id")
INTERRUPTS: Final = ("GraphInterrupt", "NodeInterrupt", "Interrupt(", "HumanInterrupt")
STATUS_TO_LANGSMITH: Final = {"ok": "success", "error": "error", "running": "pending", "interrupted": "error"}


def merge_ops(post: dict[str, Any] | None, patch: dict[str, Any] | None) -> dict[str, Any]:
    """One run from a post and a patch of the same id: the patch's non-null fields win (nulls mean unchanged)."""
    run = dict(post or {})
    for key, value in (patch or {}).items():
        if value is not None:
            run[key] = value
    return run


_CLOCK_SLACK_US: Final = 1000


def segment(start_us: int, run_id: str) -> str:
    """One dotted-order segment: ``20260415T101500123456Z<uuid>``."""
    return compact(start_us) + run_id


def _time(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        # Epoch seconds or milliseconds, as some clients send; anything larger is microseconds.
        return int(value * 1_000_000) if value < 1e11 else int(value * 1000) if value < 1e14 else int(value)
    return parse_iso_us(str(value).replace("Z", "+00:00"))


def _usage(metadata: dict[str, Any], outputs: Any) -> dict[str, Any]:
    """Token usage as LangSmith reports it, from the first place that has it."""
    for candidate in (metadata.get("usage_metadata"),
                      outputs.get("usage_metadata") if isinstance(outputs, dict) else None,
                      _llm_output_usage(outputs)):
        if isinstance(candidate, dict) and candidate:
            return candidate
    return {}


def _llm_output_usage(outputs: Any) -> dict[str, Any] | None:
    if not isinstance(outputs, dict) or not isinstance(outputs.get("llm_output"), dict):
        return None
    usage = outputs["llm_output"].get("token_usage") or outputs["llm_output"].get("usage")
    return usage if isinstance(usage, dict) else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def to_span(run: dict[str, Any], project: str, stored: Span | None = None, parent: Span | None = None) -> Span:
    """The span for one LangSmith run.

    Args:
        run: the run's fields (post and patch merged; large fields already inlined).
        project: the project it belongs to (the caller resolves ``session_name``/``session_id``).
        stored: the span already stored under this id, if any: fills what a bare patch lacks (a manual
            ``update_run`` sends name, trace and start as null).
        parent: the stored parent, when the run has no ``trace_id``/``dotted_order`` (``create_run``).

    Raises:
        ValueError: a field the span model refuses (bad UUID, time, negative tokens...).
    """
    run_id = str(run["id"])
    extra = run.get("extra") if isinstance(run.get("extra"), dict) else {}
    metadata = dict(extra.get("metadata") or {}) if isinstance(extra.get("metadata"), dict) else {}
    if isinstance(extra.get("runtime"), dict) and extra["runtime"]:
        metadata[RUNTIME_KEY] = extra["runtime"]
    run_type = run.get("run_type") or (stored.run_type if stored else "chain")
    if run_type not in RUN_TYPES:
        metadata[RUN_TYPE_KEY] = run_type
        run_type = "chain"
    end_us = _time(run.get("end_time"))
    start_us = _time(run.get("start_time"))
    if start_us is None:
        start_us = stored.start_us if stored else end_us if end_us is not None else now_us()
    if end_us is not None and start_us - _CLOCK_SLACK_US < end_us < start_us:
        # The JS SDK takes start_time from its µs dotted order but end_time from a ms clock: a run
        # shorter than a millisecond can "end" a few µs before it starts. It took no measurable time.
        end_us = start_us
    outputs = run.get("outputs")
    if outputs == {} and end_us is None:
        outputs = None  # a running post's placeholder must not wipe outputs a patch already stored
    inputs = run.get("inputs")
    usage = _usage(metadata, outputs)
    prompt = _int(usage.get("input_tokens", usage.get("prompt_tokens")))
    completion = _int(usage.get("output_tokens", usage.get("completion_tokens")))
    total = _int(usage.get("total_tokens"))
    input_cost, output_cost = _float(usage.get("input_cost")), _float(usage.get("output_cost"))
    cost = _float(usage.get("total_cost"))
    if cost is None and (input_cost is not None or output_cost is not None):
        cost = (input_cost or 0.0) + (output_cost or 0.0)
    cost_details = {k: v for k, v in (("input", input_cost), ("output", output_cost)) if v is not None} or None
    details = _usage_details(usage)
    if details and "usage_details" not in metadata:
        metadata["usage_details"] = details
    parent_id = run.get("parent_run_id") or (stored.parent_id if stored else None)
    trace_id = run.get("trace_id") or (stored.trace_id if stored else None) or (parent.trace_id if parent else None)
    dotted_order = run.get("dotted_order") or (stored.dotted_order if stored else None)
    if dotted_order is None:
        own = segment(start_us, run_id)
        dotted_order = own if parent_id is None else f"{parent.dotted_order}.{own}" if parent and parent.dotted_order \
            else None
    thread = next((metadata[key] for key in _THREAD_KEYS if isinstance(metadata.get(key), str | int)), None)
    user = metadata.get("user_id")
    error = run.get("error")
    if error is not None and not isinstance(error, str):
        error = str(error)
    status, status_reason = _interrupt(error, metadata, end_us)
    return Span(
        id=run_id, trace_id=str(trace_id or run_id), parent_id=str(parent_id) if parent_id else None,
        dotted_order=dotted_order, project=project, name=str(run.get("name") or (stored.name if stored else "run")),
        run_type=run_type, start_time=start_us, end_time=end_us, error=error or None, status=status,
        status_reason=status_reason,
        inputs=inputs, outputs=outputs, metadata=metadata,
        tags=[str(tag) for tag in run.get("tags") or []], events=list(run.get("events") or []),
        reference_example_id=run.get("reference_example_id"),
        session_id=None if thread is None else str(thread), user_id=str(user) if isinstance(user, str | int) else None,
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=total, cost=cost, cost_details=cost_details,
        model=metadata.get("ls_model_name") if isinstance(metadata.get("ls_model_name"), str) else None,
    )


def _usage_details(usage: dict[str, Any]) -> dict[str, int]:
    """LangChain's ``input_token_details``/``output_token_details`` in our names (parts of the totals)."""
    inputs = usage.get("input_token_details") if isinstance(usage.get("input_token_details"), dict) else {}
    outputs = usage.get("output_token_details") if isinstance(usage.get("output_token_details"), dict) else {}
    found = {"cache_read": _int(inputs.get("cache_read")), "cache_write": _int(inputs.get("cache_creation")),
             "reasoning": _int(outputs.get("reasoning"))}
    return {key: value for key, value in found.items() if value}


def _interrupt(error: str | None, metadata: dict[str, Any], end_us: int | None) -> tuple[str | None, str | None]:
    """``("interrupted", reason)`` for a run LangGraph interrupted (or one that says so), else ``(None, None)``."""
    if end_us is None:
        return None, None
    if error and error.lstrip().startswith(INTERRUPTS):
        return "interrupted", error.lstrip().split("(", 1)[0].split(":", 1)[0][:64]
    if metadata.get("ls_status") == "interrupted":
        reason = metadata.get("ls_status_reason")
        return "interrupted", str(reason)[:512] if reason else "interrupted"
    return None, None


def parent_ids(dotted_order: str | None) -> list[str]:
    """The ancestors named by a dotted order, root first (each segment ends with the 36-char UUID)."""
    if not dotted_order:
        return []
    return [part[-36:] for part in dotted_order.split(".")[:-1]]


def to_run(span: dict[str, Any], project_id: str | None, feedback_stats: dict[str, Any] | None = None,
           attachment_url: str | None = None) -> dict[str, Any]:
    """A span as our API shows it (``to_api`` or a ``list_runs`` row) in LangSmith's ``Run`` shape."""
    metadata = dict(span.get("metadata") or {})
    runtime = metadata.pop(RUNTIME_KEY, None)
    original_type = metadata.pop(RUN_TYPE_KEY, None)
    attachments = metadata.pop(ATTACHMENTS_KEY, None)
    details = span.get("cost_details") or {}
    run = {
        "id": span["id"], "name": span["name"], "run_type": original_type or span["run_type"],
        "start_time": span["start_time"], "end_time": span.get("end_time"),
        "trace_id": span.get("trace_id") or span["id"], "dotted_order": span.get("dotted_order") or "",
        "parent_run_id": span.get("parent_id"), "parent_run_ids": parent_ids(span.get("dotted_order")),
        "session_id": project_id, "reference_example_id": span.get("reference_example_id"),
        "status": STATUS_TO_LANGSMITH.get(span.get("status") or "", "pending"),
        "inputs": span.get("inputs"), "outputs": span.get("outputs"), "error": span.get("error"),
        "events": span.get("events") or [], "extra": {"metadata": metadata, "runtime": runtime or {}},
        "tags": span.get("tags") or [], "feedback_stats": feedback_stats or None,
        "prompt_tokens": span.get("prompt_tokens"), "completion_tokens": span.get("completion_tokens"),
        "total_tokens": span.get("total_tokens"), "prompt_cost": details.get("input"),
        "completion_cost": details.get("output"), "total_cost": span.get("cost"), "first_token_time": None,
        "app_path": f"/trace/{span.get('trace_id') or span['id']}", "thread_id": span.get("session_id"),
        "child_run_ids": None, "in_dataset": None,
    }
    if attachments and attachment_url is not None:
        run["s3_urls"] = {f"attachment.{name}": {"presigned_url": f"{attachment_url}/{info['sha256']}",
                                                 "mime_type": info.get("mime_type")}
                          for name, info in attachments.items()}
    return run


def strip_reserved(metadata: dict[str, Any]) -> dict[str, Any]:
    """User metadata without the keys this translator adds."""
    return {key: value for key, value in metadata.items() if key not in _RESERVED}
