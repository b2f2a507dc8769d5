"""The behaviour every meta store's ``online`` and ``reviews`` parts must have (online rules, deploys,
pools, annotation queues, annotations, presigned feedback tokens)."""

from __future__ import annotations

import pytest

from tracehound.errors import Conflict, NotFound
from tracehound.store.base import MetaStore
from tracehound.store.review import (
    Annotation,
    AnnotationQueue,
    DeployMarker,
    FeedbackToken,
    Pool,
    PoolMember,
    QueueItem,
)


def test_online_rules_are_put_replaced_and_deleted(meta_store: MetaStore) -> None:
    online = meta_store.online
    online.put_online_rule("b", {"id": "b", "sample_rate": 0.1}, 1)
    online.put_online_rule("a", {"id": "a", "sample_rate": 0.2}, 2)
    online.put_online_rule("b", {"id": "b", "sample_rate": 0.5}, 3)
    assert online.online_rules() == [{"id": "a", "sample_rate": 0.2}, {"id": "b", "sample_rate": 0.5}]
    assert online.delete_online_rule("a") and not online.delete_online_rule("a")
    assert [r["id"] for r in online.online_rules()] == ["b"]


def test_deploys_are_listed_newest_first_within_a_window(meta_store: MetaStore) -> None:
    online = meta_store.online
    for at, version, project in ((10, "v1", "p"), (20, "v2", "p"), (30, "v3", "q"), (40, "v4", "p")):
        online.add_deploy(DeployMarker(version, project, version, at, metadata={"n": at}))
    assert [d.version for d in online.list_deploys(project="p")] == ["v4", "v2", "v1"]
    assert [d.version for d in online.list_deploys(project="p", start_us=15, end_us=40)] == ["v2"]
    assert [d.version for d in online.list_deploys(end_us=40, limit=1)] == ["v3"]
    assert online.list_deploys(project="p")[0].metadata == {"n": 40}


def test_pools_keep_each_run_once_and_list_members_by_run_time(meta_store: MetaStore) -> None:
    reviews = meta_store.reviews
    pool = Pool("p1", "failures", "support", "failure", 1, reasons=["tool_error"], queue_id="q1")
    reviews.put_pool(pool)
    assert reviews.get_pool("failures") == pool == reviews.get_pool("p1")
    with pytest.raises(Conflict):
        reviews.put_pool(Pool("p2", "failures", "support", "drift", 2))
    first = [PoolMember("p1", f"r{i}", f"t{i}", 100, 1000 + i, "tool_error", stats={"tools": {"x": i}})
             for i in range(5)]
    assert reviews.add_pool_members(first) == 5
    assert reviews.add_pool_members([PoolMember("p1", "r0", "t0", 200, 1000, "error"), *first[:2]]) == 0
    assert reviews.count_pool_members("p1") == 5
    members = reviews.list_pool_members("p1", start_us=1001, end_us=1004)
    assert [m.run_id for m in members] == ["r3", "r2", "r1"]
    assert members[0].stats == {"tools": {"x": 3}} and members[0].reason == "tool_error"
    assert [p.name for p in reviews.list_pools("support")] == ["failures"] and reviews.list_pools("other") == []
    assert reviews.delete_pool("p1") and reviews.count_pool_members("p1") == 0 and reviews.get_pool("p1") is None


def _queue(meta_store: MetaStore, reviewers: int = 1) -> AnnotationQueue:
    return meta_store.reviews.create_queue(AnnotationQueue(
        "q1", "triage", 1, project="support", reviewers_per_item=reviewers,
        rubric=[{"key": "correct", "values": ["pass", "fail"]}]))


def test_queues_are_created_once_counted_and_updated(meta_store: MetaStore) -> None:
    reviews = meta_store.reviews
    _queue(meta_store)
    with pytest.raises(Conflict):
        reviews.create_queue(AnnotationQueue("q2", "triage", 2))
    assert reviews.add_queue_items([QueueItem("q1", "r1", "t1", 5), QueueItem("q1", "r2", "t2", 6),
                                    QueueItem("q1", "r1", "t1", 7)]) == 2
    queue = reviews.get_queue("triage")
    assert queue is not None and (queue.item_count, queue.completed_count) == (2, 0)
    assert queue.rubric == [{"key": "correct", "values": ["pass", "fail"]}]
    updated = reviews.update_queue("q1", description="look here", reviewers_per_item=2)
    assert (updated.description, updated.reviewers_per_item, updated.name) == ("look here", 2, "triage")
    assert reviews.get_queue("q1").reviewers_per_item == 2  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        reviews.update_queue("nope", description="x")
    assert [q.name for q in reviews.list_queues()] == ["triage"]
    assert reviews.remove_queue_item("q1", "r2") and not reviews.remove_queue_item("q1", "r2")
    assert reviews.delete_queue("q1") and reviews.get_queue("q1") is None


