"""OpenTelemetry spans started inside one of ours nest under it, with no ``context=`` argument.

    @tracehound.traceable(run_type="tool")
    def lookup(sku):
        with tracer.start_as_current_span("SELECT"):   # parent: lookup's span, in lookup's trace
            ...

OpenTelemetry finds a new span's parent in its own context (``opentelemetry.context``, a context
variable of its own), so while the code of one of our recording spans runs, an OTel context whose
current span stands for ours is attached there, and detached after: around the call of a function,
the ``await`` of a coroutine, each resume of a generator or async generator, the body of a
``with span(...)`` or ``with extract(...)`` block.

Only once the program has imported ``opentelemetry.trace`` (``OTEL_MODULE in MODULES``, checked at
each span start: one dictionary lookup, ~20 ns); this module never imports OpenTelemetry itself
before the program has. The stand-in is a ``NonRecordingSpan`` whose ids are worked out only when an
OTel span asks for them (most of our spans have no OTel child): the trace id is our trace UUID's 16
bytes, the span id ``otel_span_id(our UUID)``, and ``tracestate`` names our UUID, so the OTLP ingest
gives the OTel child exactly our span as parent (``tracehound.sdk.propagation``).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator, Callable, Coroutine, Generator
from typing import Any, Final

from tracehound.sdk import _guard
from tracehound.sdk.run import NON_RECORDING, Run

OTEL_MODULE: Final = "opentelemetry.trace"
"""Present in ``MODULES`` once the program uses the OpenTelemetry tracing API."""

MODULES: Final = sys.modules
"""The dictionary itself, read without a global lookup (Python does not support replacing it either)."""


class _Api:
    """The OpenTelemetry functions used here, looked up once (the first time a span starts after the import)."""

    __slots__ = ("attach", "detach", "get_current", "run_span", "set_span_in_context")

    def __init__(self, context: Any, trace: Any, run_span: type) -> None:
        self.get_current: Callable[[], Any] = context.get_current
        self.attach: Callable[[Any], Any] = context.attach
        self.detach: Callable[[Any], None] = context.detach
        self.set_span_in_context: Callable[[Any], Any] = trace.set_span_in_context
        self.run_span = run_span


_api: _Api | None = None


def _load() -> _Api:
    global _api
    from opentelemetry import context, trace

    from tracehound.sdk.propagation import span_context

    class _RunSpan(trace.NonRecordingSpan):
        """Our span, as the current span of an OTel context; its ``SpanContext`` is built when first asked."""

        __slots__ = ("_run",)

        def __init__(self, run: Run) -> None:
            # Not NonRecordingSpan.__init__: it only sets _context, and the extra call doubles the cost.
            self._context: trace.SpanContext | None = None  # type: ignore[assignment]
            self._run = run

        def get_span_context(self) -> trace.SpanContext:
            found = self._context
            if found is None:
                found = self._context = span_context(self._run)
            return found

    _api = _Api(context, trace, _RunSpan)
    return _api


def context_for(run: Run) -> Any:
    """The OTel context to attach while ``run``'s code runs: the current one, with ``run`` as current span.

    Returns:
        An ``opentelemetry.context.Context``, or ``None`` when ``run`` does not record (nothing to nest under).
    """
    if run is NON_RECORDING:
        return None
    try:
        api = _api or _load()
        return api.set_span_in_context(api.run_span(run))
    except Exception:
        _guard.internal_error("building an OpenTelemetry context")
        return None


def attach(context: Any) -> Any:
    """Make ``context`` OpenTelemetry's current context; the token for ``detach`` (``None`` for no context)."""
    if context is None:
        return None
    try:
        return (_api or _load()).attach(context)
    except Exception:
        _guard.internal_error("attaching an OpenTelemetry context")
        return None


def detach(token: Any) -> None:
    """Restore OpenTelemetry's context from before ``attach`` (OTel logs a bad token instead of raising)."""
    if token is not None:
        (_api or _load()).detach(token)


def _enter(run: Run) -> Any:
    # context_for + attach in one call: this is the plain and coroutine wrappers' path.
    if run is NON_RECORDING:
        return None
    try:
        api = _api or _load()
        return api.attach(api.set_span_in_context(api.run_span(run)))
    except Exception:
        _guard.internal_error("attaching an OpenTelemetry context")
        return None


def call(run: Run, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``fn(*args, **kwargs)`` with ``run`` as OpenTelemetry's current span."""
    token = _enter(run)
    try:
        return fn(*args, **kwargs)
    finally:
        if token is not None:
            _api.detach(token)  # type: ignore[union-attr]  # _enter loaded the API


async def awaited(run: Run, coro: Coroutine[Any, Any, Any]) -> Any:
    """``await coro`` with ``run`` as OpenTelemetry's current span."""
    token = _enter(run)
    try:
        return await coro
    finally:
        if token is not None:
            _api.detach(token)  # type: ignore[union-attr]  # _enter loaded the API


class AttachedGenerator:
    """A generator whose every step runs with ``run`` as OpenTelemetry's current span.

    The generator's own OTel context is kept from one step to the next (a span it opened before a
    ``yield`` is still the parent after it), and the consumer's is back while it holds an item.
    """

    __slots__ = ("_context", "_gen")

    def __init__(self, gen: Generator[Any, Any, Any], run: Run) -> None:
        self._gen = gen
        self._context = context_for(run)

    def _step(self, method: Callable[..., Any], *args: Any) -> Any:
        token = attach(self._context)
        try:
            return method(*args)
        finally:
            if token is not None:
                self._context = (_api or _load()).get_current()
            detach(token)

    def send(self, value: Any) -> Any:
        return self._step(self._gen.send, value)

    def throw(self, exc: BaseException) -> Any:
        return self._step(self._gen.throw, exc)

    def close(self) -> None:
        self._step(self._gen.close)


class AttachedAsyncGenerator:
    """An async generator whose every step runs with ``run`` as OpenTelemetry's current span."""

    __slots__ = ("_agen", "_context")

    def __init__(self, agen: AsyncGenerator[Any, Any], run: Run) -> None:
        self._agen = agen
        self._context = context_for(run)

    async def _step(self, method: Callable[..., Any], *args: Any) -> Any:
        token = attach(self._context)
        try:
            return await method(*args)
        finally:
            if token is not None:
                self._context = (_api or _load()).get_current()
            detach(token)

    async def asend(self, value: Any) -> Any:
        return await self._step(self._agen.asend, value)

    async def athrow(self, exc: BaseException) -> Any:
        return await self._step(self._agen.athrow, exc)

    async def aclose(self) -> None:
        await self._step(self._agen.aclose)
