"""Runtime guards: stop a looping or runaway agent before it burns the budget.

    tracehound.configure(guards=tracehound.Guards(loop_threshold=5, max_steps=200, max_tokens=200_000,
                                                  context_ratio=0.8, on_context_window=summarise_history))

    try:
        answer = agent(question)
    except tracehound.GuardTripped as stop:      # LoopDetected, StepBudgetExceeded, TokenBudgetExceeded
        answer = f"Sorry, I could not finish that ({stop.guard})."

A guard is checked when a span starts, on the caller's thread, against counters kept on the trace's
root run (a few dictionary operations). When one trips, the span that would pass the limit is
recorded as failed with the guard's error (and ``metadata.guard``), the trace is kept by tail
sampling, and the error is raised into the agent's code instead of running the function. The
context-window guard does not stop anything: when an LLM span reports prompt tokens above
``context_ratio`` of the model's window it records that on the span and calls your hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from tracehound.errors import GuardTripped, LoopDetected, StepBudgetExceeded, TokenBudgetExceeded
from tracehound.sdk.sampling import KEEP_REASON_KEY

if TYPE_CHECKING:
    from tracehound.sdk.run import Run

_COUNTERS: Final = "_guard_counters"  # in the root run's extra fields (never exported)
_COUNTED: Final = "_guard_tokens"  # tokens of one run already added to its root's total


class _Counters:
    __slots__ = ("calls", "tokens")

    def __init__(self) -> None:
        self.calls: dict[Any, int] = {}
        self.tokens = 0


class Guards:
    """Limits checked while an agent runs; ``None`` turns a guard off.

    Args:
        loop_threshold: the same tool called this many times in one run raises ``LoopDetected``.
        loop_same_arguments: count only calls with the same arguments as the same call.
        loop_run_types: span types the loop guard watches.
        max_steps: more spans than this in one run raises ``StepBudgetExceeded``.
        max_tokens: a span starting after the run used more tokens raises ``TokenBudgetExceeded``.
        context_ratio: fraction of the model's context window that fires the context-window guard.
        on_context_window: ``hook(run, prompt_tokens, window)`` called when it fires (summarise history...).
        context_windows: ``{model: tokens}``, beside the windows in the price table (``tracehound.sdk.pricing``).

    Raises:
        ValueError: a limit below 1 or a ratio outside (0, 1].
    """

    def __init__(
        self,
        *,
        loop_threshold: int | None = None,
        loop_same_arguments: bool = False,
        loop_run_types: Iterable[str] = ("tool",),
        max_steps: int | None = None,
        max_tokens: int | None = None,
        context_ratio: float = 0.8,
        on_context_window: Callable[[Run, int, int], None] | None = None,
        context_windows: Mapping[str, int] | None = None,
    ) -> None:
        for name, value in (("loop_threshold", loop_threshold), ("max_steps", max_steps), ("max_tokens", max_tokens)):
            if value is not None and value < 1:
                raise ValueError(f"{name}: must be at least 1, got {value!r}")
        if not 0.0 < context_ratio <= 1.0:
            raise ValueError(f"context_ratio: {context_ratio!r} is not in (0, 1]")
        self.loop_threshold = loop_threshold
        self.loop_same_arguments = loop_same_arguments
        self.loop_run_types = frozenset(loop_run_types)
        self.max_steps = max_steps
        self.max_tokens = max_tokens
        self.context_ratio = context_ratio
        self.on_context_window = on_context_window
        self.context_windows = dict(context_windows or {})

    # Called by the SDK (caller's thread) -------------------------------------------------------

    def on_start(self, run: Run) -> None:
        """Check the limits as ``run`` starts; records and raises the guard's error when one trips."""
        root = run.root
        if run is root:
            return
        counters = _counters(root)
        if self.max_steps is not None and run.step > self.max_steps:
            _trip(run, StepBudgetExceeded(f"run used {run.step} steps; the budget is {self.max_steps}",
                                          limit=self.max_steps, value=run.step))
        if self.max_tokens is not None and counters.tokens > self.max_tokens:
            _trip(run, TokenBudgetExceeded(f"run used {counters.tokens} tokens; the budget is {self.max_tokens}",
                                           limit=self.max_tokens, value=counters.tokens))
        if self.loop_threshold is not None and run.spec.run_type in self.loop_run_types:
            key: Any = run.spec.name
            if self.loop_same_arguments:
                key = (key, _arguments_key(run))
            calls = counters.calls[key] = counters.calls.get(key, 0) + 1
            if calls >= self.loop_threshold:
                same = " with the same arguments" if self.loop_same_arguments else ""
                _trip(run, LoopDetected(f"tool {run.spec.name!r} called {calls} times{same} in one run",
                                        limit=self.loop_threshold, value=calls))

    def on_tokens(self, run: Run, prompt: int | None, total: int) -> None:
        """Count a span's tokens toward its run's budget; fire the context-window guard."""
        extra = run._fields()
        counters = _counters(run.root)
        counters.tokens += total - extra.get(_COUNTED, 0)
        extra[_COUNTED] = total
        if prompt is None:
            return
        model = extra.get("model")
        window = self.context_windows.get(model) if model else None
        if window is None and model:
            from tracehound.sdk.pricing import price_for

            price = price_for(model)
            window = price.context_window if price is not None else None
        if window and prompt >= self.context_ratio * window:
            run.set_metadata(guard={"name": "context_window", "prompt_tokens": prompt, "window": window,
                                    "ratio": round(prompt / window, 4)})
            if self.on_context_window is not None:
                self.on_context_window(run, prompt, window)


def _counters(root: Run) -> _Counters:
    extra = root._fields()
    counters = extra.get(_COUNTERS)
    if counters is None:
        counters = extra[_COUNTERS] = _Counters()
    return counters


def _arguments_key(run: Run) -> str:
    # The arguments' JSON taken when the call started (sdk/snapshot.py): equal calls give equal keys.
    return f"{run.args_json!r}{run.kwargs_json!r}"[:2000]


def _trip(run: Run, error: GuardTripped) -> None:
    run.set_metadata(guard={"name": error.guard, "limit": error.limit, "value": error.value})
    root = run.root
    if not root.end_ns:
        root._fields()[KEEP_REASON_KEY] = f"guard:{error.guard}"
        root.set_metadata(guard_fired=error.guard)
    run._fail(error)
    raise error
