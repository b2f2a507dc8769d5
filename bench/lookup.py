"""Trace-tree and session fetch latency with 1,000,000 spans stored.

Measured twice: through the store (what the API handler does) and through the real HTTP API. The
baseline, measured in the same run, is the cheapest possible query on the same file: one span by
primary key (``SELECT ... WHERE seq = ?``), so the ratio shows what a tree or a session costs above it.

    python bench/lookup.py [--spans 1000000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))

from _dataset import build_store, sample_ids
from _server import running_server
from tracehound.store.sqlite import SqliteSpanStore

TARGETS_MS = {"trace": 5.0, "session": 10.0}


def timed(func, args_list: list) -> tuple[float, float]:
    """Median and p95 in milliseconds over the argument list (after one warm-up pass)."""
    for args in args_list[:20]:
        func(args)
    samples = []
    for args in args_list:
        start = time.perf_counter()
        func(args)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    args = parser.parse_args()
    path = build_store(args.spans)
    traces, sessions = sample_ids(path)
    print(f"lookup: {args.spans:,} spans stored ({os.path.getsize(path) / 1e6:.0f} MB), "
          f"{len(traces)} traces and {len(sessions)} sessions sampled")

    raw = sqlite3.connect(path)
    total = raw.execute("SELECT max(seq) FROM spans").fetchone()[0]
    base_median, _ = timed(lambda seq: raw.execute("SELECT * FROM spans WHERE seq = ?", (seq,)).fetchall(),
                           [1 + (i * 7919) % total for i in range(200)])
    print(f"  baseline: one row by primary key      median {base_median:7.3f} ms")

    store = SqliteSpanStore(path)
    for label, func, ids in (("trace", store.get_trace, traces), ("session", store.session_turns, sessions)):
        median, p95 = timed(func, ids)
        print(f"  store  {label:<8} median {median:7.3f} ms  p95 {p95:7.3f} ms   "
              f"target {TARGETS_MS[label]:.0f} ms ({TARGETS_MS[label] / median:.0f}x headroom), "
              f"{median / base_median:.0f}x the baseline")
    store.close()

    data_dir = os.path.dirname(path)
    with running_server(data_dir) as port:
        base = f"http://127.0.0.1:{port}"

        def fetch(url: str) -> None:
            with urllib.request.urlopen(url) as response:
                response.read()

        for label, route, ids in (("trace", "traces", traces), ("session", "sessions", sessions)):
            median, p95 = timed(fetch, [f"{base}/api/v1/{route}/{i}" for i in ids])
            print(f"  http   {label:<8} median {median:7.3f} ms  p95 {p95:7.3f} ms   "
                  f"target {TARGETS_MS[label]:.0f} ms ({TARGETS_MS[label] / median:.1f}x headroom)")


if __name__ == "__main__":
    main()