def test_claims_never_collide_and_expire(meta_store: MetaStore) -> None:
    reviews = meta_store.reviews
    _queue(meta_store)
    reviews.add_queue_items([QueueItem("q1", f"r{i}", f"t{i}", i) for i in range(3)])
    ana = reviews.claim_next("q1", "ana", now_us=100, lease_us=50)
    bob = reviews.claim_next("q1", "bob", now_us=120, lease_us=50)
    assert ana is not None and bob is not None and ana.run_id == "r0" and bob.run_id == "r1"
    assert reviews.claim_next("q1", "ana", now_us=110, lease_us=50).run_id == "r0"  # type: ignore[union-attr]
    # ana's lease ran out (bob's has not): her item is free for someone else
    assert reviews.claim_next("q1", "cy", now_us=160, lease_us=50).run_id == "r0"  # type: ignore[union-attr]
    assert reviews.claim_next("q1", "bob", now_us=161, lease_us=50, skip=["r1"]).run_id == "r2"  # type: ignore[union-attr]
    reviews.release_claim("q1", "r2", "bob")
    assert reviews.list_queue_items("q1")[2].claimed_by is None
    assert reviews.list_queue_items("q1")[1].claimed_by is None  # skipping released bob's claim on r1


def test_an_item_completes_once_enough_reviewers_annotated_it(meta_store: MetaStore) -> None:
    reviews = meta_store.reviews
    _queue(meta_store, reviewers=2)
    reviews.add_queue_items([QueueItem("q1", "r1", "t1", 1), QueueItem("q1", "r2", "t2", 2)])
    reviews.claim_next("q1", "ana", now_us=10, lease_us=100)
    item = reviews.add_annotation(Annotation("a1", "q1", "r1", "ana", 11, {"correct": "pass"}), 11)
    assert (item.status, item.reviews, item.claimed_by) == ("pending", 1, None)
    again = reviews.add_annotation(Annotation("a2", "q1", "r1", "ana", 12, {"correct": "fail"}), 12)
    assert again.reviews == 1  # the same reviewer replaces their annotation
    assert reviews.claim_next("q1", "ana", now_us=13, lease_us=100).run_id == "r2"  # type: ignore[union-attr]
    assert reviews.claim_next("q1", "bob", now_us=13, lease_us=100).run_id == "r1"  # type: ignore[union-attr]
    done = reviews.add_annotation(Annotation("a3", "q1", "r1", "bob", 14, {"correct": "fail"}, {"answer": "5 days"},
                                             "wrong window", promote=True, example_id="e1"), 14)
    assert (done.status, done.reviews) == ("completed", 2)
    assert [i.run_id for i in reviews.list_queue_items("q1", status="completed")] == ["r1"]
    assert [i.run_id for i in reviews.list_queue_items("q1", status="pending", reviewer="bob")] == ["r2"]
    notes = reviews.list_annotations(queue_id="q1", run_id="r1")
    assert [(a.reviewer, a.labels["correct"]) for a in notes] == [("ana", "fail"), ("bob", "fail")]
    assert notes[1].reference_output == {"answer": "5 days"} and notes[1].promote and notes[1].example_id == "e1"
    with pytest.raises(NotFound):
        reviews.add_annotation(Annotation("a4", "q1", "missing", "ana", 15), 15)


def test_feedback_tokens_round_trip(meta_store: MetaStore) -> None:
    token = FeedbackToken("tok", "r1", "thumbs", 1000, 1, "fb1", {"type": "continuous"})
    meta_store.reviews.put_feedback_token(token)
    assert meta_store.reviews.get_feedback_token("tok") == token
    assert meta_store.reviews.get_feedback_token("other") is None
