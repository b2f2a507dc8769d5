"""The behaviour every FeedbackStore must have: replace by id, list newest first, delete."""

from __future__ import annotations

import uuid

from tracehound.store.base import Feedback, FeedbackStore


def fb(run_id: str, key: str, created_us: int, **extra: object) -> Feedback:
    return Feedback(str(uuid.uuid4()), run_id, key, created_us, **extra)  # type: ignore[arg-type]


def test_feedback_is_listed_newest_first_and_narrowed(feedback_store: FeedbackStore) -> None:
    run_a, run_b = str(uuid.uuid4()), str(uuid.uuid4())
    items = [fb(run_a, "correctness", 1, score=0.2, source="evaluator", source_info={"evaluator": "exact"}),
             fb(run_a, "thumbs", 2, value="down", comment="wrong refund", source="user"),
             fb(run_b, "correctness", 3, score=1.0, source="evaluator", trace_id=str(uuid.uuid4()))]
    feedback_store.add_feedback(items)
    assert [f.created_us for f in feedback_store.list_feedback()] == [3, 2, 1]
    assert [f.key for f in feedback_store.list_feedback(run_ids=[run_a])] == ["thumbs", "correctness"]
    assert [f.run_id for f in feedback_store.list_feedback(key="correctness", source="evaluator")] == [run_b, run_a]
    assert feedback_store.list_feedback(run_ids=[]) == []
    assert feedback_store.list_feedback(limit=1)[0] == items[2]
    assert feedback_store.get_feedback(items[1].id) == items[1]
    assert feedback_store.get_feedback(items[0].id).source_info == {"evaluator": "exact"}


def test_the_same_id_replaces_and_delete_forgets(feedback_store: FeedbackStore) -> None:
    run_a, run_b = str(uuid.uuid4()), str(uuid.uuid4())
    first = fb(run_a, "correctness", 1, score=0.0)
    feedback_store.add_feedback([first])
    corrected = Feedback(first.id, run_b, "correctness", 2, score=1.0, source="human")
    feedback_store.add_feedback([corrected])
    assert feedback_store.list_feedback() == [corrected]
    assert feedback_store.list_feedback(run_ids=[run_a]) == []
    assert feedback_store.delete_feedback(first.id) and not feedback_store.delete_feedback(first.id)
    assert feedback_store.list_feedback() == [] and feedback_store.get_feedback(first.id) is None
    assert not feedback_store.delete_feedback(str(uuid.uuid4()))


def test_verdicts_are_placed_at_the_run_start_and_passed_is_read(feedback_store: FeedbackStore) -> None:
    run = str(uuid.uuid4())
    feedback_store.add_feedback([
        fb(run, "helpful", 500, score=0.9, source="online:judge", source_info={"run_start_us": 100}),
        fb(run, "helpful", 600, score=0.9, value={"passed": False}, source="online:judge",
           source_info={"run_start_us": 200}),
        fb(run, "grounded", 300, score=0.2, source="online:judge"),
        fb(run, "helpful", 150, score=0.0, source="user"),
    ])
    verdicts = feedback_store.verdicts("online:judge", 0, 1000)
    assert [(v.at_us, v.key, v.passed) for v in verdicts] == [(100, "helpful", True), (200, "helpful", False),
                                                              (300, "grounded", False)]
    assert [v.at_us for v in feedback_store.verdicts("online:judge", 150, 1000, key="helpful")] == [200]
