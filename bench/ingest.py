"""Ingest throughput through the real HTTP endpoint with durable acknowledgement.

Starts ``tracehound serve`` on a fresh data dir (synchronous=FULL: every 2xx is on disk), then sends
pre-encoded batches of agent-turn-shaped trees (8 spans, ~300-byte inputs/outputs) from 1 and 4
concurrent clients, with batches of 100 and 1,000 spans. The baseline, measured in the same run, is
the same rows written straight into SQLite by one process with one commit per batch: the ceiling a
server adds its HTTP, validation and encoding work on top of.

    python bench/ingest.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

import msgspec

from _load import post_concurrently
from _server import running_server
from _workload import agent_turn_spans

TARGET_SPANS_PER_S = 20_000


def make_bodies(batch_spans: int, count: int, *, seed: int) -> list[bytes]:
    bodies = []
    for index in range(count):
        spans: list[dict] = []
        turn = 0
        while len(spans) < batch_spans:
            spans.extend(agent_turn_spans(seed * 1_000_000 + index * 1000 + turn))
            turn += 1
        bodies.append(msgspec.json.encode({"spans": spans[:batch_spans]}))
    return bodies


def _accepted(status: int, payload: bytes) -> int | None:
    return msgspec.json.decode(payload)["accepted"] if status == 200 else None


def measure_http(port: int, clients: int, batch_spans: int, seconds: float, seed: int) -> float:
    per_client = max(4, int(40_000 * seconds / batch_spans / clients) + 2)
    bodies = [make_bodies(batch_spans, per_client, seed=seed * 100 + c) for c in range(clients)]
    return post_concurrently(port, "/api/v1/spans", "application/json", bodies, seconds, _accepted)


def measure_raw_sqlite(batch_spans: int, seconds: float) -> float:
    """Baseline: decoded spans written by SqliteSpanStore directly, one commit per batch, no HTTP."""
    from tracehound.model import decode_batch
    from tracehound.store.sqlite import SqliteSpanStore

    with tempfile.TemporaryDirectory() as directory:
        store = SqliteSpanStore(os.path.join(directory, "raw.db"))
        batches = [decode_batch(body) for body in make_bodies(batch_spans, max(4, int(30_000 * seconds / batch_spans)),
                                                               seed=999)]
        written = 0
        start = time.perf_counter()
        for spans in batches:
            store.upsert(spans)
            written += len(spans)
            if time.perf_counter() - start > seconds:
                break
        elapsed = time.perf_counter() - start
        store.close()
    return written / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="duration of each measurement")
    args = parser.parse_args()
    print("ingest: durable HTTP ingest (POST /api/v1/spans, synchronous=FULL), 8-span agent turns")
    results = {}
    with tempfile.TemporaryDirectory() as data_dir, running_server(data_dir) as port:
        seed = 0
        for batch_spans in (100, 1000):
            for clients in (1, 4):
                seed += 1
                rate = measure_http(port, clients, batch_spans, args.seconds, seed)
                results[(batch_spans, clients)] = rate
                print(f"  batch {batch_spans:>5} spans, {clients} client(s): {rate:>10,.0f} spans/s"
                      f"   ({rate / TARGET_SPANS_PER_S:.2f}x the {TARGET_SPANS_PER_S:,} target)")
    for batch_spans in (100, 1000):
        raw = measure_raw_sqlite(batch_spans, args.seconds)
        best = max(results[(batch_spans, 1)], results[(batch_spans, 4)])
        print(f"  baseline: store.upsert in-process, batch {batch_spans:>5}: {raw:>10,.0f} spans/s;"
              f" HTTP path reaches {best / raw:.2f}x of it")


if __name__ == "__main__":
    main()
