"""The query API, the incident look-ups and their CLI commands, over the in-process app and a real store."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import msgspec
import pytest
from click.testing import CliRunner

from tests.unit.query_data import BY_ID, known_spans, sid
from tracehound.cli import main
from tracehound.settings import Settings
from tracehound.timefmt import now_us, parse_iso_us

pytestmark = pytest.mark.anyio


async def _ingest(api: httpx.AsyncClient, spans: list[Any]) -> None:
    body = [msgspec.to_builtins(span) if not isinstance(span, dict) else span for span in spans]
    response = await api.post("/api/v1/spans", json={"spans": body})
    assert response.status_code == 200, response.text


async def test_query_runs_with_filters_select_and_pages(api: httpx.AsyncClient) -> None:
    await _ingest(api, known_spans())
    response = await api.post("/api/v1/runs/query", json={"filter": 'and(eq(run_type, "tool"), gt(latency, 5))'})
    assert response.status_code == 200
    assert [BY_ID[run["id"]] for run in response.json()["runs"]] == ["a_tool"]
    assert "inputs" not in response.json()["runs"][0]

    body = {"project": "p1", "trace_filter": 'eq(user_id, "u1")', "select": ["id", "inputs"], "limit": 2}
    first = (await api.post("/api/v1/runs/query", json=body)).json()
    second = (await api.post("/api/v1/runs/query", json={**body, "cursor": first["cursor"]})).json()
    assert second["cursor"] is None
    ids = [run["id"] for run in first["runs"] + second["runs"]]
    assert sorted(BY_ID[i] for i in ids) == ["a_llm", "a_root", "a_tool"]
    assert {"q": "I want a refund"} in [run["inputs"] for run in first["runs"] + second["runs"]]


async def test_syntax_error_is_400_with_position_and_expectation(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/runs/query", json={"filter": 'and(eq(run_type, "tool") gt(latency, 5))'})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "filter_syntax" and error["field"] == "filter"
    assert "at position 25: expected ',' or ')', found 'gt(latency, '" in error["message"]

    response = await api.post("/api/v1/runs/query", json={"tree_filter": 'gt(feedback_score, "high")'})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "tree_filter"
    assert "takes a number" in response.json()["error"]["message"]

    response = await api.post("/api/v1/runs/query", json={"limt": 5})
    assert response.status_code == 400 and "limt" in response.json()["error"]["message"]
    response = await api.post("/api/v1/runs/query", json={"limit": 100_000})
    assert response.status_code == 400 and response.json()["error"]["field"] == "limit"


async def test_search_endpoint_sees_spans_committed_just_before(api: httpx.AsyncClient) -> None:
    await _ingest(api, known_spans())
    response = await api.get("/api/v1/search", params={"q": "refund"})
    assert {BY_ID[run["id"]] for run in response.json()["runs"]} == {"a_root", "b_tool"}
    # An update of an already indexed span (its end arrives with outputs) is re-indexed.
    late = {"id": sid("a_root"), "trace_id": sid("a_root"), "name": "support_agent", "project": "p1",
            "start_time": parse_iso_us("2026-04-16T10:00:00"), "outputs": {"answer": "escalated to a manager"}}
    await _ingest(api, [late])
    response = await api.get("/api/v1/search", params={"q": "escalated"})
    assert [BY_ID[run["id"]] for run in response.json()["runs"]] == ["a_root"]
    response = await api.get("/api/v1/search", params={"q": "refund want"})
    assert [BY_ID[run["id"]] for run in response.json()["runs"]] == ["a_root"]
    assert (await api.get("/api/v1/search", params={"q": "OR NEAR( \""})).json()["runs"] == []


async def test_lookup_from_a_support_ticket(api: httpx.AsyncClient) -> None:
    await _ingest(api, known_spans())
    by_correlation = (await api.get("/api/v1/lookup", params={"correlation_id": "req-111"})).json()
    assert [t["trace_id"] for t in by_correlation["traces"]] == [sid("a_root")]
    trace = by_correlation["traces"][0]
    assert trace["span_count"] == 3 and trace["error_count"] == 1 and trace["user_id"] == "u1"
    assert (await api.get("/api/v1/lookup", params={"correlation_id": "req-111", "key": "session_id"})
            ).json()["trace_count"] == 0
    by_run = (await api.get("/api/v1/lookup", params={"run_id": sid("b_tool").upper()})).json()
    assert [t["trace_id"] for t in by_run["traces"]] == [sid("b_root")]
    by_user = (await api.get("/api/v1/lookup", params={"user_id": "u2"})).json()
    assert by_user["traces"][0]["matched_spans"] == 2
    by_session = (await api.get("/api/v1/lookup", params={"session_id": "s1"})).json()
    assert by_session["trace_count"] == 1
    response = await api.get("/api/v1/lookup")
    assert response.status_code == 400


def _failure(tool: str, at_us: int, user: str, session: str, error: str) -> list[dict[str, Any]]:
    root = str(uuid.uuid4())
    return [
        {"id": root, "trace_id": root, "name": "agent", "project": "shop", "start_time": at_us,
         "end_time": at_us + 2_000_000, "user_id": user, "session_id": session},
        {"id": str(uuid.uuid4()), "trace_id": root, "parent_id": root, "name": tool, "run_type": "tool",
         "project": "shop", "start_time": at_us + 1000, "end_time": at_us + 500_000, "user_id": user,
         "session_id": session, "error": error},
    ]


async def test_triage_on_a_seeded_incident(api: httpx.AsyncClient, settings: Settings) -> None:
    now = now_us()
    minute = 60_000_000
    spans: list[dict[str, Any]] = []
    # The incident: charge_card starts failing 40 minutes ago with a 502 for many users...
    for index in range(12):
        spans += _failure("charge_card", now - 40 * minute + index * minute, f"user-{index % 6}",
                          f"sess-{index % 8}", "HTTPError: payment gateway returned 502\nTraceback ...")
    # ...plus one user hitting a validation error twice in one session.
    for index in range(2):
        spans += _failure("charge_card", now - 10 * minute + index * minute, "user-vip", "sess-vip",
                          "ValueError: card number invalid")
    # Noise: an old failure outside the window, and another tool failing inside it.
    spans += _failure("charge_card", now - 3 * 60 * minute, "user-old", "sess-old", "TimeoutError")
    spans += _failure("send_email", now - 5 * minute, "user-x", "sess-x", "SMTPError")
    await _ingest(api, spans)

    report = (await api.get("/api/v1/triage", params={"tool": "charge_card", "since": "1h", "last": 5})).json()
    assert report["failures"] == 14 and report["users"] == 7 and report["sessions"] == 9
    gateway, invalid = report["groups"]
    assert gateway["error"] == "HTTPError: payment gateway returned 502"
    assert (gateway["count"], gateway["users"], gateway["sessions"]) == (12, 6, 8)
    assert parse_iso_us(gateway["first_failure"]) == now - 40 * minute + 1000
    assert (invalid["count"], invalid["users"], invalid["sessions"]) == (2, 1, 1)
    assert len(report["recent"]) == 5 and report["recent"][0]["error"] == "ValueError: card number invalid"
    assert parse_iso_us(report["first_failure"]) == now - 40 * minute + 1000

    result = CliRunner().invoke(main, ["triage", "--tool", "charge_card", "--since", "1h",
                                       "--data-dir", settings.data_dir])
    assert result.exit_code == 0, result.output
    assert "charge_card: 14 failures" in result.output and "7 users, 9 sessions" in result.output
    assert "HTTPError: payment gateway returned 502" in result.output


async def test_critical_path_and_parallel_siblings(api: httpx.AsyncClient) -> None:
    ms = 1000
    t0 = now_us() - 60_000_000
    root, a, b, c, b1 = (str(uuid.uuid4()) for _ in range(5))

    def span(span_id: str, name: str, start: int, end: int, parent: str | None = root) -> dict[str, Any]:
        return {"id": span_id, "trace_id": root, "parent_id": parent, "name": name, "run_type": "tool",
                "start_time": t0 + start * ms, "end_time": t0 + end * ms}

    await _ingest(api, [span(root, "agent", 0, 100, None), span(a, "fetch_a", 0, 40), span(b, "fetch_b", 10, 90),
                        span(b1, "inner", 20, 70, b), span(c, "summarise", 90, 100)])
    report = (await api.get(f"/api/v1/traces/{root}/critical-path")).json()
    path = [(step["name"], round(step["duration_s"] * 1000)) for step in report["critical_path"]]
    assert path == [("fetch_a", 10), ("fetch_b", 10), ("inner", 50), ("fetch_b", 20), ("summarise", 10)]
    assert sum(step["duration_s"] for step in report["critical_path"]) == pytest.approx(0.1)
    (group,) = report["parallel"]
    assert group["parent_id"] == root and group["parallel"] is True and group["max_concurrency"] == 2
    assert group["overlap_s"] == pytest.approx(0.03) and group["sum_s"] == pytest.approx(0.13)
    assert (await api.get(f"/api/v1/traces/{uuid.uuid4()}/critical-path")).status_code == 404


async def test_cli_commands(api: httpx.AsyncClient, settings: Settings) -> None:
    await _ingest(api, known_spans())
    runner = CliRunner()
    data = ["--data-dir", settings.data_dir]

    result = runner.invoke(main, ["runs", "list", "--filter", 'eq(run_type, "tool")', "--json", *data])
    assert result.exit_code == 0, result.output
    assert {BY_ID[run["id"]] for run in msgspec.json.decode(result.output)["runs"]} == {"a_tool", "b_tool"}
    result = runner.invoke(main, ["runs", "list", "--project", "p1", "--limit", "2", *data])
    assert result.exit_code == 0 and "START_TIME" in result.output and "more: --cursor" in result.output
    result = runner.invoke(main, ["runs", "list", "--filter", "eq(run_type", *data])
    assert result.exit_code != 0 and "at position 11: expected ','" in result.output

    result = runner.invoke(main, ["runs", "get", sid("a_root"), *data])
    assert result.exit_code == 0 and "I want a refund" in result.output
    result = runner.invoke(main, ["session", "s2", "--json", *data])
    assert [t["trace_id"] for t in msgspec.json.decode(result.output)["traces"]] == [sid("b_root")]
    result = runner.invoke(main, ["search", "refund", *data])
    assert result.exit_code == 0 and sid("b_tool") in result.output and sid("a_root") in result.output
    result = runner.invoke(main, ["lookup", "--correlation-id", "req-111", *data])
    assert result.exit_code == 0 and sid("a_root") in result.output
    result = runner.invoke(main, ["critical-path", sid("a_root"), *data])
    assert result.exit_code == 0 and "lookup_order" in result.output and "sequential" in result.output
