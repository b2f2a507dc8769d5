"""``with tracehound.span(...)``: a span around a block of code instead of a whole function.

    with tracehound.span("rerank", run_type="tool", inputs={"n": len(docs)}) as run:
        ranked = rerank(docs)
        run.set_outputs({"top": ranked[:3]})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextvars import Token
from types import TracebackType
from typing import Any

from tracehound.errors import GuardTripped
from tracehound.sdk import _guard, otel_bridge
from tracehound.sdk.config import STATE
from tracehound.sdk.context import CURRENT_RUN
from tracehound.sdk.run import NON_RECORDING, Run, Spec, start


class SpanBlock:
    """The context manager ``span()`` returns; entering it starts the span, leaving it ends the span."""

    __slots__ = ("_otel_token", "_run", "_spec", "_token", "inputs")

    def __init__(self, spec: Spec, inputs: Any) -> None:
        self._spec = spec
        self.inputs = inputs
        self._run: Run | None = None
        self._token: Token[Run | None] | None = None
        self._otel_token: Any = None

    def __enter__(self) -> Run:
        if not STATE.enabled:
            return NON_RECORDING
        try:
            run = start(self._spec, None, None)
            if self.inputs is not None:
                run.set_inputs(self.inputs)
            self._token = CURRENT_RUN.set(run)
            self._run = run
            if otel_bridge.OTEL_MODULE in otel_bridge.MODULES:  # OTel spans in the block nest under this one
                self._otel_token = otel_bridge.attach(otel_bridge.context_for(run))
            return run
        except GuardTripped:
            raise
        except Exception:
            _guard.internal_error("starting a span block")
            return NON_RECORDING

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        run, token = self._run, self._token
        if run is None or token is None:
            return
        self._run = self._token = None
        otel_token, self._otel_token = self._otel_token, None
        try:
            otel_bridge.detach(otel_token)
            CURRENT_RUN.reset(token)
        except Exception:
            _guard.internal_error("leaving a span block")
        if exc is None:
            run._end(None)
        else:
            run._fail(exc)  # recorded; returning None lets the exception carry on unchanged


def span(
    name: str,
    *,
    run_type: str = "chain",
    inputs: Any = None,
    tags: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> SpanBlock:
    """A span around a ``with`` block, nested under the current span.

    Args:
        name: span name.
        run_type: as for ``@traceable``.
        inputs: recorded as the span's inputs.
        tags: tags of the span.
        metadata: metadata of the span.

    Returns:
        A context manager; ``as`` gives the running span (a ``Run``).

    Raises:
        ValueError: ``run_type`` is not a known type.
    """
    from tracehound.model import RUN_TYPES

    if run_type not in RUN_TYPES:
        raise ValueError(f"run_type: {run_type!r} is not one of {', '.join(RUN_TYPES)}")
    return SpanBlock(Spec(None, str(name), run_type, tuple(str(tag) for tag in tags), dict(metadata or {})), inputs)
