"""``Run``: a span while it runs, and the handle user code gets from ``get_current_span()``.

Starting and ending a run is on the caller's thread, so it does the least it can: read the parent
from the context, take an id from a counter, read the clock, and encode the arguments (at start) and
the return value (at end) to JSON, so the span shows them as they were then even if the program
mutates them later (``tracehound.sdk.snapshot``). Everything else (binding arguments to names,
``dotted_order``, text ids, the span's JSON) waits for the exporter's thread (``tracehound.sdk.wire``).

    with tracehound.span("lookup", run_type="tool") as run:
        run.set_metadata(region="eu")
        run.set_outputs({"rows": 3})
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from tracehound.sdk import _guard
from tracehound.sdk import ids as _ids
from tracehound.sdk.config import STATE
from tracehound.sdk.context import CURRENT_RUN, CURRENT_SESSION
from tracehound.sdk.ids import _COUNTER_MASK, id_text
from tracehound.sdk.snapshot import EMPTY_ARRAY, encode_args, encode_json, encode_result
from tracehound.sdk.snapshot import encoder as _encode

_time_ns = time.time_ns


class Spec:
    """What does not change between calls of one traced function (or one ``span()`` block)."""

    __slots__ = ("_skip_first", "func", "metadata", "name", "run_type", "signature", "tags", "wire")

    def __init__(self, func: Any, name: str, run_type: str, tags: tuple[str, ...], metadata: dict[str, Any]):
        self.func = func
        self.name = name
        self.run_type = run_type
        self.tags = tags
        self.metadata = metadata
        self.signature: Any = None  # how to bind arguments, worked out on the exporter's thread when first needed
        self._skip_first: bool | None = None
        # (project, JSON members, the same without metadata), cached by the exporter's thread
        self.wire: tuple[str, str, str] | None = None

    @property
    def skip_first(self) -> bool:
        """Whether calls pass ``self``/``cls`` first (never encoded); worked out on the first call."""
        skip = self._skip_first
        if skip is None:
            from tracehound.sdk.binding import skips_first  # binding imports this module

            skip = self._skip_first = skips_first(self)
        return skip


class Run:
    """A span being recorded. Setters are for user code inside the span; after it ends they do nothing.

    Not thread-safe between writers: one span is normally written by the code it wraps.
    """

    __slots__ = (
        "_extra", "_id", "_id_text", "_steps", "args_json", "dotted", "end_ns", "exc", "kwargs_json", "outputs_json",
        "parent", "root", "session", "spec", "start_ns", "step",
    )

    def __init__(self, spec: Spec, parent: Run | None, args: tuple[Any, ...] | None, kwargs: dict[str, Any] | None):
        self._id = _ids._high | (next(_ids._counter) & _COUNTER_MASK)  # ids.next_id() inlined (hot path)
        self._id_text: str | None = None
        self.spec = spec
        self.parent = parent
        # The call's arguments as they are now (JSON array / object; None: not a function call or no kwargs).
        # Inlined (not encode_args) because this is the hot path of every traced call.
        if args:
            skip = spec._skip_first
            if skip is None:
                skip = spec.skip_first
            try:
                self.args_json: bytes | None = _encode(args[1:] if skip else args)
            except Exception:
                self.args_json = encode_args(args, skip)
        else:
            self.args_json = None if args is None and kwargs is None else EMPTY_ARRAY
        self.kwargs_json = encode_json(kwargs) if kwargs else None
        self.outputs_json: bytes | None = None
        if parent is None:
            self.root: Run = self
            self._steps: itertools.count[int] | None = itertools.count(1)
            self.step = 0
        else:
            root = parent.root
            self.root = root
            self._steps = None
            self.step = next(root._steps)  # type: ignore[arg-type]  # a root always has a counter
        self.session = CURRENT_SESSION.get()
        self.exc: BaseException | None = None
        self._extra: dict[str, Any] | None = None
        self.dotted: str | None = None  # filled by the exporter thread
        self.end_ns = 0
        self.start_ns = _time_ns()

    # Identity ---------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """This span's UUID."""
        text = self._id_text
        if text is None:
            text = self._id_text = id_text(self._id)
        return text

    @property
    def trace_id(self) -> str:
        """The trace's UUID (the root span's id)."""
        return self.root.id

    @property
    def parent_id(self) -> str | None:
        return None if self.parent is None else self.parent.id

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def is_recording(self) -> bool:
        """False for the stand-in handed out when nothing is traced; its setters do nothing."""
        return True

    # Setters for user code ---------------------------------------------------------------------

    def _fields(self) -> dict[str, Any]:
        extra = self._extra
        if extra is None:
            extra = self._extra = {}
        return extra

    def set_metadata(self, values: Mapping[str, Any] | None = None, /, **more: Any) -> None:
        """Merge keys into the span's metadata (later values win)."""
        if self.end_ns:
            return
        metadata = self._fields().setdefault("metadata", {})
        if values:
            metadata.update(values)
        metadata.update(more)

    def add_tags(self, *tags: str | Iterable[str]) -> None:
        """Add tags (strings, or iterables of strings)."""
        if self.end_ns:
            return
        target = self._fields().setdefault("tags", [])
        for tag in tags:
            if isinstance(tag, str):
                target.append(tag)
            else:
                target.extend(str(item) for item in tag)

    def set_inputs(self, inputs: Any) -> None:
        """Replace the captured arguments with these inputs, recorded as they are now."""
        if not self.end_ns:
            self._fields()["inputs"] = msgspec.Raw(encode_json(inputs))

    def set_outputs(self, outputs: Any) -> None:
        """Record outputs, as they are now; they win over the function's return value."""
        if not self.end_ns:
            self._fields()["outputs"] = msgspec.Raw(encode_json(outputs))

    def set_tokens(self, prompt: int | None = None, completion: int | None = None, total: int | None = None) -> None:
        """Record token counts; ``total`` defaults to prompt + completion."""
        if self.end_ns:
            return
        fields = self._fields()
        if prompt is not None:
            fields["prompt_tokens"] = int(prompt)
        if completion is not None:
            fields["completion_tokens"] = int(completion)
        if total is not None:
            fields["total_tokens"] = int(total)
        guards = STATE.guards
        if guards is not None:
            counted = fields.get("total_tokens")
            if counted is None:
                counted = fields.get("prompt_tokens", 0) + fields.get("completion_tokens", 0)
            guards.on_tokens(self, fields.get("prompt_tokens"), counted)

    def set_cost(self, usd: float, details: Mapping[str, float] | None = None) -> None:
        """Record the cost in US dollars, with an optional breakdown such as ``{"prompt": 0.01}``."""
        if self.end_ns:
            return
        fields = self._fields()
        fields["cost"] = float(usd)
        if details is not None:
            fields["cost_details"] = {str(key): float(value) for key, value in details.items()}

    def set_model(self, model: str) -> None:
        """Name the model this span called."""
        if not self.end_ns:
            self._fields()["model"] = str(model)

    def add_event(self, name: str, **attributes: Any) -> None:
        """Record a point in time inside the span (a streamed token, a retry)."""
        if not self.end_ns:
            self._fields().setdefault("events", []).append((str(name), _time_ns(), attributes))

    def link_example(self, example_id: str, *, project: str | None = None) -> None:
        """Mark this run as the run of a dataset example (``evaluate()`` does it on each root).

        Args:
            example_id: set as the span's ``reference_example_id``.
            project: when given on a root span, the whole trace goes to this project instead of the
                configured one (experiment traces are kept apart from production).
        """
        if self.end_ns:
            return
        fields = self._fields()
        fields["reference_example_id"] = str(example_id)
        if project is not None:
            fields["project"] = str(project)

    def interrupt(self, reason: str = "interrupted") -> None:
        """Mark the span interrupted (paused for approval, handed off) instead of ok."""
        if not self.end_ns:
            self._fields()["interrupted"] = str(reason)

    # Lifecycle (called by the wrappers; never raise) -------------------------------------------

    def _end(self, result: Any) -> None:
        try:
            if self.end_ns:
                return
            self.end_ns = _time_ns()
            extra = self._extra
            if result is not None and (extra is None or "outputs" not in extra):
                try:  # the value as it is now, not at export
                    self.outputs_json = _encode(result if type(result) is dict else {"output": result})
                except Exception:
                    self.outputs_json = encode_result(result)
            (STATE.exporter or STATE.create_exporter()).export(self)
        except Exception:
            _guard.internal_error("ending a span")

    def _fail(self, exc: BaseException) -> None:
        try:
            if self.end_ns:
                return
            self.exc = exc
            self.end_ns = _time_ns()
            (STATE.exporter or STATE.create_exporter()).export(self)
        except Exception:
            _guard.internal_error("ending a span")

    def __repr__(self) -> str:
        return f"<Run {self.spec.name!r} {self.spec.run_type} id={self.id}>"


