"""Metrics API and CLI over seeded spans: per-tool rates and percentiles, time series, runs, tokens."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.spans import new_id
from tracehound.cli import main
from tracehound.model import Span
from tracehound.store.sqlite import SqliteSpanStore
from tracehound.store.sqlite.connection import db_path
from tracehound.store.sqlite.dropped import SqliteDroppedStore
from tracehound.timefmt import now_us

pytestmark = pytest.mark.anyio


def _seed(now: int) -> list[dict[str, object]]:
    spans: list[dict[str, object]] = []
    for turn in range(40):
        start = now - 3_600_000_000 + turn * 60_000_000
        root = new_id()
        status = "interrupted" if turn == 5 else None
        spans.append({"id": root, "trace_id": root, "name": "support_agent", "run_type": "chain",
                      "start_time": start, "end_time": start + 900_000, "session_id": f"s{turn // 4}",
                      **({"status": status} if status else {})})
        for call in range(2):
            spans.append({"id": new_id(), "trace_id": root, "parent_id": root, "name": "search", "run_type": "tool",
                          "start_time": start + 10 + call, "end_time": start + 10 + (turn + 1) * 1000,
                          **({"error": "502"} if turn % 10 == 0 and call == 0 else {})})
        spans.append({"id": new_id(), "trace_id": root, "parent_id": root, "name": "plan", "run_type": "llm",
                      "model": "gpt-4o", "prompt_tokens": 100 + turn, "completion_tokens": 10, "cost": 0.001,
                      "start_time": start + 20, "end_time": start + 5000,
                      "metadata": {"prompt_version": "v1" if turn < 20 else "v2"}})
    return spans


async def test_per_tool_summary_matches_raw_spans(api: httpx.AsyncClient) -> None:
    now = now_us()
    spans = _seed(now)
    assert (await api.post("/api/v1/spans", json={"spans": spans})).status_code == 200
    body = (await api.get("/api/v1/metrics/summary", params={"window": "2h", "run_type": "tool"})).json()
    (search,) = body["groups"]
    assert search["name"] == "search" and search["calls"] == 80 and search["errors"] == 4
    assert search["error_rate"] == pytest.approx(0.05)
    latencies = sorted(s["end_time"] - s["start_time"] for s in spans if s["name"] == "search")
    for key, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        exact = latencies[math.floor(q * (len(latencies) - 1))] / 1000
        assert abs(search[key] - exact) <= 0.01 * exact + 0.001

    series = (await api.get("/api/v1/metrics/timeseries", params={"window": "3h", "bucket": "30m", "root": "true",
                                                                  "group_by": "status"})).json()["points"]
    assert sum(p["calls"] for p in series) == 40
    assert {p["status"] for p in series} == {"ok", "interrupted"}

    runs = (await api.get("/api/v1/metrics/runs", params={"window": "2h"})).json()
    assert runs["runs"] == 40 and runs["steps_per_run"]["max"] == 4
    assert runs["tokens_per_run"]["max"] == 149
    assert runs["interrupt_rate"] == pytest.approx(1 / 40) and runs["resume_rate"] == 1.0
    assert runs["cost_per_task"]["count"] == 10

    tokens = (await api.get("/api/v1/metrics/tokens", params={"by": "prompt_version", "window": "2h"})).json()
    per_version = {g["prompt_version"]: g["tokens_per_call"] for g in tokens["groups"]}
    assert per_version == {"v1": pytest.approx(110 + 9.5), "v2": pytest.approx(110 + 29.5)}

    bad = await api.get("/api/v1/metrics/summary", params={"group_by": "colour"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "group_by"


def test_cli_summary_and_rebuild(tmp_path: Path) -> None:
    store = SqliteSpanStore(db_path(tmp_path))
    store.upsert([Span(**s) for s in _seed(now_us())])
    store.close()
    runner = CliRunner()
    result = runner.invoke(main, ["metrics", "summary", "--data-dir", str(tmp_path), "--run-type", "tool"])
    assert result.exit_code == 0, result.output
    assert "search" in result.output and "80" in result.output
    result = runner.invoke(main, ["metrics", "rebuild", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "160 finished spans" in result.output


async def test_sampled_out_counts_join_calls_errors_and_runs_but_not_latency(api: httpx.AsyncClient) -> None:
    now = now_us()
    spans = _seed(now)
    assert (await api.post("/api/v1/spans", json={"spans": spans})).status_code == 200
    before = (await api.get("/api/v1/metrics/summary", params={"window": "2h", "run_type": "tool"})).json()
    assert before["groups"][0]["sampled_out"] == 0 and before["groups"][0]["latency_from_kept_only"] is False

    minute = (now - 1_800_000_000) // 60_000_000 * 60_000_000
    row = {"minute_us": minute, "project": "default"}
    dropped = [
        {**row, "run_type": "tool", "name": "search", "status": "ok", "spans": 120},
        {**row, "run_type": "tool", "name": "search", "status": "error", "spans": 3},
        {**row, "run_type": "tool", "name": "fetch", "status": "ok", "spans": 7},  # never kept at all
        {**row, "run_type": "chain", "name": "support_agent", "status": "ok", "spans": 60, "traces": 60},
        {**row, "run_type": "chain", "name": "support_agent", "status": "interrupted", "spans": 2, "traces": 2},
        {**row, "run_type": "tool", "name": "search", "status": "ok", "spans": 500, "project": "other"},
        {**row, "run_type": "tool", "name": "search", "status": "ok", "spans": 900,  # outside the window
         "minute_us": minute - 5 * 3_600_000_000},
    ]
    assert (await api.post("/api/v1/sampling/dropped", json={"dropped": dropped})).status_code == 200

    params = {"window": "2h", "run_type": "tool", "project": "default"}
    groups = {g["name"]: g for g in (await api.get("/api/v1/metrics/summary", params=params)).json()["groups"]}
    search, kept = groups["search"], before["groups"][0]
    assert search["calls"] == 80 + 123 and search["sampled_out"] == 123 and search["errors"] == 4 + 3
    assert search["error_rate"] == pytest.approx(7 / 203) and search["latency_from_kept_only"] is True
    for key in ("p50_ms", "p95_ms", "p99_ms", "avg_ms", "total_tokens", "cost"):
        assert search[key] == kept[key], key
    fetch = groups["fetch"]
    assert fetch["calls"] == fetch["sampled_out"] == 7 and fetch["p50_ms"] is None and fetch["avg_ms"] is None

    by_status = (await api.get("/api/v1/metrics/summary", params={
        "window": "2h", "project": "default", "name": "search", "group_by": "status"})).json()["groups"]
    assert {g["status"]: g["calls"] for g in by_status} == {"ok": 76 + 120, "error": 4 + 3}

    # Root spans of a dropped row are its traces: runs per bucket and the runs figures count them.
    series = (await api.get("/api/v1/metrics/timeseries", params={
        "window": "3h", "bucket": "30m", "root": "true", "project": "default", "group_by": "status"})).json()["points"]
    totals: dict[str, int] = {}
    for point in series:
        totals[point["status"]] = totals.get(point["status"], 0) + point["calls"]
    assert totals == {"ok": 39 + 60, "interrupted": 1 + 2}
    non_root = (await api.get("/api/v1/metrics/summary", params={
        "window": "2h", "project": "default", "root": "false", "group_by": "run_type"})).json()["groups"]
    assert {g["run_type"]: g["sampled_out"] for g in non_root} == {"tool": 130, "llm": 0}

    runs = (await api.get("/api/v1/metrics/runs", params={"window": "2h", "project": "default"})).json()
    assert runs["runs"] == 40 + 62 and runs["sampled_out"] == 62 and runs["per_run_from_kept_only"] is True
    assert runs["succeeded"] == 39 + 60 and runs["interrupt_rate"] == pytest.approx(3 / 102)
    assert runs["steps_per_run"]["count"] == 40  # distributions: kept runs only


def test_cli_summary_shows_sampled_out_when_any(tmp_path: Path) -> None:
    now = now_us()
    store = SqliteSpanStore(db_path(tmp_path))
    store.upsert([Span(**s) for s in _seed(now)])
    store.close()
    dropped = SqliteDroppedStore(db_path(tmp_path))
    dropped.add_dropped([{"minute_us": now - 600_000_000, "project": "default", "run_type": "tool",
                          "name": "search", "status": "ok", "spans": 920}])
    dropped.close()
    result = CliRunner().invoke(main, ["metrics", "summary", "--data-dir", str(tmp_path), "--run-type", "tool"])
    assert result.exit_code == 0, result.output
    header, search = result.output.splitlines()[:2]
    assert "SAMPLED_OUT" in header and search.split()[1:3] == ["1000", "920"]
