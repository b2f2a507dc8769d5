"""Rollups: exact under re-sends and start→end merges, equal to a rebuild, percentiles within 1% of raw."""

from __future__ import annotations

import itertools
import math
import random
import sqlite3
from pathlib import Path

from tests.spans import BASE_US, new_id
from tracehound.model import Span
from tracehound.store.sketch import ALPHA, quantile
from tracehound.store.sqlite import SqliteSpanStore, rollups
from tracehound.store.sqlite.rollups import DAY_US, HOUR_US, MINUTE_US, decode_bins, segments


def _spans(rng: random.Random, count: int) -> list[Span]:
    spans = []
    for index in range(count):
        start = BASE_US + rng.randint(0, 3 * DAY_US)
        root = new_id()
        spans.append(Span(id=root, trace_id=root, name="agent", run_type="chain", start_time=start,
                          end_time=start + rng.randint(1000, 9_000_000)))
        spans.append(Span(id=new_id(), trace_id=root, parent_id=root, name=rng.choice(["search", "lookup"]),
                          run_type="tool", start_time=start + 10, end_time=start + 10 + int(rng.lognormvariate(10, 1)),
                          error="boom" if index % 9 == 0 else None))
        spans.append(Span(id=new_id(), trace_id=root, parent_id=root, name="plan", run_type="llm",
                          model=rng.choice(["gpt-4o", "gpt-4o-mini"]), prompt_tokens=rng.randint(10, 900),
                          completion_tokens=rng.randint(1, 90), cost=round(rng.random() / 100, 6),
                          start_time=start + 20, end_time=start + 20 + rng.randint(100, 90_000)))
    return spans


def _snapshot(store: SqliteSpanStore) -> list[object]:
    return rollups.snapshot(store._writer)


def _rows(store: SqliteSpanStore, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(store.path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_re_sent_and_merged_spans_count_once_and_agree_with_a_rebuild(tmp_path: Path) -> None:
    rng = random.Random(1)
    store = SqliteSpanStore(tmp_path / "r.db")
    spans = _spans(rng, 300)
    # Start messages first (running: not counted), then the ends, then a full re-send.
    store.upsert([Span(id=s.id, trace_id=s.trace_id, parent_id=s.parent_id, name=s.name, run_type=s.run_type,
                       start_time=s.start_time, model=s.model) for s in spans])
    assert _rows(store, "SELECT count(*) FROM rollups") == [(0,)]
    store.upsert(spans[: len(spans) // 2])
    store.upsert(spans)
    store.upsert(spans[::3])
    # A late correction: a span moves to another status and latency.
    late = spans[1]
    store.upsert([Span(id=late.id, trace_id=late.trace_id, parent_id=late.parent_id, name=late.name,
                       run_type="tool", start_time=late.start_time, end_time=late.start_us + 5, error="late")])
    incremental = _snapshot(store)
    assert store.rebuild_rollups() == len(spans)
    assert _snapshot(store) == incremental
    calls = _rows(store, f"SELECT sum(calls) FROM rollups WHERE width_us = {MINUTE_US}")[0][0]
    assert calls == len(spans)
    store.close()


def test_a_deleted_span_leaves_the_rollups(tmp_path: Path) -> None:
    store = SqliteSpanStore(tmp_path / "d.db")
    spans = _spans(random.Random(2), 20)
    store.upsert(spans)
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.execute("DELETE FROM spans WHERE id = ?", (spans[0].id,))
    conn.close()
    store.fold_rollups()
    before = _snapshot(store)
    store.rebuild_rollups()
    assert _snapshot(store) == before
    store.close()


def test_window_percentiles_match_exact_percentiles_of_raw_spans(tmp_path: Path) -> None:
    store = SqliteSpanStore(tmp_path / "p.db")
    store.upsert(_spans(random.Random(3), 2000))
    lo, hi = BASE_US + 5 * HOUR_US + 17 * MINUTE_US, BASE_US + 2 * DAY_US + 3 * HOUR_US + 41 * MINUTE_US
    for name in ("search", "lookup"):
        exact = sorted(row[0] for row in _rows(store,
            "SELECT end_us - start_us FROM spans WHERE name = ? AND start_us >= ? AND start_us < ?",
            (name, lo, hi)))
        bins: dict[int, int] = {}
        for width, first, end in segments(lo, hi):
            for (blob,) in _rows(store,
                "SELECT bins FROM rollups WHERE width_us = ? AND bucket_us >= ? AND bucket_us < ? AND name = ?",
                (width, first, end, name)):
                for index, count in decode_bins(blob).items():
                    bins[index] = bins.get(index, 0) + count
        assert sum(bins.values()) == len(exact)
        for q in (0.5, 0.95, 0.99):
            value = exact[math.floor(q * (len(exact) - 1))]
            assert abs(quantile(bins, q) - value) <= ALPHA * value
    store.close()


def test_segments_cover_a_window_exactly_once() -> None:
    lo, hi = BASE_US + 7 * MINUTE_US, BASE_US + 9 * DAY_US + 5 * HOUR_US + 3 * MINUTE_US
    covered = []
    for width, first, end in segments(lo, hi):
        covered += [(b, b + width) for b in range(first, end, width)]
    covered.sort()
    assert covered[0][0] == lo and covered[-1][1] == hi
    assert all(a[1] == b[0] for a, b in itertools.pairwise(covered))
    assert len(segments(lo, hi)) <= 5

