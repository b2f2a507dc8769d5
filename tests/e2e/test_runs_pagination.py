"""Paging through a real server while spans keep arriving: every span once, none twice."""

from __future__ import annotations

import threading
import uuid

import httpx

from tracehound.timefmt import now_us

PROJECT = f"paging-{uuid.uuid4().hex[:8]}"


def _spans(count: int, base_us: int, step_us: int, tag: str) -> list[dict]:
    return [{"id": str(uuid.uuid4()), "trace_id": str(uuid.uuid4()), "name": f"{tag}-{index}", "project": PROJECT,
             "run_type": "tool", "start_time": base_us + index * step_us, "end_time": base_us + index * step_us + 10}
            for index in range(count)]


def test_pages_are_complete_and_duplicate_free_under_concurrent_ingest(server_url: str) -> None:
    base = now_us() - 3_600_000_000
    before = _spans(300, base, 1_000_000, "before")
    # Two spans share each start time, so the (start, seq) tie-break is exercised too.
    before += [dict(span, id=str(uuid.uuid4()), trace_id=str(uuid.uuid4()), name=span["name"] + "-twin")
               for span in before[:50]]
    with httpx.Client(base_url=server_url, timeout=30) as client:
        assert client.post("/api/v1/spans", json={"spans": before}).status_code == 200
        query = {"project": PROJECT, "filter": 'eq(run_type, "tool")', "limit": 7, "select": ["id", "start_time"]}
        page = client.post("/api/v1/runs/query", json=query).json()

        stop = threading.Event()
        started = threading.Event()  # one batch is in: paging then overlaps ingest however loaded the machine is
        ingested: list[str] = []

        def ingest() -> None:
            with httpx.Client(base_url=server_url, timeout=30) as writer:
                round_ = 0
                while not stop.is_set():
                    # New spans land everywhere in the window: newest, oldest and between pages.
                    batch = _spans(20, base + round_ * 7_919, 17_000_000, f"during-{round_}")
                    assert writer.post("/api/v1/spans", json={"spans": batch}).status_code == 200
                    ingested.extend(span["id"] for span in batch)
                    started.set()
                    round_ += 1

        thread = threading.Thread(target=ingest)
        thread.start()
        try:
            assert started.wait(30), "the writer should ingest while we page"
            seen = [run["id"] for run in page["runs"]]
            pages = 1
            while page["cursor"]:
                page = client.post("/api/v1/runs/query", json={**query, "cursor": page["cursor"]}).json()
                seen.extend(run["id"] for run in page["runs"])
                pages += 1
        finally:
            stop.set()
            thread.join()
        assert ingested, "the writer should have ingested while we paged"
        assert len(seen) == len(set(seen)), "a span appeared on two pages"
        assert set(seen) == {span["id"] for span in before}
        assert pages == -(-len(before) // 7)
        # A fresh listing sees the spans that arrived meanwhile.
        fresh_query = {**query, "limit": 100, "filter": 'like(name, "during-0-%")'}
        fresh = client.post("/api/v1/runs/query", json=fresh_query).json()
        assert {run["id"] for run in fresh["runs"]} == set(ingested[:20])
