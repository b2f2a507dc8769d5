"""Calling a target with an example's (or a stored run's) inputs, and loading ``module:function`` targets."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from typing import Any


def call_args(func: Callable[..., Any], inputs: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Keyword arguments when the inputs dict fits the signature (``answer(question=...)``), else the
    inputs as the one positional argument (``target(inputs)``, the LangSmith convention)."""
    if isinstance(inputs, dict) and inputs:
        try:
            inspect.signature(func).bind(**inputs)
        except TypeError:
            pass
        except ValueError:  # no signature (some builtins): pass the dict
            return (inputs,), {}
        else:
            return (), dict(inputs)
    return (inputs,), {}


def load_target(spec: str) -> Callable[..., Any]:
    """``package.module:function`` (or ``module:Class.method``) → the callable; the current directory is
    importable, as with ``python -m``.

    Raises:
        ValueError: the spec is malformed or names nothing callable.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"target {spec!r}: expected module:function")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        value: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"target {spec!r}: cannot import {module_name}: {exc}") from None
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise ValueError(f"target {spec!r}: {module_name} has no {attribute}") from None
    if not callable(value):
        raise ValueError(f"target {spec!r} is not callable")
    return value  # type: ignore[no-any-return]
