"""Detector results kept by the meta store (``meta.detector_results``), newest first."""

from __future__ import annotations

from typing import Any

from tracehound.analytics.detectors.base import DetectorResult
from tracehound.store.alerting import DetectorResultStore as DetectorResultRecords


class DetectorResultStore:
    """Saved detector runs (on demand with ``save``, or by the scheduler)."""

    def __init__(self, records: DetectorResultRecords) -> None:
        self._records = records

    def save(self, result: DetectorResult) -> int:
        """Store a result; returns its id."""
        body = result.to_dict()
        return self._records.save(result.detector, result.at_us, body["params"], body)

    def list(self, detector: str | None = None, *, limit: int = 50, fired_only: bool = False) -> list[dict[str, Any]]:
        return self._records.list(detector, limit=limit, fired_only=fired_only)

    def close(self) -> None:
        """Nothing to release: the records belong to the meta store."""
