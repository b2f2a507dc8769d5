"""Detectors end to end: a real server runs one on demand over HTTP and others on its schedule."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.spans import new_id
from tracehound.analytics.evaluator import wait_until
from tracehound.timefmt import now_us


def _spans() -> list[dict[str, object]]:
    spans: list[dict[str, object]] = []
    start = now_us() - 600_000_000
    for i in range(12):
        root = new_id()
        version, tokens = ("v1", 300) if i < 6 else ("v2", 900)
        spans.append({"id": root, "trace_id": root, "name": "agent", "start_time": start + i * 1000,
                      "end_time": start + i * 1000 + 900})
        spans.append({"id": new_id(), "trace_id": root, "parent_id": root, "name": "search_kb",
                      "run_type": "retriever", "start_time": start + i * 1000 + 10, "end_time": start + i * 1000 + 50,
                      "outputs": {"documents": [] if i == 3 else ["refunds take 5 days"]}})
        spans.append({"id": new_id(), "trace_id": root, "parent_id": root, "name": "answer", "run_type": "llm",
                      "start_time": start + i * 1000 + 100, "end_time": start + i * 1000 + 800,
                      "total_tokens": tokens, "metadata": {"prompt_version": version},
                      "outputs": {"content": "Refunds take 5 days."}})
    return spans


def test_on_demand_and_scheduled_detectors(tmp_path: Path) -> None:
    from tracehound.testing import running_server

    rules = tmp_path / "alerts.toml"
    rules.write_text('[detectors.cost_spike]\nwindow = "1h"\nmin_calls = 5\n')
    env = {"TRACEHOUND_ALERT_RULES_FILE": str(rules), "TRACEHOUND_DETECT_INTERVAL_S": "0.3"}
    with running_server(tmp_path / "data", env=env) as port:
        base = f"http://127.0.0.1:{port}"
        spans = _spans()
        assert httpx.post(f"{base}/api/v1/spans", json={"spans": spans}).status_code == 200
        miss = httpx.post(f"{base}/api/v1/detectors/silent_retrieval_miss/run", json={"window": "1h"}).json()
        assert miss["fired"] and miss["traces"] == [spans[9]["trace_id"]]
        listed = httpx.get(f"{base}/api/v1/detectors").json()
        assert listed["schedule"] == {"interval_s": 0.3, "detectors": {"cost_spike": {"window": "1h", "min_calls": 5}}}

        def scheduled() -> list[dict[str, object]]:
            return httpx.get(f"{base}/api/v1/detectors/results", params={"fired": "true"}).json()["results"]

        assert wait_until(lambda: bool(scheduled()), timeout_s=10)
        result = scheduled()[0]
        assert result["detector"] == "cost_spike" and result["findings"][0]["key"] == "v2"
