"""The long-lived objects a server needs, built once from settings and shared by every route."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from tracehound.analytics.service import start_alerts, stop_alerts
from tracehound.ingest.pipeline import IngestPipeline
from tracehound.settings import Settings
from tracehound.store.sqlite import SqliteFeedbackStore, SqliteMetaStore, SqliteSpanStore
from tracehound.store.sqlite.connection import db_path
from tracehound.store.sqlite.costs import SqliteCostStore


@dataclass
class Services:
    settings: Settings
    spans: SqliteSpanStore
    meta: SqliteMetaStore
    pipeline: IngestPipeline
    feedback: SqliteFeedbackStore

    @classmethod
    def open(cls, settings: Settings) -> Services:
        """Open the embedded store in ``settings.data_dir`` and build the pipeline (not started)."""
        path = db_path(settings.data_dir)
        spans = SqliteSpanStore(path, synchronous=settings.sqlite_synchronous,
                                payload_cap_bytes=settings.max_payload_bytes)
        meta = SqliteMetaStore(path, synchronous=settings.sqlite_synchronous)
        feedback = SqliteFeedbackStore(path, synchronous=settings.sqlite_synchronous)
        return cls(settings, spans, meta, IngestPipeline(spans, meta, settings), feedback)

    @property
    def costs(self) -> SqliteCostStore:
        """Unpriced models and re-pricing over the span store."""
        return SqliteCostStore(self.spans)

    def start(self) -> None:
        self.spans.checkpoint_in_background()
        self.pipeline.start()
        self.spans.search_index.start(is_idle=self.pipeline.is_idle)
        self.evaluator = start_alerts(self)

    def close(self) -> None:
        self.pipeline.stop()
        self.spans.search_index.stop()
        stop_alerts(self)
        self.spans.close()
        self.meta.close()
        self.feedback.close()


async def services(request: Request) -> Services:
    """FastAPI dependency: the app's services (async, so it never takes a threadpool hop)."""
    return request.app.state.services  # type: ignore[no-any-return]
