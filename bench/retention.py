"""Ingest throughput while the retention job deletes, against the rate without it (target: >= 90%).

Seeds a data dir with ``--old-spans`` spans of a project 60 days old (written straight into the
store before the server starts), starts ``tracehound serve`` with the retention worker waking every
second, then measures durable HTTP ingest of 1,000-span batches into another project:

1. baseline: no retention policy, nothing is deleted;
2. with retention: a policy (successful traces 30 days) is set on the old project, so the worker
   deletes its traces in batches of ``TRACEHOUND_RETENTION_BATCH_TRACES`` while ingest runs;
3. baseline again, once the deletion has finished (the file is larger by then, as it would be).

The figure is (2) against the mean of (1) and (3). It also prints how many spans the worker removed
per second during (2); if it ran out of old spans before (2) ended, seed more.

    python bench/retention.py [--seconds 6] [--old-spans 400000] [--clients 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

import httpx
import msgspec

from _load import post_concurrently
from _server import running_server
from _workload import agent_turn_spans

TARGET_RATIO = 0.90
DAY_US = 86_400 * 1_000_000


def seed_old(data_dir: str, spans: int) -> int:
    """Write ``spans`` spans of 60-day-old agent turns into project ``old``; returns how many."""
    from tracehound.model import Span
    from tracehound.store.sqlite import SqliteMetaStore, SqliteSpanStore
    from tracehound.store.sqlite.connection import db_path

    path = db_path(data_dir)
    store = SqliteSpanStore(path, synchronous="OFF")
    base = int(time.time() * 1e6) - 60 * DAY_US
    written = 0
    seed = 10_000_000
    while written < spans:
        batch = []
        for _ in range(250):
            batch += agent_turn_spans(seed, base_us=base, project="old")
            seed += 1
        store.upsert([msgspec.convert(s, Span) for s in batch])
        written += len(batch)
    store.close()
    meta = SqliteMetaStore(path)
    meta.ensure_projects(["old"])
    meta.close()
    return written


def make_bodies(count: int, seed: int) -> list[bytes]:
    bodies = []
    for index in range(count):
        spans: list[dict] = []
        turn = 0
        while len(spans) < 1000:
            spans.extend(agent_turn_spans(seed * 1_000_000 + index * 1000 + turn, project="live"))
            turn += 1
        bodies.append(msgspec.json.encode({"spans": spans[:1000]}))
    return bodies


def _accepted(status: int, payload: bytes) -> int | None:
    return msgspec.json.decode(payload)["accepted"] if status == 200 else None


def measure(port: int, clients: int, seconds: float, seed: int) -> float:
    per_client = max(4, int(40_000 * seconds / 1000 / clients) + 2)
    bodies = [make_bodies(per_client, seed * 100 + c) for c in range(clients)]
    return post_concurrently(port, "/api/v1/spans", "application/json", bodies, seconds, _accepted)


def count_old(data_dir: str) -> int:
    import sqlite3

    from tracehound.store.sqlite.connection import db_path

    with sqlite3.connect(f"file:{db_path(data_dir)}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM spans WHERE project = 'old'").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="duration of each measurement")
    parser.add_argument("--old-spans", type=int, default=400_000, help="expired spans seeded for retention")
    parser.add_argument("--clients", type=int, default=1, help="concurrent ingest clients")
    args = parser.parse_args()
    print("retention: durable HTTP ingest (1,000-span batches) with and without the retention job deleting")
    with tempfile.TemporaryDirectory() as data_dir:
        started = time.perf_counter()
        seeded = seed_old(data_dir, args.old_spans)
        print(f"  seeded {seeded:,} spans 60 days old in {time.perf_counter() - started:.1f} s")
        env = {"TRACEHOUND_RETENTION_INTERVAL_S": "1", "TRACEHOUND_ALERTS": "false"}
        with running_server(data_dir, env=env) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}",
                                                                      timeout=60) as http:
            measure(port, args.clients, 1.0, seed=1)  # warm-up
            before = measure(port, args.clients, args.seconds, seed=2)
            print(f"  baseline (no retention):     {before:>10,.0f} spans/s")
            left_before = count_old(data_dir)
            answer = http.put("/api/v1/projects/old/retention", json={"ok_days": 30, "failed_days": 30})
            answer.raise_for_status()
            time.sleep(0.5)
            started = time.perf_counter()
            during = measure(port, args.clients, args.seconds, seed=3)
            elapsed = time.perf_counter() - started
            left_after = count_old(data_dir)
            deleted_rate = (left_before - left_after) / elapsed
            print(f"  while retention deletes:     {during:>10,.0f} spans/s"
                  f"   (retention removed {left_before - left_after:,} spans, {deleted_rate:,.0f} spans/s)")
            if left_after == 0:
                print("  note: the old spans ran out before the window ended; raise --old-spans")
            deadline = time.monotonic() + 600
            while count_old(data_dir) and time.monotonic() < deadline:
                time.sleep(1)
            after = measure(port, args.clients, args.seconds, seed=4)
            print(f"  baseline (retention done):   {after:>10,.0f} spans/s")
        baseline = (before + after) / 2
        ratio = during / baseline
        print(f"  ingest while deleting = {ratio:.2f}x of the same-run baseline ({baseline:,.0f} spans/s);"
              f" target >= {TARGET_RATIO:.2f}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'}")


if __name__ == "__main__":
    main()
