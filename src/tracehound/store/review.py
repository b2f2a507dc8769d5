"""Records and protocols of the review loop: online rules, deploy markers, pools, annotation queues.

They are relational and small, so they live in the meta store (``meta.online``, ``meta.reviews``)::

    traces ─► online rules ─► verdicts (feedback, source "online:<rule>") ─► rate vs baseline ─► alert
          └─► pools (failure: errors, flags, slow, thumbs down; drift: a random sample) ─► queues
    queues ─► reviewers claim items, annotate, agree or not ─► "promote" ─► dataset example (golden set)

Every engine implements ``OnlineStore`` and ``ReviewStore`` with the contracts in the docstrings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class DeployMarker:
    """A release of the agent in a project at a time (``tracehound deploy mark v42 --project P``)."""

    id: str
    project: str
    version: str
    at_us: int
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pool:
    """A named, saved selection that keeps filling as traffic arrives.

    ``kind`` is ``failure`` (``reasons`` pick which: error, tool_error, slow, negative_feedback,
    online_flag, detector) or ``drift`` (a random ``sample_rate`` of the project's traces). ``filter``
    (filter language) narrows either; ``queue_id`` feeds new members to an annotation queue.
    """

    id: str
    name: str
    project: str
    kind: str
    created_us: int
    filter: str | None = None
    reasons: list[str] = field(default_factory=list)
    sample_rate: float = 0.05
    queue_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PoolMember:
    """One root run in a pool, why it is there, and its trace's shape (for drift monitors)."""

    pool_id: str
    run_id: str
    trace_id: str
    added_us: int
    run_start_us: int
    reason: str
    session_id: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)  # latency_ms, tokens, cost, tools: {name: calls}


@dataclass(frozen=True, slots=True)
class AnnotationQueue:
    """Runs waiting for people. ``rubric`` items: ``{"key", "description", "kind": "score"|"label", "values"}``.

    An item is complete once ``reviewers_per_item`` different reviewers annotated it; ``dataset`` is
    where "promote to dataset" adds examples (created on first use).
    """

    id: str
    name: str
    created_us: int
    project: str | None = None
    description: str | None = None
    rubric_instructions: str | None = None
    rubric: list[dict[str, Any]] = field(default_factory=list)
    reviewers_per_item: int = 1
    dataset: str | None = None
    item_count: int = 0
    completed_count: int = 0


@dataclass(frozen=True, slots=True)
class QueueItem:
    queue_id: str
    run_id: str
    trace_id: str | None
    added_us: int
    source: str = "manual"  # manual | pool:<name> | worst_sessions | api
    status: str = "pending"  # pending | completed
    reviews: int = 0
    claimed_by: str | None = None
    claim_until_us: int | None = None
    position: int = 0


@dataclass(frozen=True, slots=True)
class Annotation:
    """One reviewer's verdict on one queue item."""

    id: str
    queue_id: str
    run_id: str
    reviewer: str
    created_us: int
    labels: dict[str, Any] = field(default_factory=dict)  # rubric key → label or score
    reference_output: Any = None
    comment: str | None = None
    promote: bool = False
    example_id: str | None = None


@dataclass(frozen=True, slots=True)
class FeedbackToken:
    """A presigned URL's secret: who may score which run under which key, until when."""

    id: str
    run_id: str
    key: str
    expires_us: int
    created_us: int
    feedback_id: str | None = None
    config: dict[str, Any] = field(default_factory=dict)


class OnlineStore(Protocol):
    """Online evaluator rules (API-made; file rules stay in the file) and deploy markers (``meta.online``)."""

    def put_online_rule(self, rule_id: str, definition: dict[str, Any], now_us: int) -> None:
        """Create or replace a rule's definition (as ``OnlineRule.to_dict()``)."""

    def online_rules(self) -> list[dict[str, Any]]:
        """Every stored definition, by id."""

    def delete_online_rule(self, rule_id: str) -> bool: ...

    def add_deploy(self, marker: DeployMarker) -> None: ...

    def list_deploys(self, project: str | None = None, start_us: int | None = None,
                     end_us: int | None = None, limit: int = 1000) -> list[DeployMarker]:
        """Markers with ``start_us <= at_us < end_us``, newest first."""


class ReviewStore(Protocol):
    """Pools, annotation queues, annotations and presigned feedback tokens (``meta.reviews``)."""

    def put_pool(self, pool: Pool) -> None:
        """Create or replace (by id). Raises ``Conflict`` when another pool has the name."""

    def get_pool(self, id_or_name: str) -> Pool | None: ...

    def list_pools(self, project: str | None = None) -> list[Pool]: ...

    def delete_pool(self, pool_id: str) -> bool:
        """Remove the pool and its members."""

    def add_pool_members(self, members: Sequence[PoolMember]) -> int:
        """Add members; a run already in the pool is kept as it was. Returns how many were new."""

    def list_pool_members(self, pool_id: str, *, start_us: int | None = None, end_us: int | None = None,
                          limit: int = 1000) -> list[PoolMember]:
        """Members whose run started in ``[start_us, end_us)``, newest first."""

    def count_pool_members(self, pool_id: str) -> int: ...

    def create_queue(self, queue: AnnotationQueue) -> AnnotationQueue:
        """Raises ``Conflict`` when the name or id is taken."""

    def get_queue(self, id_or_name: str) -> AnnotationQueue | None:
        """With ``item_count``/``completed_count`` filled in."""

    def list_queues(self) -> list[AnnotationQueue]: ...

    def update_queue(self, queue_id: str, **changes: Any) -> AnnotationQueue:
        """Change name, description, rubric_instructions, rubric, reviewers_per_item, dataset. Raises ``NotFound``."""

    def delete_queue(self, queue_id: str) -> bool:
        """Remove the queue, its items and annotations."""

    def add_queue_items(self, items: Sequence[QueueItem]) -> int:
        """Add runs to queues; a run already in its queue is left as it was. Returns how many were new."""

    def remove_queue_item(self, queue_id: str, run_id: str) -> bool: ...

    def list_queue_items(self, queue_id: str, *, status: str | None = None, reviewer: str | None = None,
                         limit: int = 100, offset: int = 0) -> list[QueueItem]:
        """In the order they were added. ``reviewer`` with ``status="pending"`` lists what that reviewer
        has not annotated yet (``needs_my_review``)."""

    def claim_next(self, queue_id: str, reviewer: str, now_us: int, lease_us: int,
                   skip: Sequence[str] = ()) -> QueueItem | None:
        """Atomically give ``reviewer`` the oldest pending item they have not annotated and nobody else
        holds (an expired claim is free again); the reviewer's own live claim is returned first. Runs in
        ``skip`` are passed over (and the reviewer's claims on them released)."""

    def release_claim(self, queue_id: str, run_id: str, reviewer: str) -> None: ...

    def add_annotation(self, annotation: Annotation, now_us: int) -> QueueItem:
        """Store the reviewer's annotation (one per reviewer and item: a second replaces the first),
        release their claim, and complete the item once ``reviewers_per_item`` reviewers annotated it.
        Raises ``NotFound`` when the run is not in the queue."""

    def list_annotations(self, *, queue_id: str | None = None, run_id: str | None = None,
                         limit: int = 10_000) -> list[Annotation]:
        """Oldest first."""

    def put_feedback_token(self, token: FeedbackToken) -> None: ...

    def get_feedback_token(self, token_id: str) -> FeedbackToken | None: ...
