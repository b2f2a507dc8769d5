"""The whole loop on a live server, a real judge endpoint on 127.0.0.1 and a reviewer in Chromium.

traffic with a regression → an online judge rule flags it above baseline → the rollback alert fires →
a failure pool fills and feeds a queue → a reviewer labels and promotes items in the browser → the
golden dataset gates a fixed candidate (and stops the broken one) → after a deploy marker the rate is
back at baseline and the alert resolves.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http_servers import QuietHandler, serving
from tracehound.analytics.evaluator import wait_until
from tracehound.testing import running_server
from tracehound.timefmt import now_us

GOOD = "Refunds are accepted within 5 days of delivery."
BAD = "Refunds are accepted within 30 days of delivery."
QUESTION = {"question": "How long do I have to return my order?"}
HOUR = 3_600_000_000


class Judge(QuietHandler):
    """An OpenAI-compatible judge that passes an answer stating the 5-day window (counts its calls)."""

    calls = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.read_json()
        prompt = body["messages"][-1]["content"]
        answer = re.search(r"Answer to grade: (.*)", prompt)
        verdict = "pass" if answer and "5 days" in answer.group(1) else "fail"
        with Judge.lock:
            Judge.calls += 1
        self.send_json(200, {"id": "j", "object": "chat.completion", "model": body["model"], "choices": [
            {"index": 0, "finish_reason": "stop",
             "message": {"role": "assistant", "content": json.dumps({"verdict": verdict, "reason": "checked"})}}]})


def turn(answer: str, start_us: int, session: str) -> list[dict[str, Any]]:
    """One agent turn: a chain root calling a policy lookup tool."""
    root = str(uuid.uuid4())
    return [{"id": root, "trace_id": root, "name": "support_agent", "run_type": "chain", "project": "support",
             "session_id": session, "start_time": start_us, "end_time": start_us + 900_000, "inputs": QUESTION,
             "outputs": {"answer": answer}},
            {"id": str(uuid.uuid4()), "trace_id": root, "parent_id": root, "name": "lookup_policy",
             "run_type": "tool", "project": "support", "start_time": start_us + 100_000,
             "end_time": start_us + 300_000, "inputs": {"topic": "returns"}, "outputs": {"days": 5}}]


def send(base: str, turns: list[list[dict[str, Any]]]) -> None:
    spans = [span for t in turns for span in t]
    response = httpx.post(f"{base}/api/v1/spans", json={"spans": spans}, timeout=30)
    assert response.status_code == 200, response.text


@pytest.fixture
def judge_url() -> Iterator[str]:
    Judge.calls = 0
    with serving(Judge) as url:
        yield f"{url}/v1"


def alert_state(base: str) -> str:
    states = httpx.get(f"{base}/api/v1/alerts").json()["alerts"]
    return next((a["state"] for a in states if a["rule_id"] == "refunds-regressed"), "ok")


def fixed_agent(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"answer": GOOD}


def broken_agent(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"answer": BAD}


def test_the_whole_loop(tmp_path: Path, judge_url: str, browser: Any) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("""
[[online]]
id = "refund-accuracy"
project = "support"
filter = 'eq(name, "support_agent")'
sample_rate = 1.0
evaluators = [{name = "judge", rubric = "States the 5-day refund window correctly", n = 3}, {name = "no_errors"}]

