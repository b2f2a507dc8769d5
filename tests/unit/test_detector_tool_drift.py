"""tool_drift: fires when the tool mix changes after a split (a model swap), stays quiet when it does not."""

from __future__ import annotations

from pathlib import Path

from tests.unit.detector_data import ago, open_store, turn
from tracehound.analytics import detectors
from tracehound.model import Span


def _seed(store, before: dict[str, int], after: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    spans: list[Span] = []
    for hours_ago, mix in ((6, before), (2, after)):
        i = 0
        for name, count in mix.items():
            for _ in range(count):
                spans += turn(ago(hours_ago) + i * 1000, [{"run_type": "tool", "name": name}])
                i += 1
    store.upsert(spans)


def test_fires_on_the_tools_whose_share_moved(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _seed(store, {"search": 100, "lookup_order": 100, "refund": 20}, {"search": 180, "lookup_order": 20, "refund": 20})
    result = detectors.run("tool_drift", store, {"window": "8h", "split": "-4h"})
    assert result.fired
    assert {f.key for f in result.findings} == {"search", "lookup_order"}  # refund's share barely moved
    search = next(f for f in result.findings if f.key == "search")
    assert search.value > 0.3 and search.details["calls_after"] == 180
    assert len(search.traces) == 20 and store.get_span(search.traces[0]).name == "agent"
    assert result.details["p_value"] < 1e-10


def test_quiet_when_the_mix_is_the_same(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _seed(store, {"search": 100, "lookup_order": 100, "refund": 20}, {"search": 104, "lookup_order": 95, "refund": 22})
    result = detectors.run("tool_drift", store, {"window": "8h", "split": "-4h"})
    assert not result.fired and result.details["p_value"] > 0.1


def test_quiet_without_enough_calls(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _seed(store, {"search": 5}, {"lookup_order": 5})
    result = detectors.run("tool_drift", store, {"window": "8h", "split": "-4h"})
    assert not result.fired and "not enough" in result.summary
