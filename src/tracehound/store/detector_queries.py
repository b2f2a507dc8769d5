"""Protocol for the failure detectors' reads (``spans.detectors``), one named method per question.

Every method takes a ``DetectorScope``: spans *started* in ``[start_us, end_us)``, of ``project``
when given. Payloads (inputs, outputs) come back decoded; the detectors' statistics and text
matching stay in ``analytics.detectors``, engine-neutral.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class DetectorScope:
    start_us: int
    end_us: int
    project: str | None = None


@dataclass(frozen=True, slots=True)
class SessionTotals:
    """One session's turns (root spans in scope) and what their traces add up to."""

    session_id: str
    turns: int
    errors: int  # error spans in the turns' traces
    slowest_us: int  # the longest turn (0 when none finished)


class DetectorQueries(Protocol):
    """The reads behind ``analytics.detectors``."""

    # tool_drift
    def tool_traces(self, scope: DetectorScope, tool: str, limit: int) -> list[str]:
        """Distinct trace ids of tool spans named ``tool`` in scope, latest span first."""

    # slow_subtool
    def turn_latencies(self, scope: DetectorScope) -> list[tuple[str, int]]:
        """``(trace_id, latency_us)`` of every finished root span in scope."""

    def tool_time_in(self, trace_ids: Sequence[str]) -> list[tuple[str, str, int]]:
        """``(trace_id, tool name, summed latency_us)`` of the finished tool spans of those traces."""

    def tool_time(self, scope: DetectorScope) -> dict[str, int]:
        """Tool name → summed latency_us of finished tool spans in scope."""

    # cost_spike
    def metadata_versions(self, scope: DetectorScope, key: str,
                          run_type: str) -> list[tuple[Any, int, int, float, int]]:
        """Spans of ``run_type`` in scope grouped by ``metadata[key]`` (spans without it left out), in the
        order each value first appeared: ``(value, calls, total_tokens, cost, first start_us)``."""

    def costliest_traces(self, scope: DetectorScope, key: str, value: str, run_type: str, limit: int) -> list[str]:
        """Trace ids of ``run_type`` spans in scope whose ``metadata[key]`` equals ``value``, most tokens first."""

    # contradiction, hallucination
    def outputs(self, scope: DetectorScope, *, run_type: str | None, in_sessions: bool,
                limit: int) -> list[tuple[str | None, str, int, Any]]:
        """``(session_id, trace_id, start_us, outputs)`` of spans with outputs, newest first.

        ``run_type`` ``None`` means root spans; ``in_sessions`` keeps only spans with a session id.
        """

    # prompt_injection_leak
    def session_inputs(self, scope: DetectorScope) -> list[tuple[str, str, str, str, int, Any]]:
        """``(session_id, trace_id, run_type, name, start_us, inputs)`` of spans in a session with inputs,
        oldest first."""

    def trace_outcomes(self, trace_id: str) -> list[tuple[str, str, Any, list[str]]]:
        """``(run_type, status, outputs, tags)`` of every span of the trace."""

    # silent_retrieval_miss
    def retrievals(self, scope: DetectorScope) -> list[tuple[str, str, int, Any]]:
        """``(trace_id, name, start_us, outputs)`` of finished retriever spans in scope."""

    def next_llm(self, trace_id: str, after_us: int) -> tuple[str, Any] | None:
        """``(status, outputs)`` of the trace's first llm span starting at or after ``after_us``."""

    # worst_sessions (turns: root spans in scope with a session id; their traces' spans)
    def session_totals(self, scope: DetectorScope) -> list[SessionTotals]: ...

    def looping_traces(self, scope: DetectorScope, threshold: int) -> list[tuple[str, str]]:
        """``(session_id, trace_id)`` once per (trace, tool name) called ``threshold``+ times in a turn's trace."""

    def negative_feedback(self, scope: DetectorScope, *, below: float,
                          values: Sequence[str]) -> list[tuple[str, str]] | None:
        """``(session_id, trace_id)`` per feedback entry on a turn's trace's spans with ``score < below``
        or lower-cased ``value`` in ``values``; ``None`` when this store keeps no feedback beside spans."""

    def error_traces(self, scope: DetectorScope) -> list[tuple[str, str]]:
        """``(session_id, trace_id)`` for each turn trace with an error span."""

    def slowest_turns(self, scope: DetectorScope, session_ids: Sequence[str]) -> dict[str, str]:
        """Session id → the trace id of its slowest turn in scope."""
