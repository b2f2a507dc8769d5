"""``feedback_key``/``feedback_score`` in the filter language select runs by their stored feedback."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.spans import span
from tracehound.errors import QueryError
from tracehound.model import Span
from tracehound.query.runs import RunQuery, list_runs
from tracehound.store.base import Feedback
from tracehound.store.sqlite import SqliteFeedbackStore, SqliteSpanStore


def test_runs_are_filtered_by_feedback(tmp_path: Path) -> None:
    spans = SqliteSpanStore(tmp_path / "t.db")
    feedback = SqliteFeedbackStore(tmp_path / "t.db")
    good, bad, unscored = (Span(**span(name=name)) for name in ("good", "bad", "unscored"))
    spans.upsert([good, bad, unscored])

    def score(run: Span, key: str, value: float) -> Feedback:
        return Feedback(str(uuid.uuid4()), run.id, key, 1, value, source="user")

    feedback.add_feedback([score(good, "correctness", 1.0), score(bad, "correctness", 0.0),
                           score(bad, "thumbs", 1.0), score(good, "thumbs", 0.0)])

    def names(text: str) -> list[str]:
        return sorted(run["name"] for run in list_runs(spans, RunQuery(filter=text)).runs)

    assert names('eq(feedback_key, "correctness")') == ["bad", "good"]
    # Key and score in one and() are the same entry: bad has correctness 0 and thumbs 1, not correctness 1.
    assert names('and(eq(feedback_key, "correctness"), gte(feedback_score, 0.5))') == ["good"]
    assert names('and(eq(feedback_key, "thumbs"), gte(feedback_score, 0.5))') == ["bad"]
    assert names("lt(feedback_score, 0.5)") == ["bad", "good"]
    assert names('not(eq(feedback_key, "correctness"))') == ["unscored"]
    with pytest.raises(QueryError, match="number"):
        list_runs(spans, RunQuery(filter='gt(feedback_score, "high")'))
    spans.close()
    feedback.close()
