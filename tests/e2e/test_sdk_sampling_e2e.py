"""Tail sampling against a real server: kept traces arrive, dropped ones arrive as per-minute counts,
and the metrics count both while measuring latency on the kept ones."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

import tracehound
from tracehound.sdk.sampling import session_fraction


@tracehound.traceable(run_type="tool")
def lookup(order_id: str) -> str:
    if order_id == "bad":
        raise KeyError(order_id)
    return "shipped"


@tracehound.traceable(run_type="agent")
def turn(order_id: str) -> str:
    try:
        return lookup(order_id)
    except KeyError:
        return "unknown order"


def test_dropped_traces_reach_the_server_as_counts(server_url: str) -> None:
    project = f"sampled-{uuid.uuid4().hex[:8]}"
    exporter = tracehound.BatchExporter(server_url, interval_s=0.05)
    tracehound.configure(exporter=exporter, project=project, sampling=tracehound.Sampling(keep_rate=0.5))
    sessions = [f"s-{uuid.uuid4()}" for _ in range(40)]
    try:
        for session_id in sessions:
            with tracehound.session(session_id):
                turn("A1")
        with tracehound.session(sessions[0]):
            turn("bad")  # an error: kept whatever its session's hash says
        assert tracehound.flush(15)
    finally:
        tracehound.shutdown(10)
        tracehound.configure()
    kept_sessions = [s for s in sessions if session_fraction(s) < 0.5]
    assert exporter.sampler is not None and exporter.sampler.dropped_traces == len(sessions) - len(kept_sessions)

    with httpx.Client(base_url=server_url) as client:
        counts = client.get("/api/v1/sampling/dropped", params={"project": project}).json()
        assert counts["traces"] == len(sessions) - len(kept_sessions)
        assert counts["spans"] == 2 * counts["traces"]
        assert {(row["run_type"], row["name"], row["status"]) for row in counts["dropped"]} == {
            ("agent", "turn", "ok"), ("tool", "lookup", "ok")}
        for session_id in (sessions[0], *kept_sessions[:3]):
            session = client.get(f"/api/v1/sessions/{session_id}").json()
            turns = session["turns"] if isinstance(session, dict) and "turns" in session else session
            expected = 1 + (session_id == sessions[0]) if session_id in kept_sessions else 1
            assert len(turns) == expected


@tracehound.traceable(run_type="tool", name="lookup")
def slow_lookup(order_id: str, delay_s: float) -> str:
    time.sleep(delay_s)
    if order_id == "bad":
        raise KeyError(order_id)
    return "shipped"


@tracehound.traceable(run_type="agent", name="turn")
def timed_turn(order_id: str, delay_s: float) -> str:
    try:
        return slow_lookup(order_id, delay_s)
    except KeyError:
        return "unknown order"


def test_metrics_count_dropped_spans_and_measure_latency_on_kept_ones(server_url: str) -> None:
    project = f"metrics-sampled-{uuid.uuid4().hex[:8]}"
    exporter = tracehound.BatchExporter(server_url, interval_s=0.05)
    tracehound.configure(exporter=exporter, project=project, sampling=tracehound.Sampling(keep_rate=0.1))
    sessions = [f"s-{uuid.uuid4()}" for _ in range(200)]
    kept_sessions = {s for s in sessions if session_fraction(s) < 0.1}
    try:
        for session_id in sessions:
            with tracehound.session(session_id):
                # Kept traces are slow and dropped ones instant, so a percentile that mixed them up would show.
                timed_turn("A1", 0.02 if session_id in kept_sessions else 0.0)
        for session_id in sessions[:5]:
            with tracehound.session(session_id):
                timed_turn("bad", 0.02)  # errors: kept whatever the session's hash says
        assert tracehound.flush(15)
    finally:
        tracehound.shutdown(10)
        tracehound.configure()
    produced = len(sessions) + 5  # spans of each name: one turn and one lookup per trace
    dropped = len(sessions) - len(kept_sessions)
    assert 5 <= len(kept_sessions) <= 40 and exporter.sampler is not None
    assert exporter.sampler.dropped_traces == dropped

    with httpx.Client(base_url=server_url) as client:
        body = client.get("/api/v1/metrics/summary", params={"window": "1h", "project": project}).json()
        groups = {g["name"]: g for g in body["groups"]}
        assert set(groups) == {"turn", "lookup"}
        for name in ("turn", "lookup"):
            assert groups[name]["calls"] == produced, name
            assert groups[name]["sampled_out"] == dropped and groups[name]["latency_from_kept_only"] is True
            assert groups[name]["p50_ms"] >= 20 and groups[name]["avg_ms"] >= 20  # kept spans only
        assert groups["lookup"]["errors"] == 5 and groups["lookup"]["error_rate"] == pytest.approx(5 / produced)
        assert groups["turn"]["errors"] == 0

        series = client.get("/api/v1/metrics/timeseries", params={
            "window": "1h", "bucket": "1h", "root": "true", "project": project}).json()["points"]
        assert sum(point["calls"] for point in series) == produced  # runs per hour, dropped runs included
        runs = client.get("/api/v1/metrics/runs", params={"window": "1h", "project": project}).json()
        assert runs["runs"] == produced and runs["sampled_out"] == dropped
        assert runs["steps_per_run"]["count"] == produced - dropped


@pytest.mark.anyio
async def test_bad_counts_are_rejected_with_the_field(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/sampling/dropped", json={"dropped": [{"project": "p"}]})
    assert response.status_code == 422 and response.json()["error"]["field"] == "dropped"
