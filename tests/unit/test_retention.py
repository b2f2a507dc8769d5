"""Retention on seeded data of several ages and statuses, on a real SQLite file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracehound.governance.retention import Batching, RetentionWorker, apply_all, apply_policy
from tracehound.model import Span
from tracehound.store.base import NewExample
from tracehound.store.governance import RetentionPolicy
from tracehound.store.review import AnnotationQueue, QueueItem
from tracehound.store.sqlite import SqliteMetaStore, SqliteSpanStore
from tracehound.timefmt import now_us

DAY_US = 86_400 * 1_000_000
AGES = (1, 10, 40, 100)
KINDS = ("ok", "error", "interrupted", "flagged")


def _trace(index: int, project: str, age_days: float, kind: str, now: int) -> list[Span]:
    start = now - int(age_days * DAY_US)
    root_id = f"00000000-0000-4000-8000-{index:012d}"
    root = Span(id=root_id, trace_id=root_id, project=project, name="agent", run_type="chain", start_time=start,
                end_time=start + 2_000_000, status="ok", inputs={"q": f"question {index}"}, outputs={"a": "answer"},
                metadata={"keep": "user complaint"} if kind == "flagged" else {}, total_tokens=10, cost=0.01)
    children = [Span(id=f"00000000-0000-4000-9000-{index:06d}{child:06d}", trace_id=root_id, parent_id=root_id,
                     project=project, name="tool", run_type="tool", start_time=start + 1000 + child,
                     end_time=start + 500_000,
                     status=kind if kind in ("error", "interrupted") and child == 1 else "ok",
                     error="boom" if kind == "error" and child == 1 else None,
                     inputs={"arg": child}, outputs={"result": child}, total_tokens=5)
                for child in range(3)]
    return [root, *children]


class Seeded:
    def __init__(self, tmp_path: Path) -> None:
        path = tmp_path / "tracehound.db"
        self.spans = SqliteSpanStore(path)
        self.meta = SqliteMetaStore(path)
        self.now = now_us()
        self.ids: dict[tuple[int, str, str], str] = {}
        batch: list[Span] = []
        index = 0
        for project in ("support", "billing"):
            for age in AGES:
                for kind in KINDS:
                    index += 1
                    trace = _trace(index, project, age, kind, self.now)
                    self.ids[(age, kind, project)] = trace[0].trace_id
                    batch += trace
        self.spans.upsert(batch)
        # A 100-day-old successful support run promoted into a dataset: never removed.
        dataset = self.meta.datasets.create_dataset("regressions")
        self.promoted = self.ids[(100, "ok", "support")]
        self.meta.datasets.add_examples(dataset.id, [NewExample(inputs={"q": "x"}, source_run_id=self.promoted)])
        # A 40-day-old successful support run waiting in an annotation queue: kept while the item is open.
        self.queued = self.ids[(40, "ok", "support")]
        self.meta.reviews.create_queue(AnnotationQueue(id="q1", name="review", created_us=self.now))
        self.meta.reviews.add_queue_items([QueueItem("q1", self.queued, self.queued, self.now)])

    def alive(self, trace_id: str) -> int:
        return len(self.spans.get_trace(trace_id))

    def close(self) -> None:
        self.spans.close()
        self.meta.close()


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Seeded]:
    data = Seeded(tmp_path)
    yield data
    data.close()


POLICY = RetentionPolicy("support", ok_days=30, failed_days=90, payload_days=7, rollup_days=60)


def test_a_policy_removes_whole_traces_by_age_and_outcome(seeded: Seeded) -> None:
    run = apply_policy(seeded.spans, seeded.meta, POLICY, batching=Batching(traces=2, spans=5, pause_s=0))
    gone = {key for key, trace_id in seeded.ids.items() if key[2] == "support" and seeded.alive(trace_id) == 0}
    assert gone == {(100, "error", "support"), (100, "interrupted", "support"), (100, "flagged", "support")}
    assert seeded.alive(seeded.promoted) == 4  # referenced by a dataset example
    assert seeded.alive(seeded.queued) == 4  # waiting in an annotation queue
    assert all(seeded.alive(t) == 4 for key, t in seeded.ids.items() if key[2] == "billing")  # no policy
    assert (run.traces, run.spans) == (3, 12)
    # survivors are whole: a trace never loses some of its spans
    assert all(seeded.alive(t) in (0, 4) for t in seeded.ids.values())


def test_payloads_go_after_their_days_but_the_spans_and_numbers_stay(seeded: Seeded) -> None:
    apply_policy(seeded.spans, seeded.meta, POLICY, batching=Batching(spans=3, pause_s=0))
    stripped = seeded.spans.get_trace(seeded.ids[(10, "error", "support")])
    assert [(n.span.inputs, n.span.outputs) for n in stripped] == [(None, None)] * 4
    assert stripped[0].span.total_tokens == 10 and stripped[0].span.cost == 0.01
    assert [n.span.error for n in stripped if n.span.error] == ["boom"]
    fresh = seeded.spans.get_trace(seeded.ids[(1, "ok", "support")])
    assert fresh[0].span.inputs is not None and fresh[1].span.inputs == {"arg": 0}
    assert seeded.spans.get_trace(seeded.promoted)[0].span.inputs is not None  # promoted: untouched


def test_rollups_outlive_raw_spans_until_their_own_days(seeded: Seeded) -> None:
    def calls(min_age_days: float) -> int:
        before = seeded.now - int(min_age_days * DAY_US)
        rows = seeded.spans.read_sql("SELECT coalesce(sum(calls), 0) FROM rollups WHERE project = 'support'"
                                     " AND width_us = 60000000 AND bucket_us < ?", [before])
        return int(rows[0][0])

    before_40, before_100 = calls(35), calls(95)
    policy = RetentionPolicy("support", ok_days=30, failed_days=30, rollup_days=60)
    apply_policy(seeded.spans, seeded.meta, policy, batching=Batching(pause_s=0))
    assert seeded.alive(seeded.ids[(40, "error", "support")]) == 0
    assert calls(95) == 0 < before_100  # the 100-day buckets are past rollup_days
    assert calls(35) == before_40 - before_100  # the 40-day traces' spans are gone, their counts stay


def test_a_dry_run_counts_exactly_what_a_real_run_removes(seeded: Seeded) -> None:
    seeded.meta.governance.set_retention(POLICY)
    dry = apply_all(seeded.spans, seeded.meta, dry_run=True)
    assert all(seeded.alive(t) == 4 for t in seeded.ids.values())
    real = apply_all(seeded.spans, seeded.meta, batching=Batching(pause_s=0))
    assert [(r.traces, r.spans, r.payloads, r.rollups) for r in dry] == \
           [(r.traces, r.spans, r.payloads, r.rollups) for r in real]
    recorded = seeded.meta.governance.list_retention_runs(project="support")
    assert [r.dry_run for r in recorded] == [False, True]
    audit = seeded.meta.governance.list_audit(action="retention.run")
    assert audit[0].detail["traces"] == 3 and audit[0].actor == "job:retention"
    again = apply_all(seeded.spans, seeded.meta, batching=Batching(pause_s=0))
    assert [(r.traces, r.payloads) for r in again] == [(0, 0)]


def test_the_worker_applies_policies_by_itself(seeded: Seeded) -> None:
    seeded.meta.governance.set_retention(RetentionPolicy("billing", ok_days=5, failed_days=5))
    worker = RetentionWorker(seeded.spans, seeded.meta, interval_s=0.05, batching=Batching(traces=3, pause_s=0))
    worker.start()
    try:
        deadline = time.monotonic() + 90  # generous: the machine may be busy; the loop ends as soon as it is done
        left = [seeded.ids[(age, kind, "billing")] for age in AGES[1:] for kind in KINDS]
        while time.monotonic() < deadline and any(seeded.alive(t) for t in left):
            time.sleep(0.05)
    finally:
        worker.stop()
    left = {key[:2] for key, t in seeded.ids.items() if key[2] == "billing" and seeded.alive(t)}
    assert left == {(1, kind) for kind in KINDS}
