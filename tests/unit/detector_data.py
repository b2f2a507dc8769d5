"""Seeding helpers for the detector tests: a real SQLite store and compact span builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.spans import new_id
from tracehound.model import Span
from tracehound.store.sqlite import SqliteSpanStore
from tracehound.timefmt import now_us

HOUR_US = 3_600_000_000


def open_store(tmp_path: Path) -> SqliteSpanStore:
    return SqliteSpanStore(tmp_path / "detect.db")


def turn(start_us: int, children: list[dict[str, Any]], *, session: str | None = None, latency_us: int = 10_000,
         **root: Any) -> list[Span]:
    """One trace: a chain root and children given as dicts (run_type, name, offset_us, duration_us, …)."""
    root_id = new_id()
    spans = [Span(id=root_id, trace_id=root_id, name=root.pop("name", "agent"), run_type="chain",
                  start_time=start_us, end_time=start_us + latency_us, session_id=session, **root)]
    for child in children:
        child = dict(child)
        offset, duration = child.pop("offset_us", 10), child.pop("duration_us", 100)
        spans.append(Span(id=new_id(), trace_id=root_id, parent_id=root_id, session_id=session,
                          start_time=start_us + offset, end_time=start_us + offset + duration, **child))
    return spans


def ago(hours: float) -> int:
    return now_us() - int(hours * HOUR_US)
