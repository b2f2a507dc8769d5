"""Eval cases as pytest tests: one test per example, failing with the evaluators' reasons.

    # conftest.py
    pytest_plugins = ["tracehound.evals.pytest_plugin"]

    # test_refunds.py
    @pytest.mark.parametrize("example", eval_cases("refunds", split="smoke"))
    def test_refunds(example, tracehound_check):
        tracehound_check(answer, example, [exact_match("answer"), tool_call_correct(["search_policy"])])

``eval_cases`` reads a dataset (server or local store) or takes examples inline; ``check_example``
runs the target traced (project ``pytest-evals`` unless given), runs the evaluators on the run and
its trace, and raises ``AssertionError`` naming what failed. Nothing is stored as an experiment.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from tracehound.evals.backend import open_backend
from tracehound.evals.evaluators.base import Evaluator
from tracehound.evals.progress import Progress
from tracehound.evals.runner import ExampleRun, _Capture, _examples, _Experiment
from tracehound.sdk.config import STATE
from tracehound.store.base import Example, Experiment
from tracehound.timefmt import now_us


class _Discard:
    """A backend that keeps nothing (a test's verdict is its pass or fail)."""

    def record(self, *args: Any) -> None:
        pass


def eval_cases(data: str | Sequence[Example | dict[str, Any]], *, split: str | None = None, client: Any = None,
               data_dir: str | None = None) -> list[Any]:
    """``pytest.param`` per example (id: its ``metadata["name"]``, else the example id) for ``parametrize``."""
    if isinstance(data, str):
        backend = open_backend(client, data_dir)
        try:
            _, _, _, examples = _examples(data, backend, split, None)  # type: ignore[arg-type]
        finally:
            backend.close()
    else:
        _, _, _, examples = _examples(data, None, split, None)  # type: ignore[arg-type]
    return [pytest.param(example, id=str(example.metadata.get("name") or example.id)) for example in examples]


def check_example(target: Callable[..., Any], example: Example | dict[str, Any], evaluators: Sequence[Evaluator],
                  *, project: str = "pytest-evals") -> ExampleRun:
    """Run ``target`` on one example and its evaluators; raise ``AssertionError`` unless it passes.

    Returns:
        The example run (its ``run.spans`` hold the trace) when it passes.
    """
    if isinstance(example, dict):
        example = eval_cases([example])[0].values[0]
    experiment = Experiment(str(uuid.uuid4()), project, project, None, None, now_us())
    inner = STATE.exporter or STATE.create_exporter()
    capture = _Capture(inner)
    STATE.replace_exporter(capture)
    state = _Experiment(target, evaluators, experiment, _Discard(), capture,  # type: ignore[arg-type]
                        Progress(1, enabled=False))
    try:
        if inspect.iscoroutinefunction(target):
            row = asyncio.run(state.run_async(example, 0, asyncio.Semaphore(1)))  # type: ignore[arg-type]
        else:
            row = state.run_sync(example, 0)  # type: ignore[arg-type]
    finally:
        if STATE.exporter is capture:
            STATE.replace_exporter(inner)
    if not row.result.passed:
        reasons = [f"target raised {row.result.error.splitlines()[0]}"] if row.result.error else []
        reasons += [f"{e.key}: score {e.score}" + (f" ({e.comment})" if e.comment else "")
                    for e in row.evaluations if not e.ok]
        reasons += [f"{name} raised {text}" for name, text in row.result.errors.items()]
        raise AssertionError(f"example {row.example.id} failed: " + "; ".join(reasons))
    return row


@pytest.fixture
def tracehound_check() -> Callable[..., ExampleRun]:
    """``check_example`` as a fixture."""
    return check_example
