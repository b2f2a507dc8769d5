"""Replay: run a function again on a stored run's inputs and see whether the failure reproduces.

    report = replay(run_id, answer, times=5)
    report.verdict      # "matches" | "deterministic" (same different output every time) | "varies"

Each replay is traced as a root span in ``<original project>-replay`` with ``replay_of`` (the original
run id) in its metadata, so the original and its replays are one filter apart. One run says whether
the output matches the original; ``times > 1`` shows the spread: the same wrong answer every time is
a deterministic bug, several answers mean variance (temperature, retrieval, timing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from tracehound.evals.backend import open_backend
from tracehound.evals.calling import call_args
from tracehound.model import Span
from tracehound.sdk.config import STATE
from tracehound.sdk.context import CURRENT_RUN
from tracehound.sdk.run import Run, Spec
from tracehound.sdk.wire import error_text

REPLAY_TAG = "tracehound:replay"


def _normal(value: Any) -> Any:
    """Outputs as stored (a non-dict result is ``{"output": value}``), through JSON so both sides compare alike."""
    if value is not None and not isinstance(value, dict):
        value = {"output": value}
    try:
        return msgspec.json.decode(msgspec.json.encode(value))
    except (TypeError, msgspec.EncodeError):
        return repr(value)


@dataclass(slots=True)
class ReplayReport:
    original: Span
    outputs: list[Any] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)

    @property
    def matches(self) -> list[bool]:
        original = _normal(self.original.outputs)
        return [error is None and output == original for output, error in zip(self.outputs, self.errors, strict=True)]

    @property
    def distinct(self) -> Counter[str]:
        """How often each distinct outcome (output or error type) occurred."""
        keys = [msgspec.json.encode(out).decode() if err is None else f"error: {err.splitlines()[0]}"
                for out, err in zip(self.outputs, self.errors, strict=True)]
        return Counter(keys)

    @property
    def verdict(self) -> str:
        if all(self.matches):
            return "matches"
        return "deterministic" if len(self.distinct) == 1 else "varies"

    def summary(self) -> str:
        n = len(self.outputs)
        if self.verdict == "matches":
            return f"replayed {n}x: every output matches the original"
        if self.verdict == "deterministic":
            return f"replayed {n}x: the same output every time, different from the original (deterministic)"
        return (f"replayed {n}x: {len(self.distinct)} distinct outcomes, {sum(self.matches)} matching the original"
                " (variance)")


def replay(run_id: str, target: Callable[..., Any], *, times: int = 1, client: Any = None,
           data_dir: str | None = None, flush_timeout_s: float = 30.0) -> ReplayReport:
    """Re-run ``target`` ``times`` times with the stored inputs of ``run_id``.

    Raises:
        NotFound: no such run. ValueError: ``times`` below 1.
    """
    if times < 1:
        raise ValueError("times must be at least 1")
    backend = open_backend(client, data_dir)
    try:
        original = backend.get_run(run_id)
    finally:
        backend.close()
    report = ReplayReport(original)
    name = getattr(target, "__name__", None) or type(target).__name__
    for index in range(times):
        run = Run(Spec(target, name, original.run_type, (REPLAY_TAG,),
                       {"replay_of": original.id, "replay_index": index}), None, None, None)
        run.set_inputs(original.inputs)
        run._fields()["project"] = f"{original.project}-replay"  # routed like an experiment's trace
        args, kwargs = call_args(target, original.inputs)
        token = CURRENT_RUN.set(run)
        output, failure = None, None
        try:
            output = target(*args, **kwargs)
        except Exception as exc:
            failure = exc
        finally:
            CURRENT_RUN.reset(token)
        if failure is None:
            run._end(output)
        else:
            run._fail(failure)
        report.outputs.append(None if failure is not None else _normal(output))
        report.errors.append(None if failure is None else error_text(failure))
        report.run_ids.append(run.id)
    exporter = STATE.exporter
    if exporter is not None:
        exporter.flush(flush_timeout_s)
    return report
