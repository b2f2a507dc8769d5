"""The demo's week against a real server: every injected incident is found by its alert rule (backtested
over its window) or its detector, the live order-API outage fires its alert and triages to one error,
and nothing fires over the healthy baseline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import tracehound
from tracehound.analytics.evaluator import wait_until
from tracehound.demo import timeline
from tracehound.demo.traffic import HOUR_US, Traffic
from tracehound.testing import running_server
from tracehound.timefmt import iso

RULES = Path(timeline.__file__).with_name("rules.toml")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Traffic, Any]]:
    env = {"TRACEHOUND_ALERT_RULES_FILE": str(RULES), "TRACEHOUND_ALERT_INTERVAL_S": "0.5"}
    with running_server(tmp_path_factory.mktemp("demo"), env=env) as port:
        traffic = Traffic(f"http://127.0.0.1:{port}")
        traffic.configure_sdk()
        try:
            report = traffic.backfill()
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                yield client, traffic, report
        finally:
            tracehound.shutdown()


def _at(report: Any, hours_ago: float) -> str:
    return iso(report.end_us - int(hours_ago * HOUR_US))


def _episodes(client: httpx.Client, report: Any, start_h: float, end_h: float, step: str = "5m") -> set[tuple]:
    body = {"start": _at(report, start_h), "end": _at(report, end_h), "step": step}
    episodes = client.post("/api/v1/alerts/backtest", json=body).json()["episodes"]
    return {(e["rule_id"], e["key"]) for e in episodes}


def _detect(client: httpx.Client, name: str, report: Any, start_h: float, end_h: float, **params: Any) -> dict:
    body = {"start": _at(report, start_h), "end": _at(report, end_h), "project": "demo-support", **params}
    return client.post(f"/api/v1/detectors/{name}/run", json=body).json()


def test_nothing_fires_on_the_healthy_baseline(demo) -> None:  # type: ignore[no-untyped-def]
    client, _, report = demo
    start, end = timeline.BACKFILL_H - 1, timeline.BASELINE_END_H
    assert _episodes(client, report, start, end, step="30m") == set()
    for name in ("tool_drift", "silent_retrieval_miss", "prompt_injection_leak", "slow_subtool", "cost_spike",
                 "worst_sessions", "contradiction"):
        result = _detect(client, name, report, start, end)
        assert not result["fired"], (name, result["summary"], result["findings"][:2])


def test_each_backfilled_incident_is_found(demo) -> None:  # type: ignore[no-untyped-def]
    client, _, report = demo
    incidents = timeline.BY_NAME
    slow = incidents["slow_history"]
    assert ("tool-latency", "fetch_account_history") in _episodes(client, report, slow.start_h, slow.end_h - 0.2)
    slow_tool = _detect(client, "slow_subtool", report, slow.start_h + 1, slow.end_h - 1)
    assert [f["key"] for f in slow_tool["findings"]] == ["fetch_account_history"]

    loop = incidents["retry_loop"]
    assert ("tool-loops", "get_account") in _episodes(client, report, loop.start_h, loop.end_h - 0.2)
    guarded = client.post("/api/v1/runs/query", json={
        "filter": 'and(eq(name, "get_account"), eq(status, "error"))', "limit": 1}).json()["runs"]
    assert guarded and "LoopDetected" in guarded[0]["error"]

    kb = incidents["kb_empty"]
    assert ("empty-retrievals", "search_kb") in _episodes(client, report, kb.start_h, kb.end_h - 0.2)
    miss = _detect(client, "silent_retrieval_miss", report, kb.start_h + 0.1, kb.end_h - 0.1)
    assert [f["key"] for f in miss["findings"]] == ["search_kb"]

    v117 = incidents["prompt_v117"]
    spike = _detect(client, "cost_spike", report, v117.start_h + 10, v117.end_h - 1)
    assert [f["key"] for f in spike["findings"]] == ["v117"] and spike["findings"][0]["value"] > 1.5

    swap = incidents["model_swap"]
    drift = _detect(client, "tool_drift", report, swap.start_h + 20, 1.0, split=_at(report, swap.start_h))
    assert drift["findings"][0]["key"] == "fetch_account_history" and drift["findings"][0]["value"] < 0

    injection = _detect(client, "prompt_injection_leak", report, 31, 29)
    assert [f["key"] for f in injection["findings"]] == [report.scripted["injection"]]
    assert injection["findings"][0]["details"]["tools"] == ["issue_refund"]

    contradiction = _detect(client, "contradiction", report, timeline.BACKFILL_H, 0)
    assert [f["key"] for f in contradiction["findings"]] == [report.scripted["contradiction"]]
    worst = _detect(client, "worst_sessions", report, 20.5, 19.5)
    assert report.scripted["contradiction"] in [f["key"] for f in worst["findings"]]


def test_the_live_outage_fires_and_triages_to_one_error(demo) -> None:  # type: ignore[no-untyped-def]
    client, _, report = demo

    def firing() -> bool:
        alerts = client.get("/api/v1/alerts").json()["alerts"]
        return any(a["rule_id"] == "tool-errors" and a["key"] == "lookup_order" and a["state"] == "firing"
                   for a in alerts)

    assert wait_until(firing, timeout_s=15)
    triage = client.get("/api/v1/triage", params={"tool": "lookup_order", "since": "1h"}).json()
    assert len(triage["groups"]) == 1 and "JSONDecodeError" in triage["groups"][0]["error"]
    assert triage["users"] >= 20
    started = report.end_us - int(timeline.ORDER_OUTAGE_H * HOUR_US)
    assert abs(_us(triage["first_failure"]) - started) < 120_000_000  # the minute it started
    assert report.ticket_session is not None


def _us(text: str) -> int:
    from tracehound.timefmt import parse_iso_us

    return parse_iso_us(text)
