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
