"""The scale-out span store: ClickHouse over HTTP (``clickhouse://``) or in process (``chdb:///path``).

``open_span_store`` and ``open_feedback_store`` are what ``store.factory`` calls for those URLs.
"""

from __future__ import annotations

from typing import Any

from tracehound.store.clickhouse.feedback import ClickHouseFeedbackStore
from tracehound.store.clickhouse.spans import ClickHouseSpanStore

__all__ = ["ClickHouseFeedbackStore", "ClickHouseSpanStore", "open_feedback_store", "open_span_store"]



def open_span_store(url: str, options: Any = None) -> ClickHouseSpanStore:
    """A span store on the database ``url`` names (created and migrated when missing)."""
    cap = getattr(options, "payload_cap_bytes", None) or 1024 * 1024
    return ClickHouseSpanStore(url, payload_cap_bytes=cap)


def open_feedback_store(url: str, options: Any = None) -> ClickHouseFeedbackStore:
    """The feedback store beside the spans of ``url``."""
    return ClickHouseFeedbackStore(url)