class NonRecordingRun(Run):
    """The handle given out when no span is recording: every setter is accepted and ignored.

    It also marks a context where spans must not be recorded: an unsampled trace, and the exporter's
    own thread (so converting a user object that is itself traced cannot record spans forever).
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(Spec(None, "non-recording", "chain", (), {}), None, None, None)
        self.end_ns = 1  # "already ended": every setter returns at once

    @property
    def is_recording(self) -> bool:
        return False

    def _end(self, result: Any) -> None:
        return None

    def _fail(self, exc: BaseException) -> None:
        return None

    def __repr__(self) -> str:
        return "<NonRecordingRun>"


NON_RECORDING = NonRecordingRun()


def start(spec: Spec, args: tuple[Any, ...] | None, kwargs: dict[str, Any] | None) -> Run:
    """Begin a run under the current one; ``NON_RECORDING`` when this trace is not sampled."""
    parent = CURRENT_RUN.get()
    if parent is NON_RECORDING:
        return NON_RECORDING
    if parent is None:
        rate = STATE.sample_rate
        if rate < 1.0 and STATE.random() >= rate:
            return NON_RECORDING
    run = Run(spec, parent, args, kwargs)
    guards = STATE.guards
    if guards is not None and parent is not None:
        guards.on_start(run)  # may record the run as failed and raise GuardTripped into the agent
    return run


def get_current_span() -> Run:
    """The span running here, to add metadata, tokens or outputs to it.

    Returns:
        The innermost running span; outside any span (or with tracing off) a stand-in whose setters
        do nothing, so instrumentation code never needs an ``if``.
    """
    run = CURRENT_RUN.get()
    return NON_RECORDING if run is None else run
