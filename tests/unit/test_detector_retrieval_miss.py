"""silent_retrieval_miss: an empty retrieval followed by a confident answer fires; an honest 'I don't know' does not."""

from __future__ import annotations

from pathlib import Path

from tests.unit.detector_data import ago, open_store, turn
from tracehound.analytics import detectors


def _rag(start: int, documents: list[str], answer: str) -> list:  # type: ignore[type-arg]
    return turn(start, [
        {"run_type": "retriever", "name": "search_kb", "offset_us": 10, "outputs": {"documents": documents}},
        {"run_type": "llm", "name": "answer", "offset_us": 200, "outputs": {"content": answer}},
    ])


def test_fires_on_an_answer_after_an_empty_retrieval(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    silent = _rag(ago(1), [], "Your warranty lasts 5 years.")
    store.upsert(silent + _rag(ago(1) + 1000, ["warranty: 2 years"], "Your warranty lasts 2 years."))
    result = detectors.run("silent_retrieval_miss", store, {"window": "2h"})
    (finding,) = result.findings
    assert finding.key == "search_kb" and finding.traces == [silent[0].trace_id]


def test_quiet_when_the_model_abstains_or_documents_came_back(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.upsert(_rag(ago(1), [], "I don't know; I could not find that in our help center.")
                 + _rag(ago(1) + 1000, ["warranty: 2 years"], "Your warranty lasts 2 years."))
    result = detectors.run("silent_retrieval_miss", store, {"window": "2h"})
    assert not result.fired and result.scanned == 1
