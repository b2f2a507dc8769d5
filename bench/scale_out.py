"""Scale-out: the ClickHouse span store against the embedded SQLite store, same spans, same run.

For each engine, a real ``tracehound serve`` node (``--data-dir`` for SQLite; ``--spans chdb:///…``
for ClickHouse in process) takes N spans of agent turns spread over the last 7 days, posted in
1,000-span batches by 4 clients (durable acknowledgement both ways: SQLite synchronous=FULL,
ClickHouse synchronous inserts). The node is then stopped and the store opened in this process for
the reads: a trace load (median of 200), the 7-day per-tool p50/p95/p99 table (from rollups), a
filtered runs page (tools slower than 5 s in the last 7 days, 50 rows), and bytes on disk per span.
Every figure is printed with its ClickHouse/SQLite ratio.

Targets at 10,000,000 spans on ClickHouse: ingest >= 50,000 spans/s, trace <= 20 ms, per-tool
table <= 50 ms, runs page <= 100 ms.

    python bench/scale_out.py [--spans 200000] [--engines sqlite,clickhouse] [--clients 4]
    python bench/scale_out.py --spans 10000000     # the full target (tens of GB in the temp dir)
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

import msgspec

from _server import running_server
from _workload import agent_turn_spans

WEEK_US = 7 * 86_400_000_000
BATCH = 1000
TARGETS = {"ingest spans/s": 50_000, "trace load ms": 20, "7-day per-tool ms": 50, "runs page ms": 100}


def bodies(total: int, client: int, clients: int, base_us: int) -> Any:
    """This client's share of the turns, as encoded 1,000-span batches (made on the fly: 10M spans do not fit)."""
    turns = total // 8
    step_us = WEEK_US // max(turns, 1)
    batch: list[dict[str, Any]] = []
    for turn in range(client, turns, clients):
        for data in agent_turn_spans(turn, base_us=base_us + turn * step_us - turn * 1000):
            if data["run_type"] == "tool" and turn % 20 == 3:
                data["error"] = f"ConnectionError: upstream {data['name']} returned 502"
            if data["run_type"] == "tool" and turn % 50 == 7:
                data["end_time"] = data["start_time"] + 6_500_000
            batch.append(data)
        if len(batch) >= BATCH:
            yield msgspec.json.encode({"spans": batch})
            batch = []
    if batch:
        yield msgspec.json.encode({"spans": batch})


def ingest(port: int, total: int, clients: int, base_us: int) -> float:
    """Post every span; spans/s acknowledged."""
    sent = [0] * clients
    errors: list[str] = []

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        for body in bodies(total, index, clients, base_us):
            conn.request("POST", "/api/v1/spans", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200:
                errors.append(f"{response.status} {payload[:200]!r}")
                return
            sent[index] += msgspec.json.decode(payload)["accepted"]
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"ingest failed: {errors[0]}")
    return sum(sent) / (time.perf_counter() - started)


def timed_ms(func: Callable[[], Any], repeat: int) -> float:
    func()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def reads(store: Any) -> dict[str, float]:
    from tracehound.analytics.metrics import Window, summary
    from tracehound.query.runs import RunQuery, list_runs

    roots = list_runs(store, RunQuery(project="bench", is_root=True, start_time="-8d", limit=1000,
                                      select=["trace_id"])).runs
    traces = [run["trace_id"] for run in roots[::5]][:200]
    trace_ms = statistics.median(timed_ms(lambda t=trace: store.get_trace(t), 1) for trace in traces)
    now = int(time.time() * 1e6)
    week = Window(now - WEEK_US - 3_600_000_000, now)
    table_ms = timed_ms(lambda: summary(store, week, group_by=("name",), filters={"run_type": "tool"}), 5)
    query = RunQuery(project="bench", filter='and(eq(run_type, "tool"), gt(latency, 5))', start_time="-8d", limit=50)
    page_ms = timed_ms(lambda: list_runs(store, query), 5)
    return {"trace load ms": trace_ms, "7-day per-tool ms": table_ms, "runs page ms": page_ms}


def run_engine(engine: str, total: int, clients: int, base: Path, base_us: int) -> dict[str, float]:
    data_dir = base / engine
    args: tuple[str, ...] = ()
    spans_url = ""
    if engine == "clickhouse":
        spans_url = f"chdb://{base / 'ch'}?database=bench"
        args = ("--spans", spans_url)
    with running_server(data_dir, args=args) as port:
        rate = ingest(port, total, clients, base_us)
    from tracehound.store.factory import StoreConfig, open_span_store, sqlite_url

    store = open_span_store(StoreConfig(spans_url or sqlite_url(data_dir), sqlite_url(data_dir)))
    try:
        count = store.count()
        if count != total // 8 * 8:
            raise SystemExit(f"{engine}: {count} spans stored, {total // 8 * 8} sent")
        figures = {"ingest spans/s": rate, **reads(store)}
        figures["bytes on disk per span"] = disk_bytes(engine, store, data_dir, base) / count
    finally:
        store.close()
    return figures


def disk_bytes(engine: str, store: Any, data_dir: Path, base: Path) -> float:
    if engine == "clickhouse":
        rows = store.db.rows("SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'bench' AND active")
        return float(rows[0][0] or 0)
    return float(sum(path.stat().st_size for path in data_dir.glob("tracehound.db*")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--engines", default="sqlite,clickhouse")
    args = parser.parse_args()
    engines = args.engines.split(",")
    base = Path(tempfile.mkdtemp(prefix="tracehound-scale-"))
    base_us = int(time.time() * 1e6) - WEEK_US
    print(f"scale_out: {args.spans:,} spans (8-span agent turns over 7 days), {args.clients} clients x {BATCH}-span"
          " batches, then reads in process")
    results: dict[str, dict[str, float]] = {}
    try:
        for engine in engines:
            results[engine] = run_engine(engine, args.spans, args.clients, base, base_us)
            print(f"  {engine}: " + ", ".join(f"{k} {v:,.1f}" for k, v in results[engine].items()), flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    names = list(next(iter(results.values())))
    print(f"\n  {'figure':<24}" + "".join(f"{e:>14}" for e in engines) + "   ratio ch/sqlite   target (clickhouse)")
    for name in names:
        row = "".join(f"{results[e][name]:>14,.1f}" for e in engines)
        ratio = ""
        if "sqlite" in results and "clickhouse" in results and results["sqlite"][name]:
            ratio = f"{results['clickhouse'][name] / results['sqlite'][name]:>14.2f}x"
        target = TARGETS.get(name)
        verdict = ""
        if target is not None and "clickhouse" in results:
            good = results["clickhouse"][name] >= target if "spans/s" in name else results["clickhouse"][name] <= target
            verdict = f"   {'>=' if 'spans/s' in name else '<='} {target:,} {'ok' if good else 'MISSED'}"
        print(f"  {name:<24}{row}   {ratio:>15}{verdict}")
    print("  (targets are for 10,000,000 spans; at smaller sizes they only show the trend)")


if __name__ == "__main__":
    main()
