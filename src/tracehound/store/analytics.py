"""Protocol for the raw-span reads of metrics and alerting (``spans.analytics``).

Rollups answer counts and latencies; these answer what needs the spans themselves: per-run
totals, tokens grouped by a metadata key, the traces behind an alert, and the history a backtest
replays. Payloads come back decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tracehound.model import Span


@dataclass(frozen=True, slots=True)
class RunTotals:
    """A run (root span) and its whole trace's totals.

    ``task`` is the session id, or the root's metadata value under the asked key (``None`` when absent).
    ``tokens`` sums the trace's llm spans' total_tokens (``None`` when it has no llm span);
    ``own_tokens`` is the root's own total_tokens (0 when unset).
    """

    trace_id: str
    name: str
    status: str
    start_us: int
    task: object
    session_id: str | None
    steps: int
    tokens: int | None
    cost: float
    own_tokens: int


@dataclass(frozen=True, slots=True)
class TokenGroup:
    """Calls and tokens of one group; ``key`` is ``None`` for spans without the grouped value."""

    key: object
    calls: int
    total_tokens: int
    cost: float


class SpanAnalytics(Protocol):
    """Raw-span reads for metrics, the alert evaluator and backtests."""

    def run_totals(self, start_us: int, end_us: int, *, project: str | None = None, agent: str | None = None,
                   task_key: str | None = None) -> list[RunTotals]:
        """Root spans started in ``[start_us, end_us)`` (``agent`` = root name), oldest first.

        ``task_key`` ``None`` or ``"session"`` makes the task the session id; else the root's
        ``metadata[task_key]`` (a JSON value).
        """

    def tokens_by(self, start_us: int, end_us: int, key: str, *, project: str | None = None,
                  run_type: str = "llm") -> list[TokenGroup]:
        """Spans of ``run_type`` started in the window grouped by ``model`` (``key == "model"``) or by the
        value of ``metadata[key]``; ordered by key with the missing group (``None``) first."""

    def evidence_traces(self, name: str, start_us: int, end_us: int, *, errors: bool, limit: int = 10) -> list[str]:
        """Trace ids of finished spans named ``name`` started in the window: with ``errors``, failed ones
        newest first; else the slowest first. One entry per span (a trace may repeat)."""

    def recent_run_tokens(self, agent: str, *, exclude_trace_id: str, since_us: int, limit: int) -> list[int]:
        """For the latest ``limit`` runs of ``agent`` (root name) started since ``since_us``, other than
        ``exclude_trace_id``: the sum of their trace's llm spans' total_tokens (0 when none)."""

    def spans_ended_between(self, after_us: int, until_us: int) -> list[Span]:
        """Spans with ``after_us < end_time <= until_us``, by end time (what a backtest replays)."""
