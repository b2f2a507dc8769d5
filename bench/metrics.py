"""Metrics and alerts: the per-tool p50/p95/p99 table from rollups against raw spans, and ingest with alerts on/off.

1. Over a large store (``_dataset.build_store``: agent turns spread over 7 days), the per-tool table
   (calls, error rate, p50/p95/p99) for the last 24 h and 7 days, read from rollups by
   ``analytics.metrics.summary`` (target: 20 ms each). The baseline, measured in the same run, is
   the same table computed exactly from the raw spans in one SQL statement (window functions); the
   rollup percentiles are checked to be within the sketch's 1% of the exact ones.
2. Durable HTTP ingest into two real servers, one with ``TRACEHOUND_ALERTS=true`` and a rules file
   of every rule kind, one with ``false``; alternated and best-of-rounds to damp noise (target: < 10% loss).

    python bench/metrics.py [--spans 1000000,3000000] [--seconds 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from _dataset import build_store
from _server import running_server
from ingest import measure_http
from tracehound.analytics.metrics import Window, summary
from tracehound.store.sqlite import SqliteSpanStore

TARGET_MS = 20.0
TARGET_LOSS = 0.10
DAY_US = 86_400_000_000
EXACT_SQL = """
WITH t AS (
    SELECT name, status, end_us - start_us AS latency,
           row_number() OVER (PARTITION BY name ORDER BY end_us - start_us) AS rn,
           count(*) OVER (PARTITION BY name) AS n
    FROM spans WHERE run_type = 'tool' AND start_us >= ? AND start_us < ? AND end_us IS NOT NULL
)
SELECT name, max(n), sum(status = 'error'),
       max(CASE WHEN rn = CAST(0.50 * (n - 1) AS INTEGER) + 1 THEN latency END),
       max(CASE WHEN rn = CAST(0.95 * (n - 1) AS INTEGER) + 1 THEN latency END),
       max(CASE WHEN rn = CAST(0.99 * (n - 1) AS INTEGER) + 1 THEN latency END)
FROM t GROUP BY name ORDER BY name
"""
RULES = """
[[rules]]
id = "loops"
kind = "loop"
[[rules]]
id = "context"
kind = "context_window"
[[rules]]
id = "tool-errors"
kind = "error_rate"
[[rules]]
id = "tool-latency"
kind = "latency_regression"
[[rules]]
id = "run-tokens"
kind = "run_tokens"
[[rules]]
id = "empty-kb"
kind = "empty_retrieval"
[[rules]]
id = "p99"
kind = "threshold"
metric = "p99_ms"
op = ">"
threshold = 5000
"""


def _timed(func, repeat: int) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """(first call ms, median of the following calls ms, last result)."""
    started = time.perf_counter()
    result = func()
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(times) if times else first, result


def bench_table(n_spans: int) -> None:
    path = build_store(n_spans)
    store = SqliteSpanStore(path)
    ((last_us,),) = store.read_sql("SELECT max(start_us) FROM spans", ())
    end_us = (last_us // 60_000_000 + 1) * 60_000_000  # rollups answer whole minutes: compare like with like
    print(f"metrics: per-tool p50/p95/p99 table over a {n_spans:,}-span store")
    for label, days in (("24h", 1), ("7d", 7)):
        window = Window(end_us - days * DAY_US, end_us)
        first, rollup_ms, rows = _timed(lambda w=window: summary(store, w, group_by=("name",),
                                                                  filters={"run_type": "tool"}), 20)
        exact_first, exact_ms, exact = _timed(lambda w=window: store.read_sql(EXACT_SQL, (w.start_us, w.end_us)), 2)
        by_name = {row["name"]: row for row in rows}  # type: ignore[attr-defined]
        worst = 0.0
        for name, calls, errors, p50, p95, p99 in exact:  # type: ignore[attr-defined]
            row = by_name[name]
            assert row["calls"] == calls and row["errors"] == errors, (name, row, calls, errors)
            for key, value in (("p50_ms", p50), ("p95_ms", p95), ("p99_ms", p99)):
                worst = max(worst, abs(row[key] * 1000 - value) / value)
        calls = sum(row["calls"] for row in rows)  # type: ignore[attr-defined]
        print(f"  {label:>3} ({calls:,} tool calls, {len(rows)} tools): rollups {rollup_ms:7.2f} ms"
              f" (first {first:.1f} ms; target {TARGET_MS:.0f} ms: {'ok' if rollup_ms <= TARGET_MS else 'MISSED'}),"
              f" exact SQL on raw spans {exact_ms:8.1f} ms (first {exact_first:.0f} ms):"
              f" {exact_ms / rollup_ms:,.0f}x faster; largest percentile error {worst:.2%}")
    store.close()


def bench_ingest(seconds: float, rounds: int) -> None:
    print("alerts: durable HTTP ingest (batch 1000, 4 clients) with the alert evaluator on vs off")
    rates: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as directory:
        rules = Path(directory) / "alerts.toml"
        rules.write_text(RULES)
        for round_ in range(rounds):
            for alerts in ((True, False) if round_ % 2 == 0 else (False, True)):
                env = {"TRACEHOUND_ALERTS": str(alerts).lower(), "TRACEHOUND_ALERT_RULES_FILE": str(rules)}
                with running_server(Path(directory) / f"data-{round_}-{alerts}", env=env) as port:
                    rate = measure_http(port, 4, 1000, seconds, seed=round_ * 2 + alerts)
                rates[alerts].append(rate)
                print(f"  round {round_ + 1}, alerts {'on ' if alerts else 'off'}: {rate:>9,.0f} spans/s")
    on, off = max(rates[True]), max(rates[False])
    loss = 1 - on / off
    print(f"  best: on {on:,.0f} spans/s, off {off:,.0f} spans/s: on/off = {on / off:.3f},"
          f" loss {loss:.1%} (target < {TARGET_LOSS:.0%}: {'ok' if loss < TARGET_LOSS else 'MISSED'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", default="1000000", help="comma-separated store sizes (10000000 takes ~10 min)")
    parser.add_argument("--seconds", type=float, default=4.0, help="duration of each ingest measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating on/off ingest rounds")
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    for size in (int(part) for part in args.spans.split(",")):
        bench_table(size)
    if not args.skip_ingest:
        bench_ingest(args.seconds, args.rounds)


if __name__ == "__main__":
    main()
