"""The ingest pipeline: group commit, durable answers, checks against stored parents, backpressure."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from pathlib import Path

import pytest

from tests.spans import new_id, span, tree
from tracehound.errors import InvalidSpan
from tracehound.ingest.pipeline import Backpressure, IngestPipeline
from tracehound.model import Span
from tracehound.settings import Settings
from tracehound.store.sqlite import SqliteMetaStore, SqliteSpanStore


@pytest.fixture
def pipeline(tmp_path: Path, settings: Settings):
    path = tmp_path / "p.db"
    spans, meta = SqliteSpanStore(path), SqliteMetaStore(path)
    pipe = IngestPipeline(spans, meta, settings)
    pipe.start()
    yield pipe
    pipe.stop()
    spans.close()
    meta.close()


def as_spans(dicts: list[dict]) -> list[Span]:
    return [Span(**data) for data in dicts]


def test_concurrent_batches_share_commits_and_all_land(pipeline: IngestPipeline) -> None:
    batches = [as_spans(tree(4, project=f"p{i % 3}")) for i in range(60)]

    async def send_all() -> None:
        await asyncio.gather(*(pipeline.submit(batch) for batch in batches))

    asyncio.run(send_all())
    assert pipeline.spans.count() == 240
    assert pipeline.committed_spans == 240
    assert pipeline.commits < 60, "concurrent submissions should have been grouped"
    assert sorted(p.name for p in pipeline.meta.list_projects()) == ["p0", "p1", "p2"]


def test_submit_returns_only_after_the_spans_are_readable(pipeline: IngestPipeline) -> None:
    batch = as_spans(tree(3))
    pipeline.submit_sync(batch)
    assert len(pipeline.spans.get_trace(batch[0].trace_id)) == 3


def test_a_child_whose_stored_parent_is_in_another_trace_is_rejected(pipeline: IngestPipeline) -> None:
    parent = span()
    pipeline.submit_sync(as_spans([parent]))
    stray = span(new_id(), parent_id=parent["id"])
    with pytest.raises(InvalidSpan, match="parent") as caught:
        pipeline.submit_sync(as_spans([span(), stray]))
    assert caught.value.index == 1
    assert pipeline.spans.count() == 1, "nothing of the rejected batch is stored"


def test_backpressure_when_the_writer_is_too_far_behind(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "b.db"
    small = dataclasses.replace(settings, max_pending_spans=5)
    pipe = IngestPipeline(SqliteSpanStore(path), SqliteMetaStore(path), small)
    pipe.start()
    # Hold the store's write lock: the writer takes the first batch and waits, so it stays pending.
    with pipe.spans._write_lock:
        first = threading.Thread(target=pipe.submit_sync, args=(as_spans(tree(4)),))
        first.start()
        deadline = time.monotonic() + 5
        while pipe.pending_spans == 0 and time.monotonic() < deadline:
            time.sleep(0.001)
        with pytest.raises(Backpressure) as caught:
            pipe.submit_sync(as_spans(tree(4)))
        assert caught.value.status == 503 and caught.value.retry_after_s >= 1
    first.join()
    assert pipe.spans.count() == 4
    pipe.stop()
