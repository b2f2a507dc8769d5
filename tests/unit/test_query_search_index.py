"""The catch-up full-text indexer: complete before a search, re-indexes updates, forgets deletes."""

from __future__ import annotations

import uuid
from pathlib import Path

from tracehound.model import Span
from tracehound.query.runs import RunQuery, list_runs
from tracehound.store.sqlite import SqliteSpanStore


def _span(text: str, **extra: object) -> Span:
    span_id = str(uuid.uuid4())
    return Span(id=span_id, trace_id=span_id, name="step", start_time=1_000_000, inputs={"text": text},
                **extra)  # type: ignore[arg-type]


def _matches(store: SqliteSpanStore, words: str) -> set[str]:
    return {run["id"] for run in list_runs(store, RunQuery(filter=f'search("{words}")', select=["id"])).runs}


def test_ingest_leaves_indexing_to_the_catch_up(tmp_path: Path) -> None:
    store = SqliteSpanStore(tmp_path / "s.db")
    store.search_index.chunk_rows = 3  # several chunks, so the high-water mark is exercised
    spans = [_span(f"parcel {index}") for index in range(10)]
    store.upsert(spans)
    assert store.search_index.pending() == 10
    assert _matches(store, "parcel") == {span.id for span in spans}
    assert store.search_index.pending() == 0
    store.close()


def test_updates_are_reindexed_and_deletes_forgotten(tmp_path: Path) -> None:
    store = SqliteSpanStore(tmp_path / "s.db")
    running = _span("where is my parcel")
    store.upsert([running])
    assert _matches(store, "parcel") == {running.id}
    finished = Span(id=running.id, trace_id=running.id, name="step", start_time=1_000_000, end_time=2_000_000,
                    outputs={"answer": "delivered today"}, inputs={"text": "where is my box"})
    store.upsert([finished])
    assert store.search_index.pending() == 1
    assert _matches(store, "delivered") == {running.id}
    assert _matches(store, "box") == {running.id}
    assert _matches(store, "parcel") == set()  # the old text was retracted
    with store.write_transaction() as conn:
        conn.execute("DELETE FROM spans WHERE id = ?", (running.id,))
    assert _matches(store, "delivered") == set()
    (rows,) = store.read_sql("SELECT count(*) FROM spans_fts WHERE spans_fts MATCH 'delivered'", ())[0]
    assert rows == 0
    store.close()


def test_background_indexing_and_compaction(tmp_path: Path) -> None:
    store = SqliteSpanStore(tmp_path / "s.db")
    index = store.search_index
    index.chunk_rows = 50
    for batch in range(5):
        store.upsert([_span(f"crate {batch} {index_}") for index_ in range(40)])
    index.start(interval_s=0.01)
    import time

    deadline = time.monotonic() + 10
    while index.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert index.pending() == 0
    index.stop()
    while index.compact(max_steps=10):
        pass
    assert index.compact(max_steps=1) is False
    assert len(_matches(store, "crate")) == 50  # the first page
    assert index.is_common('"crate"') is False
    store.close()
