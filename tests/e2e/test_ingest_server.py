"""Native ingest against a real server process: durable, idempotent, and strict about bad input."""

from __future__ import annotations

import gzip
import json
import threading
import zlib

import httpx
import pytest

from tests.spans import new_id, span, tree


@pytest.fixture
def client(server_url: str):
    with httpx.Client(base_url=server_url, timeout=30) as http:
        yield http


def post(client: httpx.Client, spans: list[dict]) -> httpx.Response:
    return client.post("/api/v1/spans", json={"spans": spans})


def test_a_trace_goes_in_and_comes_back_as_a_tree(client: httpx.Client) -> None:
    batch = tree(4, session_id=f"s-{new_id()}", project="e2e")
    response = post(client, batch)
    assert response.status_code == 200 and response.json() == {"accepted": 4}
    trace = client.get(f"/api/v1/traces/{batch[0]['trace_id']}").json()
    assert [(s["name"], s["depth"]) for s in trace["spans"]] == [
        ("agent", 0), ("tool_0", 1), ("tool_1", 1), ("tool_2", 1)]
    assert trace["spans"][1]["inputs"] == {"question": "where is my order?"}
    one = client.get(f"/api/v1/spans/{batch[2]['id']}").json()
    assert one["name"] == "tool_1" and one["parent_id"] == batch[0]["id"]
    assert "e2e" in [p["name"] for p in client.get("/api/v1/projects").json()["projects"]]


def test_a_resent_batch_is_stored_once(client: httpx.Client) -> None:
    batch = tree(3)
    for _ in range(3):
        assert post(client, batch).status_code == 200
    assert client.get(f"/api/v1/traces/{batch[0]['trace_id']}").json()["span_count"] == 3


def test_a_span_sent_at_start_and_at_end_is_one_span(client: httpx.Client) -> None:
    started = span(end_time=None, outputs=None)
    post(client, [started])
    assert client.get(f"/api/v1/spans/{started['id']}").json()["status"] == "running"
    post(client, [dict(started, end_time=started["start_time"] + 2_000_000, outputs={"answer": "42"})])
    ended = client.get(f"/api/v1/spans/{started['id']}").json()
    assert (ended["status"], ended["latency_s"], ended["outputs"]) == ("ok", 2.0, {"answer": "42"})
    assert ended["inputs"] == started["inputs"]


def test_gzip_and_deflate_bodies_are_accepted(client: httpx.Client) -> None:
    for encoding, compress in (("gzip", gzip.compress), ("deflate", zlib.compress)):
        batch = tree(2)
        body = compress(json.dumps({"spans": batch}).encode())
        response = client.post("/api/v1/spans", content=body,
                               headers={"Content-Encoding": encoding, "Content-Type": "application/json"})
        assert response.status_code == 200, response.text
        assert client.get(f"/api/v1/traces/{batch[0]['trace_id']}").status_code == 200


def test_the_session_shows_turns_with_totals(client: httpx.Client) -> None:
    session_id = f"sess-{new_id()}"
    first, second = tree(3, session_id=session_id, user_id="u-7"), tree(2, session_id=session_id)
    second[1].update(run_type="llm", prompt_tokens=100, completion_tokens=20, cost=0.01)
    post(client, second + first)
    body = client.get(f"/api/v1/sessions/{session_id}").json()
    assert body["turn_count"] == 2 and body["total_tokens"] == 120
    assert [t["trace_id"] for t in body["turns"]] == [first[0]["trace_id"], second[0]["trace_id"]]
    assert body["turns"][0]["user_id"] == "u-7" and body["turns"][0]["span_count"] == 3


def _error(response: httpx.Response) -> dict:
    return response.json()["error"]


def test_bad_input_is_refused_clearly_and_loses_nothing(client: httpx.Client) -> None:
    kept = tree(3)
    post(client, kept)
    before = client.get(f"/api/v1/traces/{kept[0]['trace_id']}").json()

    malformed = client.post("/api/v1/spans", content=b'{"spans": [{"id": ')
    assert malformed.status_code == 400 and _error(malformed)["code"] == "malformed_request"

    wrong_type = post(client, [span(), span(name=12)])
    assert wrong_type.status_code == 422
    assert _error(wrong_type)["field"] == "name" and _error(wrong_type)["index"] == 1
    assert "span 1" in _error(wrong_type)["message"]

    # The whole batch is refused: the good span before the bad one is not stored either.
    good_then_bad = [span(), dict(span(), end_time=1)]
    assert post(client, good_then_bad).status_code == 422
    assert client.get(f"/api/v1/spans/{good_then_bad[0]['id']}").status_code == 404

    # A re-send of stored spans with a bad one among them changes nothing stored.
    tampered = [dict(kept[0], name="changed"), dict(kept[1], run_type="nonsense")]
    assert post(client, tampered).status_code == 422

    too_big = client.post("/api/v1/spans", content=b"[" + b" " * (5 * 1024 * 1024) + b"]")
    assert too_big.status_code == 413 and _error(too_big)["code"] == "payload_too_large"

    bomb = gzip.compress(b"[" + b" " * (8 * 1024 * 1024) + b"]")
    inflated = client.post("/api/v1/spans", content=bomb, headers={"Content-Encoding": "gzip"})
    assert inflated.status_code == 413 and "decompressed" in _error(inflated)["message"]

    too_many = post(client, [span() for _ in range(2001)])
    assert too_many.status_code == 413 and _error(too_many)["field"] == "spans"

    bad_gzip = client.post("/api/v1/spans", content=b"not gzip", headers={"Content-Encoding": "gzip"})
    assert bad_gzip.status_code == 400
    unknown = client.post("/api/v1/spans", content=b"[]", headers={"Content-Encoding": "br"})
    assert unknown.status_code == 415

    assert client.get(f"/api/v1/traces/{kept[0]['trace_id']}").json() == before


def test_concurrent_clients_all_land(client: httpx.Client, server_url: str) -> None:
    batches = [tree(5, project="concurrent") for _ in range(40)]
    failures: list[int] = []

    def send(chunk: list[list[dict]]) -> None:
        with httpx.Client(base_url=server_url, timeout=30) as own:
            for batch in chunk:
                response = post(own, batch)
                if response.status_code != 200:
                    failures.append(response.status_code)

    threads = [threading.Thread(target=send, args=(batches[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    for batch in batches:
        assert client.get(f"/api/v1/traces/{batch[0]['trace_id']}").json()["span_count"] == 5


def test_unknown_ids_are_404_with_a_json_error(client: httpx.Client) -> None:
    for path in (f"/api/v1/traces/{new_id()}", f"/api/v1/spans/{new_id()}", "/api/v1/sessions/none-such"):
        response = client.get(path)
        assert response.status_code == 404 and _error(response)["code"] == "not_found"


def test_healthz_reports_the_writer(client: httpx.Client) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["committed_spans"] >= 0