[[rules]]
id = "refunds-regressed"
kind = "online_rate"
rule = "refund-accuracy"
key = "judge"
window = "1h"
baseline_days = 1
min_runs = 5
cooldown_s = 0
""")
    env = {"TRACEHOUND_ALERT_RULES_FILE": str(rules), "TRACEHOUND_ALERT_INTERVAL_S": "0.2",
           "TRACEHOUND_JUDGE_BASE_URL": judge_url, "TRACEHOUND_JUDGE_MODEL": "judge-2026-01-01"}
    with running_server(tmp_path / "data", env=env) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}",
                                                                           timeout=30) as api:
        base = f"http://127.0.0.1:{port}"
        queue = api.post("/api/v1/queues", json={"name": "triage", "project": "support", "dataset": "refunds-golden",
                                                "rubric": [{"key": "correct", "values": ["pass", "fail"]}]})
        assert queue.status_code == 201, queue.text
        pool = api.post("/api/v1/pools", json={"name": "refund-failures", "project": "support", "kind": "failure",
                                               "reasons": ["online_flag", "tool_error"], "queue": "triage"})
        assert pool.status_code == 201, pool.text

        # Yesterday, before the release: the agent answered right (the judge passes 19 of 20).
        now = now_us()
        send(base, [turn(GOOD if i else BAD, now - 12 * HOUR + i * 60_000_000, f"old-{i}") for i in range(20)])
        assert api.post("/api/v1/deploys", json={"project": "support", "version": "v42",
                                                 "at": "-30m"}).status_code == 201
        # After v42: the answer is wrong most of the time.
        regression = [turn(BAD if i % 4 else GOOD, now_us() - 20 * 60_000_000 + i * 1_000_000, f"new-{i}")
                      for i in range(12)]
        send(base, regression)
        wrong = {t[0]["trace_id"] for t in regression if t[0]["outputs"]["answer"] == BAD}

        def rate_above() -> bool:
            series = api.get("/api/v1/online-rules/refund-accuracy/series",
                             params={"start": "-1d", "min_runs": 5}).json()
            return bool(series["baseline"].get("judge", {}).get("above_baseline"))

        assert wait_until(rate_above, 60), api.get("/api/v1/online-rules").json()
        assert wait_until(lambda: alert_state(base) == "firing", 30)
        firing = next(a for a in api.get("/api/v1/alerts").json()["alerts"] if a["rule_id"] == "refunds-regressed")
        # the evidence: flagged traces (those judged by the time the alert fired)
        assert firing["key"] == "judge" and firing["traces"] and set(firing["traces"]) <= wrong
        assert Judge.calls >= 3 * 32  # every trace judged, three votes each

        # The failing runs filled the failure pool, which fed the annotation queue.
        assert wait_until(lambda: api.get("/api/v1/pools/refund-failures").json()["members"] >= 10, 30)
        items = api.get("/api/v1/queues/triage/items", params={"limit": 100}).json()["items"]
        assert len(items) >= 10 and {i["source"] for i in items} == {"pool:refund-failures"}

        # A reviewer works through three items with the keyboard, correcting and promoting each.
        page = browser.new_page(base_url=base)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/queues/triage/review?reviewer=ana")
        for _ in range(3):
            page.wait_for_selector("#review")
            run_id = page.get_attribute("#review", "data-run")
            page.keyboard.press("2")  # the second label: fail
            page.keyboard.press("e")  # edit the reference output
            page.fill("#reference", json.dumps({"answer": GOOD}))
            page.keyboard.press("Escape")
            page.keyboard.press("p")  # promote to the dataset
            with page.expect_navigation():
                page.keyboard.press("Control+Enter")
            assert page.get_attribute("#review", "data-run") != run_id
        assert errors == []
        notes = api.get("/api/v1/queues/triage/annotations").json()["annotations"]
        assert len(notes) == 3 and all(n["labels"] == {"correct": "fail"} and n["example_id"] for n in notes)
        examples = api.get("/api/v1/datasets/refunds-golden/examples").json()["examples"]
        assert len(examples) == 3
        assert all(e["outputs"] == {"answer": GOOD} and e["metadata"]["reviewer"] == "ana"
                   and e["metadata"]["queue"] == "triage" and e["source_run_id"] for e in examples)
        human = api.get("/api/v1/feedback", params={"source": "human"}).json()["feedback"]
        assert len(human) == 3 and all(f["key"] == "correct" and f["score"] == 0.0 for f in human)
        page.close()

        # The golden dataset gates candidates: the fix passes, the broken agent does not.
        import tracehound
        from tracehound.evals.evaluators import exact_match
        from tracehound.evals.gate import run_gate

        client = tracehound.Client(base)
        fixed = run_gate(fixed_agent, dataset="refunds-golden", evaluators=[exact_match("answer")], client=client,
                         min_scores={"pass_rate": 1.0}, progress=False)
        broken = run_gate(broken_agent, dataset="refunds-golden", evaluators=[exact_match("answer")], client=client,
                          min_scores={"pass_rate": 1.0}, progress=False)
        assert fixed.passed and not broken.passed

        # Ship the fix: after the v43 marker the traffic is right again and the alert resolves.
        assert api.post("/api/v1/deploys", json={"project": "support", "version": "v43"}).status_code == 201
        send(base, [turn(GOOD, now_us() + i * 1_000, f"fixed-{i}") for i in range(8)])
        assert wait_until(lambda: not rate_above(), 60)
        assert wait_until(lambda: alert_state(base) in ("resolved", "ok"), 30), api.get("/api/v1/alerts").json()
        history = [e["to"] for e in api.get("/api/v1/alerts/history", params={"rule_id": "refunds-regressed"}
                                            ).json()["events"]]
        assert "firing" in history and "resolved" in history
        chart = api.get("/online/refund-accuracy.json", params={"window": "24h"}).json()
        assert [d["version"] for d in chart["deploys"]] == ["v43", "v42"]
