"""The long-lived objects a server needs, built once from settings and shared by every route."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from tracehound.analytics.service import start_alerts, stop_alerts
from tracehound.governance.redaction import project_redactors
from tracehound.governance.retention import Batching, RetentionWorker
from tracehound.ingest.pipeline import IngestPipeline
from tracehound.server.auth import Authenticator
from tracehound.settings import Settings
from tracehound.store.base import CostStore, FeedbackStore, MetaStore, SpanStore
from tracehound.store.factory import Stores, open_stores


@dataclass
class Services:
    settings: Settings
    stores: Stores
    spans: SpanStore
    meta: MetaStore
    pipeline: IngestPipeline
    feedback: FeedbackStore
    access: Authenticator
    retention: RetentionWorker

    @classmethod
    def open(cls, settings: Settings) -> Services:
        """Open the configured stores (``--spans``/``--meta``, else the data dir) and build the pipeline (not started).

        Raises:
            ConfigError: a store URL names an unknown or unavailable engine.
            StoreError: a store cannot be opened.
        """
        stores = open_stores(settings)
        try:
            stores.open_all()
        except BaseException:
            stores.close()
            raise
        pipeline = IngestPipeline(stores.spans, stores.meta, settings)
        pipeline.set_project_redactors(project_redactors(stores.meta))
        worker = RetentionWorker(stores.spans, stores.meta, interval_s=settings.retention_interval_s,
                                 batching=Batching(traces=settings.retention_batch_traces))
        return cls(settings, stores, stores.spans, stores.meta, pipeline, stores.feedback,
                   Authenticator(settings, stores.meta), worker)

    @property
    def costs(self) -> CostStore:
        """Unpriced models and re-pricing over the span store."""
        return self.spans.costs

    def start(self) -> None:
        self.pipeline.start()
        self.spans.start_background(self.pipeline.is_idle)
        self.evaluator = start_alerts(self)
        self.retention.start()

    def close(self) -> None:
        self.retention.stop()
        self.pipeline.stop()
        stop_alerts(self)
        self.stores.close()


async def services(request: Request) -> Services:
    """FastAPI dependency: the app's services (async, so it never takes a threadpool hop)."""
    return request.app.state.services  # type: ignore[no-any-return]
