"""Tail sampling against a real server: kept traces arrive, dropped ones arrive as per-minute counts."""

from __future__ import annotations

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


@pytest.mark.anyio
async def test_bad_counts_are_rejected_with_the_field(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/sampling/dropped", json={"dropped": [{"project": "p"}]})
    assert response.status_code == 422 and response.json()["error"]["field"] == "dropped"
