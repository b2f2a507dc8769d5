"""A large store for look-up benchmarks, built once per size and kept in the system temp dir.

Spans are agent turns from ``_workload`` spread over the last 7 days, sessions of 5 turns, ~100
users; 5% of tool spans fail and 2% of tools take over 5 s, so filters have something to find.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from _workload import agent_turn_spans
from tracehound.model import Span
from tracehound.store.sqlite import SqliteMetaStore, SqliteSpanStore
from tracehound.store.sqlite.schema import SCHEMA_VERSION

SPAN_WINDOW_US = 7 * 86_400_000_000


def dataset_path(n_spans: int) -> Path:
    return Path(tempfile.gettempdir()) / f"tracehound-bench-{n_spans}-v{SCHEMA_VERSION}" / "tracehound.db"


def build_store(n_spans: int, *, verbose: bool = True) -> Path:
    """The path of a store holding ``n_spans`` spans (built on first use, reused after)."""
    path = dataset_path(n_spans)
    if path.exists() and path.with_suffix(".done").exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob("tracehound.db*"):
        stale.unlink()
    started = time.perf_counter()
    store = SqliteSpanStore(path, synchronous="OFF")
    SqliteMetaStore(path).ensure_projects(["bench"])
    turns = n_spans // 8
    base_us = int(time.time() * 1e6) - SPAN_WINDOW_US
    step_us = SPAN_WINDOW_US // max(turns, 1)
    batch: list[Span] = []
    for turn in range(turns):
        for data in agent_turn_spans(turn, base_us=base_us + turn * step_us - turn * 1000):
            if data["run_type"] == "tool" and turn % 20 == 3:
                data["error"] = f"ConnectionError: upstream {data['name']} returned 502"
            if data["run_type"] == "tool" and turn % 50 == 7:
                data["end_time"] = data["start_time"] + 6_500_000
            batch.append(Span(**data))
        if len(batch) >= 8000:
            store.upsert(batch)
            batch = []
        if verbose and turn % 25_000 == 0 and turn:
            print(f"  building {n_spans:,}-span store: {turn * 8:,} spans", flush=True)
    if batch:
        store.upsert(batch)
    store._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store._writer.execute("ANALYZE")
    store.close()
    path.with_suffix(".done").touch()
    if verbose:
        print(f"  built {n_spans:,} spans in {time.perf_counter() - started:.0f} s at {path}", flush=True)
    return path


def sample_ids(path: Path, count: int = 200) -> tuple[list[str], list[str]]:
    """Trace ids and session ids spread over the store, for look-ups."""
    import sqlite3

    conn = sqlite3.connect(path)
    total = conn.execute("SELECT max(seq) FROM spans").fetchone()[0]
    stride = max(total // count, 1)
    traces = [row[0] for row in conn.execute("SELECT trace_id FROM spans WHERE seq % ? = 1 LIMIT ?", (stride, count))]
    sessions = [row[0] for row in conn.execute(
        "SELECT session_id FROM spans WHERE seq % ? = 1 AND session_id IS NOT NULL LIMIT ?", (stride, count))]
    conn.close()
    return traces, sessions


if __name__ == "__main__":
    build_store(int(os.environ.get("SPANS", "1000000")))
