"""Failure detectors: on-demand (API, CLI) or scheduled analyses whose findings name the evidence traces.

    from tracehound.analytics import detectors
    result = detectors.run("tool_drift", store, {"window": "7d", "split": "-3d"})
    print(result.summary, [f.traces for f in result.findings])

One module per detector, each with ``NAME``, ``DESCRIPTION``, ``PARAMS`` (``base.Param``) and
``detect(store, params) -> DetectorResult``; this package lists them and runs one by name.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

from tracehound.analytics.detectors import (
    contradiction,
    cost_spike,
    hallucination,
    injection_leak,
    retrieval_miss,
    slow_tool,
    tool_drift,
    worst_sessions,
)
from tracehound.analytics.detectors.base import COMMON, DetectorResult, Finding, resolve
from tracehound.errors import NotFound
from tracehound.store.base import SpanStore

DETECTORS: dict[str, ModuleType] = {module.NAME: module for module in (
    tool_drift, retrieval_miss, injection_leak, slow_tool, cost_spike, hallucination, worst_sessions, contradiction)}

__all__ = ["COMMON", "DETECTORS", "DetectorResult", "Finding", "describe", "get", "run"]


def get(name: str) -> ModuleType:
    """The detector module called ``name``.

    Raises:
        NotFound: no such detector (the message lists the known ones).
    """
    module = DETECTORS.get(name.replace("-", "_"))
    if module is None:
        raise NotFound(f"no detector {name!r}; known: {', '.join(DETECTORS)}")
    return module


def describe() -> list[dict[str, Any]]:
    """Every detector with its description and parameters (default and help)."""
    return [{"name": name, "description": module.DESCRIPTION,
             "params": {key: {"default": p.default, "help": p.help} for key, p in {**COMMON, **module.PARAMS}.items()}}
            for name, module in DETECTORS.items()]


def run(name: str, store: SpanStore, params: dict[str, Any] | None = None) -> DetectorResult:
    """Run one detector over the store.

    Raises:
        NotFound: an unknown detector.
        QueryError: an unknown or unparsable parameter, naming it.
    """
    module = get(name)
    resolved = resolve(params, module.PARAMS)
    started = time.perf_counter()
    result: DetectorResult = module.detect(store, resolved)
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    return result
