"""Protocol for the ingest mapping report's records (``meta.ingest_sources``).

The OTLP mapping report (``ingest.otlp.report``) says, per source (service, instrumentation scope),
which conventions mapped its spans; the server saves it here so the CLI and a restarted server see it.
The store keeps each source's state as an opaque JSON object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class SourceRecord:
    protocol: str  # "otlp"
    service: str
    scope: str
    first_seen_us: int
    last_seen_us: int
    state: dict[str, Any]


class IngestSourceStore(Protocol):
    def load(self, protocol: str) -> list[SourceRecord]:
        """The protocol's sources, by service then scope."""

    def save(self, records: Sequence[SourceRecord]) -> None:
        """Insert or replace by (protocol, service, scope); ``first_seen_us`` of a stored source is kept."""
