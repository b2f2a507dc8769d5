"""``@traceable``: record each call of a function as a span, nested under the span that called it.

    @tracehound.traceable(run_type="tool")
    async def search(query: str, k: int = 5) -> list[str]: ...

The function is inspected once, when decorated (coroutine function, generator, async generator or
plain), and gets one of four short wrappers. Each call costs a flag check, a context-variable read
and set, a counter and two clock reads; arguments are kept by reference and bound to parameter names
later, on the exporter's thread. With tracing off the wrapper is one flag check and a plain call.
Once the program has imported OpenTelemetry, the user's code also runs with the span as OTel's current
span (``tracehound.sdk.otel_bridge``); until then that costs one dictionary lookup.
The user's exceptions are recorded on the span and re-raised unchanged; the SDK's own never escape.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator, Mapping, Sequence
from typing import Any, Literal, ParamSpec, TypeVar, overload

from tracehound.errors import GuardTripped
from tracehound.model import RUN_TYPES
from tracehound.sdk import _guard, otel_bridge
from tracehound.sdk import run as run_module
from tracehound.sdk.config import STATE
from tracehound.sdk.context import CURRENT_RUN
from tracehound.sdk.otel_bridge import MODULES, OTEL_MODULE
from tracehound.sdk.run import NON_RECORDING, Run, Spec, start
from tracehound.sdk.snapshot import encode_result, encoder

P = ParamSpec("P")
R = TypeVar("R")
RunTypeName = Literal["llm", "tool", "retriever", "chain", "embedding", "prompt", "parser", "agent", "guardrail"]

_WRAPPED_MARK = "__tracehound_traced__"


@overload
def traceable(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def traceable(
    func: None = None,
    /,
    *,
    name: str | None = None,
    run_type: RunTypeName = "chain",
    tags: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def traceable(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    run_type: RunTypeName = "chain",
    tags: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Trace every call of a function (sync or async, generator or not) as a span.

    Args:
        func: the function, when used as ``@traceable`` without parentheses.
        name: span name; defaults to the function's ``__name__``.
        run_type: one of ``llm tool retriever chain embedding prompt parser agent guardrail``.
        tags: tags on every span of this function.
        metadata: metadata on every span of this function (``get_current_span().set_metadata`` adds more).

    Returns:
        The wrapped function, with the original's signature and name.

    Raises:
        ValueError: ``run_type`` is not a known type (with a suggestion).
    """
    if run_type not in RUN_TYPES:
        close = difflib.get_close_matches(str(run_type), RUN_TYPES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"run_type: {run_type!r} is not one of {', '.join(RUN_TYPES)}{hint}")
    if isinstance(tags, str):
        raise ValueError(f"tags: expected a sequence of strings, got the string {tags!r}")
    tag_tuple = tuple(str(tag) for tag in tags)
    metadata_dict = dict(metadata or {})

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        spec = Spec(fn, name or getattr(fn, "__name__", None) or type(fn).__name__, run_type, tag_tuple,
                    metadata_dict)
        if inspect.isasyncgenfunction(fn):
            wrapper: Any = _async_generator_wrapper(fn, spec)
        elif inspect.iscoroutinefunction(fn):
            wrapper = _coroutine_wrapper(fn, spec)
        elif inspect.isgeneratorfunction(fn):
            wrapper = _generator_wrapper(fn, spec)
        else:
            wrapper = _plain_wrapper(fn, spec)
        functools.update_wrapper(wrapper, fn)
        setattr(wrapper, _WRAPPED_MARK, spec)
        return wrapper  # type: ignore[no-any-return]

    return decorate if func is None else decorate(func)


