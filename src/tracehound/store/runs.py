"""Protocols for filtered run listing and the on-call look-ups (``spans.runs``, ``spans.lookups``).

Callers hand over a *checked* filter tree (``query.fields.check``: times and latencies in
microseconds, LangSmith spellings mapped), never SQL; each engine compiles it with its own dialect
compiler. Values come back as Python values of the span model (times as UTC microseconds, payloads
decoded), so the layer above only formats them.

    mark = spans.runs.high_water()
    page = spans.runs.page(RunSelection(projects=("support",), filter=node), fields=("id", "name"),
                           order="desc", limit=51, mark=mark, after=None)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from tracehound.store.filter_ast import Node

# What ``RunReader.page`` can return per run, and the Python value each one holds.
RUN_FIELDS: Final = (
    "id", "trace_id", "parent_id", "dotted_order", "project", "session_id", "user_id", "run_type", "name",
    "start_time",  # int, UTC microseconds
    "end_time",  # int | None, UTC microseconds
    "status", "status_reason",
    "error", "inputs", "outputs",  # decoded payloads (any JSON value) or None
    "metadata",  # dict, or None when the span has none
    "tags",  # list[str], or None when the span has none
    "prompt_tokens", "completion_tokens", "total_tokens", "cost",
    "cost_details",  # dict, or None
    "model", "step", "reference_example_id",
    "events",  # list, [] when none
    "latency_s",  # float | None: (end - start) in seconds
    "is_root",  # bool
)


@dataclass(frozen=True, slots=True)
class RunSelection:
    """Which runs a listing covers; every field narrows, the default is every stored span.

    ``filter`` must match the span itself; ``trace_filter`` the root of its trace; ``tree_filter``
    some span of its trace. All three are checked trees (``query.fields.check``).
    """

    projects: tuple[str, ...] = ()
    run_types: tuple[str, ...] = ()
    is_root: bool | None = None
    start_us: int | None = None  # inclusive bound on start_time
    end_us: int | None = None  # exclusive bound on start_time
    filter: Node | None = None
    trace_filter: Node | None = None
    tree_filter: Node | None = None


@dataclass(frozen=True, slots=True)
class RunKey:
    """A run's place in a listing: ordered by ``start_us`` then ``position``.

    ``position`` is an engine-chosen integer, unique per stored span and stable across calls, so the
    pair is a total order a cursor can resume from.
    """

    start_us: int
    position: int


class RunReader(Protocol):
    """Filtered, ordered pages of runs (``spans.runs``); the cursor logic lives in ``query.runs``."""

    def high_water(self) -> int:
        """A mark covering every span committed so far (a snapshot for paging).

        ``page(..., mark=m)`` must never return a span first committed after ``high_water()`` returned
        ``m``, so a client paging while ingest continues sees a stable, duplicate-free listing.
        """

    def page(self, selection: RunSelection, *, fields: Sequence[str], order: Literal["desc", "asc"], limit: int,
             mark: int, after: RunKey | None = None) -> list[tuple[RunKey, dict[str, Any]]]:
        """Up to ``limit`` runs matching ``selection``, ordered by ``(start_us, position)`` in ``order``.

        Args:
            fields: names from ``RUN_FIELDS``; each returned dict has exactly these keys.
            mark: from ``high_water``; later spans are left out.
            after: resume strictly after this key (in ``order``); ``None`` starts at the beginning.

        A full-text ``Search`` sees every committed span (engines with an asynchronous index catch it
        up first).
        """


@dataclass(frozen=True, slots=True)
class TraceMatch:
    """A trace found by a look-up: its root (``None`` fields when the root is not stored) and totals."""

    trace_id: str
    root_id: str | None
    name: str | None
    project: str | None
    session_id: str | None
    user_id: str | None
    status: str | None
    start_us: int
    end_us: int | None
    span_count: int
    error_count: int
    matched_spans: int


@dataclass(frozen=True, slots=True)
class ToolFailure:
    """One failed tool span: where it was and its error (the decoded payload)."""

    trace_id: str
    session_id: str | None
    user_id: str | None
    start_us: int
    error: Any


class LookupReader(Protocol):
    """The look-ups on-call starts from (``spans.lookups``)."""

    def find_traces(self, condition: Node, limit: int) -> list[TraceMatch]:
        """The ``limit`` traces whose latest span matching ``condition`` (a checked tree) is most recent.

        Returned in any order (the caller sorts); ``start_us``/``end_us`` are the root's, or the
        trace's earliest start and latest end when the root is missing; ``matched_spans`` counts the
        trace's spans matching ``condition``; ``error_count`` its spans with status ``error``.
        """

    def tool_failures(self, tool: str, since_us: int, project: str | None = None) -> list[ToolFailure]:
        """Spans of run type ``tool`` named ``tool`` with status ``error`` started at or after ``since_us``,
        newest first (ties: latest stored first)."""
