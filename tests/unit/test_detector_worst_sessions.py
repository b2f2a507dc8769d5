"""worst_sessions: the session with errors, a loop, a slow turn and a thumbs-down is listed; clean sessions are not."""

from __future__ import annotations

from pathlib import Path

from tests.spans import new_id
from tests.unit.detector_data import ago, open_store, turn
from tracehound.analytics import detectors
from tracehound.store.base import Feedback
from tracehound.store.sqlite import SqliteFeedbackStore


def _clean(store, sessions: int = 300) -> None:  # type: ignore[no-untyped-def]
    spans = []
    for s in range(sessions):
        for t in range(2):
            spans += turn(ago(3) + (s * 2 + t) * 10_000, [{"run_type": "tool", "name": "search"}],
                          session=f"clean-{s}")
    store.upsert(spans)


def test_lists_the_worst_session_with_its_traces(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _clean(store)
    looping = turn(ago(1), [{"run_type": "tool", "name": "search", "offset_us": i * 200} for i in range(4)],
                   session="bad")
    failing = turn(ago(1) + 1000, [{"run_type": "tool", "name": "refund", "error": "502 upstream"}],
                   session="bad", latency_us=5_000_000)
    mildly = turn(ago(1) + 2000, [{"run_type": "tool", "name": "refund", "error": "timeout"}], session="meh")
    store.upsert(looping + failing + mildly)
    feedback = SqliteFeedbackStore(store.path)
    feedback.add_feedback([Feedback(id=new_id(), run_id=failing[0].id, trace_id=failing[0].trace_id,
                                    key="user_score", score=0.0, created_us=ago(0.5), source="user")])
    result = detectors.run("worst_sessions", store, {"window": "6h"})
    # 302 sessions × 0.5% → two listed, worst first.
    assert [f.key for f in result.findings] == ["bad", "meh"]
    bad = result.findings[0]
    assert bad.details["loops"] == 1 and bad.details["errors"] == 1 and bad.details["negative_feedback"] == 1
    assert set(bad.traces) == {looping[0].trace_id, failing[0].trace_id}
    assert result.details["feedback_used"]


def test_quiet_when_every_session_is_clean(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _clean(store)
    result = detectors.run("worst_sessions", store, {"window": "6h"})
    assert not result.fired and result.scanned == 300
