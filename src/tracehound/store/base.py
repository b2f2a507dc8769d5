"""The two storage interfaces every engine implements.

``SpanStore`` holds spans and answers the look-ups the API needs; it only ever receives whole
batches (``upsert``), so a column store can append and merge later instead of updating rows.
``MetaStore`` holds the small, relational things: projects now, datasets, experiments and keys later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tracehound.model import Span


@dataclass(frozen=True, slots=True)
class SpanCriteria:
    """Simple criteria for listing spans; every field narrows, ``None`` means any."""

    project: str | None = None
    run_type: str | None = None
    name: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    trace_id: str | None = None
    status: str | None = None
    is_root: bool | None = None
    start_us: int | None = None  # inclusive lower bound on start_time
    end_us: int | None = None  # exclusive upper bound on start_time
    limit: int = 100


@dataclass(frozen=True, slots=True)
class TreeNode:
    """A span placed in its trace: depth from the root and the order of a depth-first walk."""

    span: Span
    depth: int


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of a session: its root span plus totals over the whole trace."""

    root: Span
    span_count: int
    error_count: int
    total_tokens: int
    cost: float


@dataclass(frozen=True, slots=True)
class Project:
    name: str
    created_us: int
    description: str | None = None
    metadata: dict[str, object] = field(default_factory=dict)


class SpanStore(Protocol):
    """Where spans live. Implementations: ``SqliteSpanStore`` (later ClickHouse)."""

    def upsert(self, spans: Sequence[Span]) -> None:
        """Store a batch in one transaction; a span id already stored is merged, never duplicated."""

    def get_span(self, span_id: str) -> Span | None: ...

    def get_trace(self, trace_id: str) -> list[TreeNode]:
        """The whole tree, depth first, siblings by start time; empty when unknown."""

    def list_spans(self, criteria: SpanCriteria) -> list[Span]:
        """Newest first."""

    def session_turns(self, session_id: str, project: str | None = None) -> list[Turn]:
        """The session's root spans in time order, each with its trace's totals."""

    def trace_ids_of(self, span_ids: Sequence[str]) -> dict[str, str]:
        """The stored trace of each known span id (used to check parents across batches)."""

    def count(self) -> int: ...

    def close(self) -> None: ...


class MetaStore(Protocol):
    """Projects (and later datasets, experiments, keys). Implementations: ``SqliteMetaStore``."""

    def ensure_projects(self, names: Sequence[str]) -> None:
        """Create the projects that do not exist yet; existing ones are left alone."""

    def list_projects(self) -> list[Project]: ...

    def get_project(self, name: str) -> Project | None: ...

    def close(self) -> None: ...
