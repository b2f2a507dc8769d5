"""Our SDK against a real ``tracehound serve`` process: what the agent records is what the API returns."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest

import tracehound


@pytest.fixture
def exporter(server_url: str) -> Iterator[tracehound.BatchExporter]:
    exporter = tracehound.BatchExporter(server_url, interval_s=0.05)
    tracehound.configure(exporter=exporter, project="sdk-e2e")
    yield exporter
    tracehound.shutdown(10)
    tracehound.configure()


@tracehound.traceable(run_type="tool")
async def lookup(order_id: str) -> dict[str, str]:
    await asyncio.sleep(0.001)
    return {"order_id": order_id, "status": "shipped"}


@tracehound.traceable(run_type="llm")
def answer(question: str, facts: list[dict[str, str]]) -> str:
    tracehound.get_current_span().set_tokens(prompt=120, completion=30)
    tracehound.get_current_span().set_model("test-model")
    return f"{len(facts)} orders shipped"


@tracehound.traceable(run_type="agent")
async def agent(question: str) -> str:
    facts = await asyncio.gather(lookup("A1"), lookup("B2"))
    if "fail" in question:
        raise RuntimeError("tool timed out")
    return answer(question, list(facts))


def test_sdk_trace_is_readable_from_the_api(server_url: str, exporter: tracehound.BatchExporter) -> None:
    session_id = f"sess-{uuid.uuid4()}"
    with tracehound.session(session_id, user_id="u-1"):
        assert asyncio.run(agent("where are my orders?")) == "2 orders shipped"
        with pytest.raises(RuntimeError, match="tool timed out"):
            asyncio.run(agent("please fail"))
    assert tracehound.flush(15)
    assert exporter.failed_spans == 0 and exporter.dropped_spans == 0

    with httpx.Client(base_url=server_url) as client:
        session = client.get(f"/api/v1/sessions/{session_id}").json()
        turns = session["turns"] if isinstance(session, dict) and "turns" in session else session
        assert isinstance(turns, list) and len(turns) == 2
        ok_turn = turns[0]
        assert ok_turn["user_id"] == "u-1" and ok_turn["span_count"] == 4 and ok_turn["total_tokens"] == 150
        assert ok_turn["inputs"] == {"question": "where are my orders?"}
        assert turns[1]["status"] == "error" and turns[1]["error"].startswith("RuntimeError: tool timed out")

        trace = client.get(f"/api/v1/traces/{ok_turn['trace_id']}").json()
        spans = trace["spans"]
        assert (spans[0]["name"], spans[0]["depth"]) == ("agent", 0)
        assert sorted(span["name"] for span in spans) == ["agent", "answer", "lookup", "lookup"]
        root = spans[0]
        assert {span["parent_id"] for span in spans[1:]} == {root["id"]}
        assert all(span["project"] == "sdk-e2e" and span["session_id"] == session_id for span in spans)
        llm = next(span for span in spans if span["name"] == "answer")
        assert llm["model"] == "test-model" and llm["inputs"]["facts"][0]["status"] == "shipped"


def test_spans_made_while_the_server_is_down_arrive_once_it_is_up(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tracehound.testing import free_port, running_server

    port = free_port()
    exporter = tracehound.BatchExporter(f"http://127.0.0.1:{port}", interval_s=0.02, initial_backoff_s=0.05,
                                        max_backoff_s=0.2)
    tracehound.configure(exporter=exporter, project="outage")
    try:
        for index in range(5):
            asyncio.run(agent(f"order {index}"))
        assert not tracehound.flush(0.5), "nothing can be delivered while the server is down"
        with running_server(tmp_path / "late-server", port=port):
            assert tracehound.flush(15)
            assert exporter.exported_spans == 5 * 4 and exporter.failed_spans == 0
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                roots = [p["name"] for p in client.get("/api/v1/projects").json()["projects"]]
                assert roots == ["outage"]
    finally:
        tracehound.shutdown(5)
        tracehound.configure()
