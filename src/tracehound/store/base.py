"""The storage interfaces every engine implements; nothing above ``store/`` sees anything else.

``SpanStore`` holds spans and answers the look-ups the API needs; it only ever receives whole
batches (``upsert``), so a column store can append and merge later instead of updating rows. Its
reads are grouped by purpose into sub-readers: ``spans.runs`` (filtered listing, ``store.runs``),
``spans.lookups`` (on-call look-ups), ``spans.rollups`` (``store.rollups``), ``spans.analytics``
(raw-span reads for metrics and alerts, ``store.analytics``), ``spans.detectors``
(``store.detector_queries``), ``spans.dropped`` (sampling-dropped counts) and ``spans.costs``
(unpriced models, re-pricing; ``CostStore`` below).
``MetaStore`` holds the small, relational things: projects, and through ``meta.datasets``,
``meta.experiments``, ``meta.prices``, ``meta.alerts``, ``meta.detector_results`` and
``meta.ingest_sources`` the evaluation, pricing, alerting and ingest records.
``FeedbackStore`` holds scores on runs; it sits beside the spans (a column store keeps it next to
them), because the filter language joins it with spans (``feedback_key``/``feedback_score``).

Stores are opened by ``store.factory.open_stores`` from configuration (a data directory or URLs);
each engine lives in its own package (``store.sqlite``, ``store.clickhouse``, ``store.postgres``) and
compiles the one filter AST (``store.filter_ast``) in its own dialect. Methods take and return
model values (UTC microseconds, decoded payloads), never SQL or driver types; failures surface as
``StoreError`` (``errors.py``). ``tests/store_conformance`` checks every contract below per engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tracehound.model import Span
from tracehound.sdk.prices import PriceRow
from tracehound.store.alerting import AlertStateStore, DetectorResultStore
from tracehound.store.analytics import SpanAnalytics
from tracehound.store.detector_queries import DetectorQueries
from tracehound.store.governance import GovernanceStore, SpanRetention
from tracehound.store.review import OnlineStore, ReviewStore
from tracehound.store.rollups import DroppedStore, RollupReader
from tracehound.store.runs import LookupReader, RunReader
from tracehound.store.sources import IngestSourceStore
from tracehound.store.sql import SqlResult


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
    """Where spans live. Implementations: ``SqliteSpanStore`` (``store.sqlite``), ClickHouse (``store.clickhouse``).

    Thread-safe: the server calls it from many threads at once.
    """

    runs: RunReader
    lookups: LookupReader
    rollups: RollupReader
    analytics: SpanAnalytics
    detectors: DetectorQueries
    dropped: DroppedStore
    costs: CostStore

    retention: SpanRetention  # deletions for retention and project removal (store/governance.py)

    def upsert(self, spans: Sequence[Span]) -> None:
        """Store a batch durably before returning; a span id already stored is merged, never duplicated.

        Merge: values given win, a final status is never taken back to ``running``, metadata objects
        merge key by key, tags are united, and the stored ``trace_id`` is kept.
        """

    def to_row(self, span: Span, ingested_us: int) -> object:
        """The engine's prepared form of one span (payloads capped and encoded); opaque to callers.

        Safe to call off the writer thread, so request threads do the encoding and the ingest
        pipeline's writer only writes (``upsert_rows``).
        """

    def upsert_rows(self, rows: Sequence[object]) -> None:
        """``upsert`` for rows from ``to_row``: one durable write, merged as ``upsert`` merges."""

    def get_span(self, span_id: str) -> Span | None: ...

    def get_trace(self, trace_id: str) -> list[TreeNode]:
        """The whole tree, depth first, siblings by start time; empty when unknown."""

    def get_trace_outline(self, trace_id: str) -> list[TreeNode]:
        """``get_trace`` with the payloads (inputs, outputs, error, events, metadata) left empty."""

    def trace_totals(self, trace_ids: Sequence[str]) -> dict[str, tuple[int, int, int, float]]:
        """Per known trace: span count, error count, tokens (its llm spans' total_tokens, or the root's own
        when no llm span counted any), cost."""

    def list_spans(self, criteria: SpanCriteria) -> list[Span]:
        """Newest first."""

    def session_turns(self, session_id: str, project: str | None = None) -> list[Turn]:
        """The session's root spans in time order, each with its trace's totals."""

    def trace_ids_of(self, span_ids: Sequence[str]) -> dict[str, str]:
        """The stored trace of each known span id (used to check parents across batches)."""

    def delete_project(self, project: str) -> int:
        """Delete every span of a project (rollups and indexes follow); returns how many."""

    def count(self) -> int: ...

    def sql(self, query: str, *, projects: Sequence[str] | None, limit: int = 1000,
            timeout_s: float = 10.0) -> SqlResult:
        """Users' read-only SQL over the documented views (``store/sql.py``: spans, traces, sessions,
        feedback), rows of ``projects`` only (``None``: all). Raises ``QueryError`` for anything refused."""

    def start_background(self, is_idle: Callable[[], bool]) -> None:
        """Start the engine's background upkeep for a long-running server (WAL checkpoints, index
        catch-up); ``is_idle`` says when ingest is quiet. ``close`` stops it."""

    def close(self) -> None: ...


class MetaStore(Protocol):
    """Projects, evaluation and alerting records. Implementations: ``SqliteMetaStore``, PostgreSQL
    (``store.postgres``). Thread-safe."""

    datasets: DatasetStore
    experiments: ExperimentStore
    prices: PriceStore
    alerts: AlertStateStore
    detector_results: DetectorResultStore
    ingest_sources: IngestSourceStore
    online: OnlineStore  # online evaluator rules, deploy markers (store/review.py)
    reviews: ReviewStore  # pools, annotation queues, presigned feedback tokens (store/review.py)
    governance: GovernanceStore  # keys, users, sessions, audit, retention (store/governance.py)

    def ensure_projects(self, names: Sequence[str]) -> None:
        """Create the projects that do not exist yet; existing ones are left alone (safe from many nodes)."""

    def list_projects(self) -> list[Project]:
        """By name."""

    def get_project(self, name: str) -> Project | None: ...

    def create_project(self, name: str, *, description: str | None = None,
                       metadata: dict[str, object] | None = None) -> Project:
        """Raises ``Conflict`` when the name is taken."""

    def update_project(self, name: str, *, description: str | None = None,
                       metadata: dict[str, object] | None = None) -> Project:
        """``None`` keeps the stored value. Raises ``NotFound``."""

    def rename_project(self, old: str, new: str) -> Project:
        """Rename the project record (its spans are the span store's to move). Raises ``NotFound``/``Conflict``."""

    def delete_project(self, name: str) -> bool:
        """Forget a project (its spans are the span store's to delete); ``False`` when unknown."""

    def close(self) -> None: ...


# Evaluation records ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dataset:
    """A named set of examples. ``version`` grows by one with every change of its examples."""

    id: str
    name: str
    version: int
    created_us: int
    updated_us: int
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    example_count: int = 0


@dataclass(frozen=True, slots=True)
class Example:
    """One case: inputs for the target, reference outputs, metadata (``incident_id``, ``category``...),
    the splits it belongs to, and the run it was promoted from. ``version`` is the dataset version
    that made this revision of it."""

    id: str
    dataset_id: str
    inputs: Any
    outputs: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    splits: list[str] = field(default_factory=list)
    source_run_id: str | None = None
    version: int = 0
    created_us: int = 0


@dataclass(frozen=True, slots=True)
class NewExample:
    """An example to add; ``id`` is generated when not given."""

    inputs: Any
    outputs: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    splits: list[str] = field(default_factory=list)
    source_run_id: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    dataset_id: str
    version: int
    created_us: int
    change: str


@dataclass(frozen=True, slots=True)
class Experiment:
    """One evaluation of a target over a dataset version; its runs are traced into ``project``."""

    id: str
    name: str
    project: str
    dataset_id: str | None
    dataset_version: int | None
    created_us: int
    split: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    ended_us: int | None = None
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExperimentResult:
    """The outcome of one example (one repetition) in an experiment.

    ``scores`` repeats the evaluators' feedback on ``run_id`` so an experiment is complete on its own;
    ``errors`` names evaluators that raised; ``error`` is the target's exception, if any.
    """

    experiment_id: str
    example_id: str
    run_id: str
    repetition: int = 0
    trace_id: str | None = None
    outputs: Any = None
    error: str | None = None
    latency_us: int | None = None
    scores: dict[str, float | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    passed: bool = False


@dataclass(frozen=True, slots=True)
class Feedback:
    """A score (or value) on a run, from an evaluator, a user (thumbs, CSAT, resolved) or a reviewer."""

    id: str
    run_id: str
    key: str
    created_us: int
    score: float | None = None
    value: Any = None
    comment: str | None = None
    source: str = "api"  # evaluator | user | human | api
    source_info: dict[str, Any] = field(default_factory=dict)  # evaluator name, user id, experiment id
    trace_id: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """One evaluator verdict on one run, placed at the run's start time."""

    run_id: str
    trace_id: str | None
    key: str
    at_us: int
    score: float | None
    passed: bool


class DatasetStore(Protocol):
    """Datasets with versioned examples (``meta.datasets``)."""

    def create_dataset(self, name: str, *, description: str | None = None,
                       metadata: dict[str, Any] | None = None) -> Dataset:
        """Raises ``Conflict`` when the name is taken."""

    def get_dataset(self, name_or_id: str) -> Dataset | None: ...

    def list_datasets(self) -> list[Dataset]: ...

    def delete_dataset(self, name_or_id: str) -> bool:
        """Remove the dataset and every revision of its examples; ``False`` when unknown."""

    def add_examples(self, dataset_id: str, examples: Sequence[NewExample], *, change: str = "add") -> list[Example]:
        """Add examples as one new dataset version."""

    def update_example(self, example_id: str, *, inputs: Any = ..., outputs: Any = ...,
                       metadata: dict[str, Any] | None = None, splits: list[str] | None = None) -> Example:
        """Edit an example (``...`` = keep); makes a new dataset version. Raises ``NotFound``."""

    def retire_examples(self, example_ids: Sequence[str]) -> int:
        """Take examples out of the dataset from a new version on; returns that version."""

    def get_example(self, example_id: str, version: int | None = None) -> Example | None: ...

    def list_examples(self, dataset_id: str, *, version: int | None = None,
                      split: str | None = None) -> list[Example]:
        """The examples as of ``version`` (default: the latest), in the order they were added."""

    def list_versions(self, dataset_id: str) -> list[DatasetVersion]: ...


class ExperimentStore(Protocol):
    """Experiments and their per-example results (``meta.experiments``)."""

    def create_experiment(self, experiment: Experiment) -> Experiment:
        """Raises ``Conflict`` when the name is taken."""

    def get_experiment(self, name_or_id: str) -> Experiment | None: ...

    def list_experiments(self, dataset_id: str | None = None) -> list[Experiment]:
        """Newest first."""

    def add_results(self, results: Sequence[ExperimentResult]) -> None:
        """Store results; the same (experiment, example, repetition) again replaces the earlier one."""

    def list_results(self, experiment_id: str) -> list[ExperimentResult]: ...

    def finish_experiment(self, experiment_id: str, summary: dict[str, Any]) -> Experiment: ...

    def delete_experiment(self, name_or_id: str) -> bool: ...


class FeedbackStore(Protocol):
    """Scores on runs. Implementations: ``SqliteFeedbackStore``."""

    def add_feedback(self, items: Sequence[Feedback]) -> None:
        """Store items; an id already stored is replaced (a reviewer correcting a score)."""

    def list_feedback(self, *, run_ids: Sequence[str] | None = None, key: str | None = None,
                      source: str | None = None, limit: int = 1000) -> list[Feedback]:
        """Newest first."""

    def get_feedback(self, feedback_id: str) -> Feedback | None: ...

    def delete_feedback(self, feedback_id: str) -> bool: ...

    def verdicts(self, source: str, start_us: int, end_us: int, *, key: str | None = None,
                 limit: int = 100_000) -> list[Verdict]:
        """Feedback of one source placed at its run's start (``source_info["run_start_us"]``, else its
        creation time) in ``[start_us, end_us)``, oldest first; ``passed`` is ``value["passed"]`` when
        stored, else ``score >= 0.5``. The online rate series and baselines read this."""

    def close(self) -> None: ...


# Pricing ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """A project's own price for a model (USD per 1M tokens) from ``effective`` (ISO date) on; ``*`` = every project."""

    project: str
    model: str
    effective: str
    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None
    reasoning: float | None = None
    context_window: int | None = None
    source: str | None = None
    note: str | None = None
    updated_us: int = 0

    def row(self) -> PriceRow:
        return PriceRow("override", self.model, self.input, self.output, self.cached_input, self.cache_write,
                        self.reasoning, self.context_window, self.effective, "", self.source or "", self.note or "")


@dataclass(frozen=True, slots=True)
class UnpricedModel:
    """A model llm spans used with tokens but no price, in one project."""

    project: str
    model: str
    spans: int
    total_tokens: int
    first_us: int
    last_us: int


@dataclass(frozen=True, slots=True)
class UsageRow:
    """An llm/embedding span's pricing inputs (what re-pricing reads)."""

    id: str
    project: str
    model: str
    start_us: int
    prompt_tokens: int
    completion_tokens: int
    metadata: dict[str, Any]
    cost: float | None


class PriceStore(Protocol):
    """Per-project price overrides (``meta.prices``)."""

    def list_overrides(self, project: str | None = None) -> list[PriceOverride]: ...

    def set_override(self, override: PriceOverride) -> PriceOverride:
        """Add or replace the override for (project, model, effective)."""

    def delete_override(self, project: str, model: str, effective: str | None = None) -> int:
        """Remove a model's overrides in a project (one day's, or all); returns how many."""

    def override_rows(self) -> list[tuple[str, PriceRow]]:
        """Every override as ``(project, row)``, for the ingest pricer."""


class CostStore(Protocol):
    """Cost questions over stored spans: what is unpriced, and re-pricing a window."""

    def unpriced_models(self, start_us: int, end_us: int, project: str | None = None) -> list[UnpricedModel]:
        """llm/embedding spans in the window with a model and tokens but no cost, per (project, model)."""

    def usage_rows(self, start_us: int, end_us: int, project: str | None = None, model: str | None = None,
                   after_id: str = "", limit: int = 5000) -> list[UsageRow]:
        """llm/embedding spans with a model and tokens started in the window, by id (``after_id`` pages)."""

    def set_costs(self, updates: Sequence[tuple[str, float | None, dict[str, float] | None, dict[str, Any]]]) -> int:
        """Set ``(id, cost, cost_details, metadata)`` on stored spans in one transaction (rollups follow)."""
