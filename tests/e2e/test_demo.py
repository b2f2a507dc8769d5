"""The demo agent, instrumented with the public SDK, lands complete traces in a real server."""

from __future__ import annotations

import threading

import httpx

import tracehound
from tracehound.cli.demo import drive_traffic


def test_demo_traffic_arrives_as_trees_and_sessions(server_url: str) -> None:
    try:
        sent = drive_traffic(server_url, threading.Event(), sessions_per_s=100, max_sessions=3)
    finally:
        tracehound.shutdown()
    assert sent == 3
    with httpx.Client(base_url=server_url) as client:
        session = client.get("/api/v1/sessions/live-session-0").json()
        assert session["turn_count"] >= 1
        assert all(turn["name"] == "support_agent" for turn in session["turns"])
        assert session["total_tokens"] > 0
        trace = client.get(f"/api/v1/traces/{session['turns'][0]['trace_id']}").json()
        kinds = {span["run_type"] for span in trace["spans"]}
        assert {"chain", "llm"} <= kinds and trace["spans"][0]["depth"] == 0
        assert all(span["depth"] == 1 for span in trace["spans"][1:])
        assert "demo-support" in [p["name"] for p in client.get("/api/v1/projects").json()["projects"]]