def _begin(spec: Spec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Run | None:
    try:
        return start(spec, args, kwargs)
    except GuardTripped:
        raise  # a runtime guard stops the agent on purpose
    except Exception:
        _guard.internal_error("starting a span")
        return None


def _plain_wrapper(fn: Callable[..., Any], spec: Spec) -> Callable[..., Any]:
    state = STATE
    current = CURRENT_RUN
    non_recording, new_run, encode = NON_RECORDING, Run, encoder
    modules, otel_module, otel_call = MODULES, OTEL_MODULE, otel_bridge.call

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not state.enabled:
            return fn(*args, **kwargs)
        # ``start`` inlined for the common case (a parent, no guards): this is every traced call's cost.
        parent = current.get()
        if parent is None or parent is non_recording or state.guards is not None:
            run = _begin(spec, args, kwargs)
            if run is None:
                return fn(*args, **kwargs)
        else:
            try:
                run = new_run(spec, parent, args, kwargs)
            except Exception:
                _guard.internal_error("starting a span")
                return fn(*args, **kwargs)
        token = current.set(run)
        try:
            # OpenTelemetry imported: OTel spans started inside nest under this one (otel_bridge).
            result = fn(*args, **kwargs) if otel_module not in modules else otel_call(run, fn, args, kwargs)
        except BaseException as exc:
            current.reset(token)
            run._fail(exc)
            raise
        current.reset(token)
        if run.end_ns or run._extra is not None:
            run._end(result)  # ended already, a stand-in, or user code set fields (outputs may win)
            return result
        # ``Run._end`` inlined for the common case, as ``start`` above.
        try:
            run.end_ns = run_module._time_ns()  # not bound once: sdk/clock.py swaps it for a simulated clock
            if result is not None:
                try:
                    run.outputs_json = encode(result if type(result) is dict else {"output": result})
                except Exception:
                    run.outputs_json = encode_result(result)
            (state.exporter or state.create_exporter()).export(run)
        except Exception:
            _guard.internal_error("ending a span")
        return result

    return wrapper


def _coroutine_wrapper(fn: Callable[..., Any], spec: Spec) -> Callable[..., Any]:
    state = STATE
    current = CURRENT_RUN
    modules, otel_module, otel_awaited = MODULES, OTEL_MODULE, otel_bridge.awaited

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not state.enabled:
            return await fn(*args, **kwargs)
        run = _begin(spec, args, kwargs)
        if run is None:
            return await fn(*args, **kwargs)
        token = current.set(run)
        try:
            if otel_module not in modules:
                result = await fn(*args, **kwargs)
            else:
                result = await otel_awaited(run, fn(*args, **kwargs))
        except BaseException as exc:
            current.reset(token)
            run._fail(exc)
            raise
        current.reset(token)
        run._end(result)
        return result

    return wrapper


def _generator_wrapper(fn: Callable[..., Generator[Any, Any, Any]], spec: Spec) -> Callable[..., Any]:
    state = STATE
    current = CURRENT_RUN

    def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        if not state.enabled:
            return (yield from fn(*args, **kwargs))
        run = _begin(spec, args, kwargs)
        if run is None:
            return (yield from fn(*args, **kwargs))
        # The span is current only while the generator's own code runs, never while the consumer
        # holds a yielded item; so it is set and reset around every step instead of around the loop.
        token = current.set(run)
        try:
            gen: Any = fn(*args, **kwargs)
            if OTEL_MODULE in MODULES:
                gen = otel_bridge.AttachedGenerator(gen, run)
        except BaseException as exc:
            current.reset(token)
            run._fail(exc)
            raise
        current.reset(token)
        items: list[Any] = []
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            token = current.set(run)
            try:
                if thrown is not None:
                    item = gen.throw(thrown)
                    thrown = None
                else:
                    item = gen.send(sent)
            except StopIteration as stop:
                current.reset(token)
                run._end(items)
                return stop.value
            except BaseException as exc:
                current.reset(token)
                run._fail(exc)
                raise
            current.reset(token)
            items.append(item)
            try:
                sent = yield item
            except GeneratorExit:  # the consumer stopped early (break, close, garbage collection)
                token = current.set(run)
                try:
                    gen.close()
                except BaseException as exc:
                    current.reset(token)
                    run._fail(exc)
                    raise
                current.reset(token)
                run._end(items)
                raise
            except BaseException as exc:
                thrown = exc

    return wrapper


def _async_generator_wrapper(fn: Callable[..., AsyncGenerator[Any, Any]], spec: Spec) -> Callable[..., Any]:
    state = STATE
    current = CURRENT_RUN

    async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        if not state.enabled or (run := _begin(spec, args, kwargs)) is None:
            async for item in fn(*args, **kwargs):
                yield item
            return
        token = current.set(run)
        try:
            agen: Any = fn(*args, **kwargs)
            if OTEL_MODULE in MODULES:
                agen = otel_bridge.AttachedAsyncGenerator(agen, run)
        except BaseException as exc:
            current.reset(token)
            run._fail(exc)
            raise
        current.reset(token)
        items: list[Any] = []
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            token = current.set(run)
            try:
                if thrown is not None:
                    item = await agen.athrow(thrown)
                    thrown = None
                else:
                    item = await agen.asend(sent)
            except StopAsyncIteration:
                current.reset(token)
                run._end(items)
                return
            except BaseException as exc:
                current.reset(token)
                run._fail(exc)
                raise
            current.reset(token)
            items.append(item)
            try:
                sent = yield item
            except GeneratorExit:
                token = current.set(run)
                try:
                    await agen.aclose()
                except BaseException as exc:
                    current.reset(token)
                    run._fail(exc)
                    raise
                current.reset(token)
                run._end(items)
                raise
            except BaseException as exc:
                thrown = exc

    return wrapper


def is_traced(func: Callable[..., Any]) -> bool:
    """Whether ``func`` is already wrapped by ``@traceable``."""
    return hasattr(func, _WRAPPED_MARK)

