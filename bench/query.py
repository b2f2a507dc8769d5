"""Query latency with 1,000,000 spans stored: a filtered first page, a session timeline, full-text search.

Targets (issue 3): a filtered first page (tool runs slower than 5 s in the last 24 h) ≤ 50 ms, a
session's timeline ≤ 10 ms, a full-text search first page ≤ 100 ms. Each figure is the median and
p95 over 50 runs through ``tracehound.query`` (what the API handlers call). Baselines, measured in
the same run on the same file: the same first-page filter as a full scan (``NOT INDEXED``), and
one pass reading every span's payload blobs, a lower bound for any search without the FTS5 index
(which would also have to decompress them).

The store comes from ``_dataset.build_store`` (built once, cached in the temp dir); its full-text
backlog is indexed and merged here the first time, and that time is printed.

    python bench/query.py [--spans 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(__file__))

from _dataset import build_store, sample_ids
from tracehound.query.lookups import find_traces, since_us, triage
from tracehound.query.runs import RunQuery, list_runs
from tracehound.store.sqlite import SqliteSpanStore
from tracehound.timefmt import now_us

RUNS = 50
SLOW_TOOLS = 'and(eq(run_type, "tool"), gt(latency, 5), gte(start_time, "-24h"))'


def timed(func: Callable[[int], object], runs: int = RUNS) -> tuple[float, float]:
    """Median and p95 in milliseconds of ``func(i)`` for i in range(runs), after 5 warm-up calls."""
    for index in range(5):
        func(index)
    samples = []
    for index in range(runs):
        start = time.perf_counter()
        func(index)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


def report(label: str, figures: tuple[float, float], target_ms: float | None = None) -> None:
    median, p95 = figures
    ratio = f"   ({median / target_ms:.2f}x the {target_ms:g} ms target)" if target_ms else ""
    print(f"  {label:<58} median {median:>8.2f} ms  p95 {p95:>8.2f} ms{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    args = parser.parse_args()
    path = build_store(args.spans)
    store = SqliteSpanStore(path, synchronous="OFF")
    started = time.perf_counter()
    indexed = store.search_index.catch_up()
    while store.search_index.compact(max_steps=50):
        pass
    if indexed:
        print(f"  indexed the full-text backlog of {indexed:,} spans in {time.perf_counter() - started:.1f} s")
    _, sessions = sample_ids(path, RUNS)
    count = store.count()
    print(f"query: {count:,} spans in {path}")

    def first_page(query: RunQuery) -> Callable[[int], object]:
        return lambda _: list_runs(store, query)

    slow = list_runs(store, RunQuery(project="bench", filter=SLOW_TOOLS))
    print(f"  (slow-tool page holds {len(slow.runs)} runs; 'ConnectionError' matches "
          f"{store.read_sql('SELECT count(*) FROM spans_fts WHERE spans_fts MATCH ?', ('connectionerror',))[0][0]:,}"
          " spans, 'order' every span)")
    report("filtered first page: slow tools, last 24 h, one project",
           timed(first_page(RunQuery(project="bench", filter=SLOW_TOOLS))), 50)
    report("filtered first page: slow tools, last 24 h, all projects",
           timed(first_page(RunQuery(filter=SLOW_TOOLS))), 50)
    report("filtered second page (cursor)",
           timed(first_page(RunQuery(project="bench", filter=SLOW_TOOLS, cursor=slow.cursor))), 50)
    report("session timeline (lookup by session_id, traces + totals)",
           timed(lambda i: find_traces(store, session_id=sessions[i % len(sessions)])), 10)
    report("session runs (filter eq(session_id), first page)",
           timed(lambda i: list_runs(store, RunQuery(filter=f'eq(session_id, "{sessions[i % len(sessions)]}")'))), 10)
    report('search first page: search("ConnectionError") (1.25% of spans)',
           timed(first_page(RunQuery(filter='search("ConnectionError")'))), 100)
    report('search first page: search("order") (every span)',
           timed(first_page(RunQuery(filter='search("order")'))), 100)
    report('search first page: search("lookup_order 502") (two words)',
           timed(first_page(RunQuery(filter='search("lookup_order 502")'))), 100)
    report('search first page: search("zebra") (no match)',
           timed(first_page(RunQuery(filter='search("zebra")'))), 100)
    report("correlation look-up: metadata value t3 (1 span in 7)",
           timed(lambda _: find_traces(store, correlation_id="t3", key="tenant")))
    report("triage: lookup_order failures in the last 24 h",
           timed(lambda _: triage(store, tool="lookup_order", since_us=since_us("24h")), runs=10))
    cutoff = now_us() - 86_400_000_000
    report("baseline: the slow-tool page as a full scan (NOT INDEXED)", timed(lambda _: store.read_sql(
        "SELECT id FROM spans NOT INDEXED WHERE run_type = 'tool' AND end_us - start_us > 5000000"
        " AND start_us >= ? ORDER BY start_us DESC, seq DESC LIMIT 50", (cutoff,)), runs=5))
    report("baseline: one pass over every span's payloads (search without FTS5 >= this)", timed(
        lambda _: store.read_sql("SELECT count(*) FROM spans NOT INDEXED WHERE length(inputs) + length(outputs)"
                                 " + coalesce(length(error), 0) > 0", ()), runs=5))
    store.close()


if __name__ == "__main__":
    main()
