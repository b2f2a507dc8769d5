"""The long-lived objects a server needs, built once from settings and shared by every route."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from tracehound.analytics.service import start_alerts, stop_alerts
from tracehound.ingest.pipeline import IngestPipeline
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
        return cls(settings, stores, stores.spans, stores.meta, IngestPipeline(stores.spans, stores.meta, settings),
                   stores.feedback)

    @property
    def costs(self) -> CostStore:
        """Unpriced models and re-pricing over the span store."""
        return self.spans.costs

    def start(self) -> None:
        self.pipeline.start()
        self.spans.start_background(self.pipeline.is_idle)
        self.evaluator = start_alerts(self)

    def close(self) -> None:
        self.pipeline.stop()
        stop_alerts(self)
        self.stores.close()


async def services(request: Request) -> Services:
    """FastAPI dependency: the app's services (async, so it never takes a threadpool hop)."""
    return request.app.state.services  # type: ignore[no-any-return]
