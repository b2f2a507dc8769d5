"""slow_subtool: names the tool that makes the p99 turns slow; quiet when the slowness is not a tool's."""

from __future__ import annotations

from pathlib import Path

from tests.unit.detector_data import ago, open_store, turn
from tracehound.analytics import detectors


def _turns(store, slow_child: dict | None) -> list:  # type: ignore[no-untyped-def, type-arg]
    spans, slow_traces = [], []
    for i in range(198):
        spans += turn(ago(2) + i * 100_000, [{"run_type": "tool", "name": "lookup_order", "duration_us": 10_000},
                                             {"run_type": "tool", "name": "get_account", "offset_us": 20_000,
                                              "duration_us": 10_000}], latency_us=50_000)
    for i in range(2):
        children = [{"run_type": "tool", "name": "lookup_order", "duration_us": 10_000}, slow_child]
        one = turn(ago(1) + i * 100_000, children, latency_us=2_050_000)
        slow_traces.append(one[0].trace_id)
        spans += one
    store.upsert(spans)
    return slow_traces


def test_fires_on_the_tool_behind_the_slowest_turns(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    slow = _turns(store, {"run_type": "tool", "name": "get_account", "offset_us": 20_000, "duration_us": 2_000_000})
    result = detectors.run("slow_subtool", store, {"window": "3h"})
    (finding,) = result.findings
    assert finding.key == "get_account" and finding.value > 0.9 and finding.details["lift"] > 2
    assert sorted(finding.traces) == sorted(slow)


def test_quiet_when_the_slow_part_is_the_model(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _turns(store, {"run_type": "llm", "name": "answer", "offset_us": 20_000, "duration_us": 2_000_000})
    result = detectors.run("slow_subtool", store, {"window": "3h"})
    assert not result.fired and result.details["slow_turns"] == 2
