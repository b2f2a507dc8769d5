"""contradiction: "suspended" then "active" about one account in one session fires; consistent sessions do not."""

from __future__ import annotations

from pathlib import Path

from tests.unit.detector_data import ago, open_store, turn
from tracehound.analytics import detectors
from tracehound.analytics.detectors.contradiction import _statements


def _session(store, session: str, answers: list[str], start_h: float = 2) -> list[str]:  # type: ignore[no-untyped-def]
    traces = []
    for index, answer in enumerate(answers):
        spans = turn(ago(start_h) + index * 60_000_000, [], session=session, outputs={"output": answer})
        store.upsert(spans)
        traces.append(spans[0].trace_id)
    return traces


def test_fires_on_two_states_of_one_account_across_turns(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    for n in range(20):
        _session(store, f"ok-{n}", ["Your account is active.", "Order A-12 has shipped.", "Your account is active."])
    traces = _session(store, "bad", ["Your account is suspended.", "Returns take 30 days.",
                                     "Your account is active."])
    result = detectors.run("contradiction", store, {"window": "6h"})
    assert [f.key for f in result.findings] == ["bad"]
    finding = result.findings[0]
    assert finding.traces == [traces[0], traces[2]]
    assert finding.details == {"entity": "account", "first": "suspended", "then": "active"}


def test_quiet_when_states_agree_or_concern_different_entities(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _session(store, "s1", ["Order A-12 has shipped.", "Order A-99 is processing."])
    _session(store, "s2", ["Your account is active.", "Your account is still active."])
    _session(store, "s3", ["Your refund is approved. Your account is active."])  # one turn: not cross-turn
    result = detectors.run("contradiction", store, {"window": "6h"})
    assert not result.fired and result.scanned == 5


def test_statements_parse_entity_and_state() -> None:
    groups = [["active", "suspended"], ["shipped", "processing"]]
    assert _statements("Order A-12 has shipped, arriving in 2 days.", groups) == [("order a-12", 1, "shipped")]
    assert _statements("Your account is suspended.", groups) == [("account", 0, "suspended")]
