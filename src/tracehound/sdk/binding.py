"""Bind a call's arguments to parameter names, on the exporter's thread (``inspect`` is too slow for the caller).

The values bound are usually ``msgspec.Raw`` JSON pieces of the arguments as they were at the call
(``tracehound.sdk.snapshot``); binding only needs their positions and keyword names.
"""

from __future__ import annotations

import inspect
from typing import Any, Final

import msgspec

from tracehound.sdk.run import Spec

_SELF_NAMES: Final = ("self", "cls")
_NO_SIGNATURE: Final = object()


def bind_inputs(spec: Spec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by parameter name (defaults filled in, ``self``/``cls`` left out)."""
    plan = plan_of(spec)
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


class BindPlan:
    """How to bind one function's arguments, worked out once: ``inspect`` binding costs ~8 µs a call,
    the fast path for plain parameters (no ``*args``, ``**kwargs`` or positional-only) about 1 µs."""

    __slots__ = ("defaults", "keys", "keys_after_self", "names", "positional", "signature", "simple", "skip")

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
        # ``"name":`` for each parameter, for splicing already-encoded values into an object.
        self.keys = tuple(msgspec.json.encode(name) + b":" for name in self.names)
        self.keys_after_self = self.keys[1:]

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


def plan_of(spec: Spec) -> BindPlan | None:
    """The spec's binding plan, worked out on first use; ``None`` when the callable has no signature."""
    # Cached on the spec; two threads racing compute it twice, which is harmless.
    plan = spec.signature
    if plan is None:
        try:
            plan = BindPlan(inspect.signature(spec.func))
        except (TypeError, ValueError):
            plan = _NO_SIGNATURE
        spec.signature = plan
    return None if plan is _NO_SIGNATURE else plan


def skips_first(spec: Spec) -> bool:
    """Whether the first positional argument is ``self``/``cls`` (left out of the inputs, never encoded)."""
    plan = plan_of(spec)
    return plan is not None and plan.skip is not None
