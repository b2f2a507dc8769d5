"""The review loop's API on a live server: the unmodified LangSmith SDK's queue and presigned-feedback
calls, pools that fill from traffic and feedback, the drift monitor and alert, backfill, bad input."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tracehound.analytics.evaluator import wait_until
from tracehound.testing import running_server
from tracehound.timefmt import now_us

HOUR = 3_600_000_000


def turn(project: str, start_us: int, *, tools: tuple[str, ...] = ("lookup",), tool_status: str = "ok",
         answer: str = "ok", session: str | None = None, latency_us: int = 500_000) -> list[dict[str, Any]]:
    root = str(uuid.uuid4())
    spans = [{"id": root, "trace_id": root, "name": "agent", "run_type": "chain", "project": project,
              "session_id": session or str(uuid.uuid4()), "start_time": start_us, "end_time": start_us + latency_us,
              "inputs": {"question": "q"}, "outputs": {"answer": answer}}]
    for index, tool in enumerate(tools):
        spans.append({"id": str(uuid.uuid4()), "trace_id": root, "parent_id": root, "name": tool,
                      "run_type": "tool", "project": project, "start_time": start_us + index * 1000 + 1,
                      "end_time": start_us + index * 1000 + 500, "status": tool_status,
                      **({"error": "HTTP 500"} if tool_status == "error" else {})})
    return spans


@pytest.fixture(scope="module")
def loop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    rules = tmp_path_factory.mktemp("rules") / "rules.toml"
    rules.write_text('[[rules]]\nid = "drift-watch"\nkind = "drift"\npool = "drift"\nwindow = "1h"\n'
                     'baseline = "7d"\nmin_members = 20\ncooldown_s = 0\n')
    env = {"TRACEHOUND_ALERT_RULES_FILE": str(rules), "TRACEHOUND_ALERT_INTERVAL_S": "0.2"}
    with running_server(tmp_path_factory.mktemp("loop-data"), env=env) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def api(loop_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=loop_server, timeout=30) as client:
        yield client


def send(api: httpx.Client, spans: list[dict[str, Any]]) -> None:
    response = api.post("/api/v1/spans", json={"spans": spans})
    assert response.status_code == 200, response.text


def test_langsmith_sdk_annotation_queues_and_presigned_feedback(loop_server: str, api: httpx.Client,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from langsmith import Client
    from langsmith._internal._beta_decorator import LangSmithDeprecationWarning

    # The queue-item calls are deprecated in favour of client.annotation_queues.items (not served: see
    # docs/review-loop.md); they still work and are what users' scripts call.
    warnings.filterwarnings("ignore", category=LangSmithDeprecationWarning)
    spans = turn("ls-queues", now_us() - 60_000_000) + turn("ls-queues", now_us() - 30_000_000)
    send(api, spans)
    runs = [s["id"] for s in spans if "parent_id" not in s]
    client = Client(api_url=loop_server, api_key="unused", web_url=loop_server)
    queue = client.create_annotation_queue(name="ls-review", description="from the SDK",
                                           rubric_items=[{"feedback_key": "correct",
                                                          "value_descriptions": {"pass": "right", "fail": "wrong"}}])
    assert [q.name for q in client.list_annotation_queues(name="ls-review")] == ["ls-review"]
    read = client.read_annotation_queue(queue.id)
    assert read.rubric_items and read.rubric_items[0]["feedback_key"] == "correct"
    client.add_runs_to_annotation_queue(queue.id, run_ids=runs)
    listed = list(client.list_runs_from_annotation_queue(queue.id))
    assert {str(r.id) for r in listed} == set(runs) and all(r.added_at for r in listed)
    first = client.get_run_from_annotation_queue(queue.id, index=0)
    assert str(first.id) == runs[0] and first.inputs == {"question": "q"}
    client.delete_run_from_annotation_queue(queue.id, run_id=runs[1])
    assert [str(r.id) for r in client.list_runs_from_annotation_queue(queue.id)] == [runs[0]]
    assert api.get("/api/v1/queues/ls-review").json()["rubric"] == [{"key": "correct", "description": None,
                                                                     "values": ["pass", "fail"]}]

    token = client.create_presigned_feedback_token(runs[0], "thumbs")
    client.create_feedback_from_token(token.url, score=1, comment="great answer")
    # A product's page, with no API key, on another origin: a GET with the score in the query.
    other = client.create_presigned_feedback_token(runs[1], "thumbs")
    assert httpx.get(str(other.url), params={"score": 0}).status_code == 200
    thumbs = {f["run_id"]: f for f in api.get("/api/v1/feedback", params={"key": "thumbs"}).json()["feedback"]}
    assert thumbs[runs[0]]["score"] == 1.0 and thumbs[runs[0]]["comment"] == "great answer"
    assert thumbs[runs[1]]["score"] == 0.0 and thumbs[runs[1]]["source"] == "user"
    assert httpx.options(str(other.url)).headers["access-control-allow-origin"] == "*"
    client.delete_annotation_queue(queue.id)
    assert api.get("/api/v1/queues/ls-review").status_code == 404


def test_an_expired_or_unknown_token_scores_nothing(api: httpx.Client) -> None:
    spans = turn("tokens", now_us() - 1_000_000)
    send(api, spans)
    made = api.post("/api/v1/feedback/tokens", json={"run_id": spans[0]["id"], "key": "thumbs", "expires_in_s": 60})
    assert made.status_code == 201
    assert api.post("/api/v1/feedback/tokens", json={"run_id": spans[0]["id"], "key": "thumbs",
                                                     "expires_in_s": 10}).json()["error"]["field"] == "expires_in_s"
    assert api.get(f"/api/v1/feedback/tokens/{uuid.uuid4()}", params={"score": 1}).status_code == 404
    assert api.get("/api/v1/feedback/tokens/not-a-uuid", params={"score": 1}).status_code == 404
    assert api.post(made.json()["url"], json={"comment": "no score"}).json()["error"]["field"] == "score"


def test_failure_pools_fill_from_traffic_and_feedback_and_feed_a_queue(api: httpx.Client) -> None:
    assert api.post("/api/v1/queues", json={"name": "fails-queue", "project": "pools"}).status_code == 201
    created = api.post("/api/v1/pools", json={"name": "fails", "project": "pools", "kind": "failure",
                                              "reasons": ["tool_error", "negative_feedback"], "queue": "fails-queue"})
    assert created.status_code == 201, created.text
    now = now_us()
    bad = turn("pools", now - 5_000_000, tool_status="error")
    good = turn("pools", now - 4_000_000)
    other_project = turn("elsewhere", now - 3_000_000, tool_status="error")
    send(api, bad + good + other_project)
    assert wait_until(lambda: api.get("/api/v1/pools/fails").json()["members"] == 1, 20)
    # A user's thumbs down arrives later: the good-looking turn joins the pool too.
    api.post("/api/v1/feedback", json={"run_id": good[0]["id"], "key": "thumbs", "score": 0, "source": "user"})
    assert wait_until(lambda: api.get("/api/v1/pools/fails").json()["members"] == 2, 20)
    members = api.get("/api/v1/pools/fails/members").json()["members"]
    assert {m["run_id"]: m["reason"] for m in members} == {bad[0]["id"]: "tool_error",
                                                           good[0]["id"]: "negative_feedback"}
    assert members[0]["stats"]["tools"] == {"lookup": 1}
    items = api.get("/api/v1/queues/fails-queue/items").json()["items"]
    assert {i["run_id"] for i in items} == {bad[0]["id"], good[0]["id"]}


def test_a_drift_pool_sees_a_changed_tool_mix_and_the_drift_alert_fires(api: httpx.Client) -> None:
    assert api.post("/api/v1/pools", json={"name": "drift", "project": "drift", "kind": "drift",
                                           "sample_rate": 1.0}).status_code == 201
    now = now_us()
    before = [s for i in range(30) for s in turn("drift", now - 3 * 24 * HOUR + i * HOUR, tools=("search", "order"))]
    after = [s for i in range(30) for s in turn("drift", now - 30 * 60_000_000 + i * 1_000_000,
                                                tools=("refund", "refund", "search"))]
    send(api, before + after)
    assert wait_until(lambda: api.get("/api/v1/pools/drift").json()["members"] == 60, 30)
    shifts = {s["statistic"]: s for s in api.get("/api/v1/pools/drift/drift").json()["shifts"]}
    assert shifts["tool_shares"]["shifted"] and shifts["tool_shares"]["current_n"] == 30
    assert not shifts["latency_ms"]["shifted"]

    def firing() -> bool:
        return any(a["rule_id"] == "drift-watch" and a["key"] == "tool_shares" and a["state"] == "firing"
                   for a in api.get("/api/v1/alerts").json()["alerts"])

    assert wait_until(firing, 20)
    assert api.get("/pools/drift").status_code == 200 and "shifted" in api.get("/pools/drift").text


def test_backfill_evaluates_past_traces_and_the_series_shows_them(api: httpx.Client) -> None:
    now = now_us()
    spans = [s for i in range(6) for s in turn("backfill", now - 5 * HOUR + i * HOUR,
                                                tool_status="error" if i % 2 else "ok")]
    send(api, spans)
    put = api.put("/api/v1/online-rules/bf", json={"project": "backfill", "sample_rate": 1.0,
                                                    "evaluators": [{"name": "no_errors"}]})
    assert put.status_code == 200, put.text
    result = api.post("/api/v1/online-rules/bf/backfill", json={"start": "-1d"}).json()
    assert (result["evaluated"], result["verdicts"]) == (6, 6)
    series = api.get("/api/v1/online-rules/bf/series", params={"start": "-6h", "bucket": "1h"}).json()
    buckets = series["series"]["no_errors"]
    assert sum(b["n"] for b in buckets) == 6 and sum(b["flagged"] for b in buckets) == 3
    online = api.get("/api/v1/feedback", params={"source": "online:bf"}).json()["feedback"]
    assert len(online) == 6 and {f["source_info"]["evaluator"] for f in online} == {"no_errors"}
    again = api.post("/api/v1/online-rules/bf/backfill", json={"start": "-1d"}).json()
    assert again["verdicts"] == 6 and len(api.get("/api/v1/feedback", params={"source": "online:bf"}
                                                  ).json()["feedback"]) == 6  # re-running never duplicates
    page = api.get("/online/bf.json", params={"window": "24h"}).json()
    assert page["charts"][0]["key"] == "no_errors" and len(page["charts"][0]["flagged"]) == 3
    assert api.delete("/api/v1/online-rules/bf").status_code == 200


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), [
    ("put", "/api/v1/online-rules/x", {"evaluators": [{"name": "judge"}]}, 400, "evaluators[0].rubric"),
    ("put", "/api/v1/online-rules/x", {"evaluators": [{"name": "no_errors"}], "filter": "and("}, 400, "filter"),
    ("post", "/api/v1/pools", {"name": "p", "project": "x", "reasons": ["bored"]}, 400, "reasons"),
    ("post", "/api/v1/pools", {"name": "p", "project": "x", "kind": "drift", "sample_rate": 0}, 400, "sample_rate"),
    ("post", "/api/v1/pools", {"name": "p", "project": "x", "kind": "sideways"}, 422, "kind"),
    ("post", "/api/v1/queues", {"name": "q", "rubric": [{"kind": "score"}]}, 400, "rubric[0].key"),
    ("post", "/api/v1/queues", {"name": "q", "reviewers_per_item": 0}, 400, "reviewers_per_item"),
    ("post", "/api/v1/deploys", {"project": "p", "version": ""}, 400, "version"),
    ("post", "/api/v1/deploys", {"project": "p", "version": "v1", "at": "yesterday"}, 400, "at"),
    ("get", "/api/v1/online-rules/missing/series", None, 404, None),
    ("get", "/api/v1/deploys?limit=100000000", None, 400, "limit"),
    ("get", "/api/v1/queues/missing/items?limit=-1", None, 404, None),
])
def test_bad_input_gets_a_4xx_naming_the_field(api: httpx.Client, method: str, path: str, body: Any, status: int,
                                               field: str | None) -> None:
    response = api.request(method.upper(), path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field


def test_annotations_follow_the_rubric_and_claims_the_reviewers(api: httpx.Client) -> None:
    spans = turn("annotate", now_us() - 2_000_000)
    send(api, spans)
    run = spans[0]["id"]
    assert api.post("/api/v1/queues", json={"name": "rubric-q", "rubric": [
        {"key": "correct", "values": ["pass", "fail"]}, {"key": "helpful", "kind": "score"}]}).status_code == 201
    assert api.post("/api/v1/queues/rubric-q/items", json={"run_ids": [str(uuid.uuid4())]}).status_code == 404
    assert api.post("/api/v1/queues/rubric-q/items", json={"run_ids": [run]}).json()["added"] == 1
    claim = api.post("/api/v1/queues/rubric-q/claim", json={"reviewer": "ana"})
    assert claim.json()["run_id"] == run and claim.json()["claimed_by"] == "ana"
    assert api.post("/api/v1/queues/rubric-q/claim", json={"reviewer": "bob"}).status_code == 204
    wrong = api.post(f"/api/v1/queues/rubric-q/items/{run}/annotations",
                     json={"reviewer": "ana", "labels": {"correct": "maybe"}})
    assert wrong.status_code == 400 and wrong.json()["error"]["field"] == "labels.correct"
    done = api.post(f"/api/v1/queues/rubric-q/items/{run}/annotations",
                    json={"reviewer": "ana", "labels": {"correct": "pass", "helpful": 4}, "promote": True})
    assert done.status_code == 201 and done.json()["item"]["status"] == "completed"
    example = done.json()["annotation"]["example_id"]
    assert api.get(f"/api/v1/examples/{example}").json()["metadata"]["human_label"] == "pass"
    assert api.get("/queues/rubric-q.json").json()["queue"]["completed_count"] == 1


def test_scheduled_detectors_feed_the_worst_sessions_queue_and_detector_pools(tmp_path: Path) -> None:
    env = {"TRACEHOUND_DETECT_INTERVAL_S": "0.5", "TRACEHOUND_WORST_SESSIONS_QUEUE": "worst"}
    with running_server(tmp_path / "data", env=env) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}",
                                                                           timeout=30) as api:
        assert api.post("/api/v1/pools", json={"name": "detected", "project": "worst", "kind": "failure",
                                               "reasons": ["detector"]}).status_code == 201
        now = now_us()
        spans = [s for i in range(30) for s in turn("worst", now - 20_000_000 + i * 1000, session=f"s{i}",
                                                      tool_status="error" if i == 7 else "ok")]
        send(api, spans)
        bad_root = spans[7 * 2]["id"]

        def queued() -> list[dict[str, Any]]:
            found = api.get("/api/v1/queues/worst/items")
            return found.json()["items"] if found.status_code == 200 else []

        assert wait_until(lambda: any(i["run_id"] == bad_root for i in queued()), 30)
        assert {i["source"] for i in queued()} == {"worst_sessions"}
        assert wait_until(lambda: any(m["run_id"] == bad_root for m in
                                      api.get("/api/v1/pools/detected/members").json()["members"]), 30)


def test_the_link_evaluate_prints_opens_a_page(loop_server: str, api: httpx.Client) -> None:
    import langsmith
    from langsmith import Client

    client = Client(api_url=loop_server, api_key="unused", web_url=loop_server)
    dataset = client.create_dataset(f"link-{uuid.uuid4().hex[:8]}")
    client.create_examples(dataset_id=dataset.id, examples=[{"inputs": {"x": 1}, "reference_outputs": {"y": 2}}])
    results = langsmith.evaluate(lambda inputs: {"y": inputs["x"] * 2}, data=dataset.name, client=client,
                                 evaluators=[lambda run, example: {"key": "ok", "score": 1}])
    list(results)
    client.flush()
    assert results.url and results.url.startswith(f"{loop_server}/o/")
    page = api.get(results.url.removeprefix(loop_server), follow_redirects=True)
    assert page.status_code == 200 and page.url.path == f"/evals/datasets/{dataset.name}"
    assert results.experiment_name in page.text
