"""cost_spike: flags the prompt_version whose tokens per call jumped; quiet when versions cost the same."""

from __future__ import annotations

from pathlib import Path

from tests.unit.detector_data import ago, open_store, turn
from tracehound.analytics import detectors


def _calls(store, tokens: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    spans = []
    for v, (version, per_call) in enumerate(tokens.items()):
        for i in range(30):
            spans += turn(ago(5 - v) + i * 1000, [{"run_type": "llm", "name": "answer", "model": "gpt-4o",
                                                   "prompt_tokens": per_call + i, "completion_tokens": 50,
                                                   "total_tokens": per_call + i + 50,
                                                   "metadata": {"prompt_version": version}}])
    store.upsert(spans)


def test_fires_on_the_version_that_jumped(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _calls(store, {"v1": 500, "v2": 520, "v3": 1600})
    result = detectors.run("cost_spike", store, {"window": "6h"})
    (finding,) = result.findings
    assert finding.key == "v3" and finding.value > 2.5 and finding.details["previous"]["version"] == "v2"
    assert len(finding.traces) == 20
    assert [v["version"] for v in result.details["versions"]] == ["v1", "v2", "v3"]


def test_quiet_when_versions_cost_the_same(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _calls(store, {"v1": 500, "v2": 520, "v3": 600})
    assert not detectors.run("cost_spike", store, {"window": "6h"}).fired
