"""Data the UI tests drive the pages with: a support session of three agent turns and a 10,000-span trace.

Everything is sent through the real ingest API (``POST /api/v1/spans``) of a running server.
"""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

T0 = 1_776_247_200_000_000  # 2026-04-15T10:00:00Z
PROJECT = "shop-support"
SESSION = "sess-ui-1"
QUESTIONS = ("Where is my order #1042?", "Can you check the shipping status?", "Thanks! And the refund for #1043?")
ANSWERS = ("Order #1042 is packed and ships tomorrow.", "The carrier is not answering right now; try again later.",
           "The refund for #1043 was issued on April 12.")
TRACEBACK = ('Traceback (most recent call last):\n  File "agent/tools.py", line 88, in lookup_shipping\n'
             "    response.raise_for_status()\nhttpx.HTTPStatusError: carrier API returned 502 Bad Gateway")


@dataclass
class Seeded:
    """Ids the tests navigate to."""

    turns: list[dict[str, str]] = field(default_factory=list)  # per turn: trace_id, and span ids by name
    big_trace_id: str = ""
    big_deep_span_id: str = ""
    dash_traces: list[str] = field(default_factory=list)  # the recent runs, oldest first
    example_ids: list[str] = field(default_factory=list)


def _span(trace_id: str, parent: str | None, name: str, run_type: str, start_ms: float, end_ms: float,
          **fields: Any) -> dict[str, Any]:
    span_id = fields.pop("id", None) or str(uuid.uuid4())
    return {"id": span_id, "trace_id": trace_id, "parent_id": parent, "name": name, "run_type": run_type,
            "start_time": int(T0 + start_ms * 1000), "end_time": int(T0 + end_ms * 1000), "project": PROJECT,
            **fields}


def agent_turn(turn: int) -> list[dict[str, Any]]:
    """One support-agent turn: plan (LLM), two tools in parallel, a retrieval, the answer (LLM)."""
    trace_id = str(uuid.uuid4())
    base = turn * 60_000.0  # a minute apart
    failing = turn == 1
    root = _span(trace_id, None, "support_agent", "agent", base, base + 2400, id=trace_id, session_id=SESSION,
                 user_id="user-7",
                 inputs={"messages": [{"role": "system", "content": "You are a helpful support agent."},
                                      {"role": "user", "content": QUESTIONS[turn]}]},
                 outputs={"answer": ANSWERS[turn]}, tags=["prod", "ui-test"], metadata={"channel": "web"},
                 **({"error": "ToolError: lookup_shipping failed"} if failing else {}))
    rid = root["id"]
    plan = _span(trace_id, rid, "plan", "llm", base + 20, base + 620, model="gpt-4o-mini", prompt_tokens=412,
                 completion_tokens=38, cost=0.00021, session_id=SESSION,
                 inputs={"messages": [{"role": "system", "content": "Plan the tools to call. " * 80},
                                      {"role": "user", "content": QUESTIONS[turn]}]},
                 outputs={"content": "call lookup_order and lookup_shipping"})
    order = _span(trace_id, rid, "lookup_order", "tool", base + 640, base + 1100, session_id=SESSION,
                  inputs={"order_id": 1042 + turn}, outputs={"status": "packed", "items": 3})
    shipping = _span(trace_id, rid, "lookup_shipping", "tool", base + 650, base + 1500, session_id=SESSION,
                     inputs={"order_id": 1042 + turn, "carrier": "dhl"},
                     **({"error": TRACEBACK} if failing else {"outputs": {"eta": "2026-04-16"}}))
    http = _span(trace_id, shipping["id"], "carrier_http", "tool", base + 660, base + 1490, session_id=SESSION,
                 inputs={"url": "https://carrier.example/track"}, events=[{"name": "retry", "attempt": 2}])
    faq = _span(trace_id, rid, "search_faq", "retriever", base + 1510, base + 1700, session_id=SESSION,
                inputs={"query": "shipping delays"},
                outputs={"documents": [{"id": n, "text": f"FAQ entry {n} about shipping"} for n in range(40)]})
    answer = _span(trace_id, rid, "answer", "llm", base + 1710, base + 2380, model="gpt-4o-mini",
                   prompt_tokens=980, completion_tokens=64, cost=0.00048, session_id=SESSION,
                   outputs={"content": ANSWERS[turn]})
    return [root, plan, order, shipping, http, faq, answer]


def big_trace(n_spans: int = 10_000) -> list[dict[str, Any]]:
    """A root, 99 sequential iterations, each with 100 children in groups of ten (half of each in parallel)."""
    trace_id = str(uuid.uuid4())
    spans = [_span(trace_id, None, "batch_job", "chain", 0, 99 * 1000 + 10, id=trace_id)]
    per_iteration = (n_spans - 1) // 99 - 1
    for i in range(99):
        it = _span(trace_id, trace_id, f"iteration_{i}", "chain", i * 1000 + 5, i * 1000 + 995)
        spans.append(it)
        parent = it["id"]
        for j in range(per_iteration):
            run_type = ("llm", "tool", "retriever", "parser")[j % 4]
            # Members 5-9 of each group of ten fan out in parallel; the rest run one after another.
            start = i * 1000 + 10 + (j if j % 10 < 5 else j - j % 10 + 5) * 9.5
            end = start + (94 if j % 10 == 0 else 9)  # a group's head spans its nine members
            child = _span(trace_id, parent if j % 10 else it["id"], f"step_{i}_{j}", run_type, start, end,
                          inputs={"i": i, "j": j}, outputs={"ok": True},
                          **({"error": "ValueError: bad row"} if j == 37 else {}))
            spans.append(child)
            parent = child["id"] if j % 10 == 0 else parent  # every tenth child opens a nested group
    return spans[:n_spans]


DASH_PROJECT = "dash-shop"
DASH_RUNS = 20
GATEWAY_502 = "HTTPError: payment gateway returned 502"
CARD_TIMEOUT = "TimeoutError: card network timed out"


def _run_span(trace_id: str, start: int, i: int, name: str, run_type: str, offset_ms: int, length_ms: int,
              parent: str | None = "", **fields: Any) -> dict[str, Any]:
    """A span of recent run ``i`` (the parent defaults to the run's root)."""
    return {"id": fields.pop("id", None) or str(uuid.uuid4()), "trace_id": trace_id,
            "parent_id": trace_id if parent == "" else parent, "name": name, "run_type": run_type,
            "start_time": start + offset_ms * 1000, "end_time": start + (offset_ms + length_ms) * 1000,
            "project": DASH_PROJECT, "session_id": f"dash-s{i // 4}", "user_id": f"user-{i % 3}", **fields}


def recent_runs(now_us: int) -> list[list[dict[str, Any]]]:
    """``DASH_RUNS`` agent runs over the last ten minutes, with numbers the dashboard tests check.

    Run ``i`` has an LLM call of ``100 * (i + 1)`` tokens costing ``0.001 * (i + 1)``, a ``search`` tool
    (two when ``i`` is odd), and ``charge_card``, which fails in runs 0, 5, 10, 15 (20% errors): a 502 in
    0 and 10, a timeout in 5 and 15. A failed charge fails the run. Sessions hold four runs each; users
    rotate over three.
    """
    runs = []
    for i in range(DASH_RUNS):
        trace_id = str(uuid.uuid4())
        start = now_us - (DASH_RUNS - i) * 30_000_000
        fails = i % 5 == 0
        error = (GATEWAY_502 if i % 10 == 0 else CARD_TIMEOUT) if fails else None

        span = functools.partial(_run_span, trace_id, start, i)
        spans = [span("checkout_agent", "agent", 0, 3000, None, id=trace_id,
                      inputs={"question": f"buy item {i}"}, outputs={"answer": "done"},
                      **({"error": f"ToolError: {error}"} if error else {})),
                 span("plan", "llm", 10, 500, model="gpt-4o-mini", prompt_tokens=80 * (i + 1),
                      completion_tokens=20 * (i + 1), cost=0.001 * (i + 1)),
                 span("search", "tool", 520, 100 + 10 * i, inputs={"q": f"item {i}"}, outputs={"hits": 3})]
        if i % 2:
            spans.append(span("search", "tool", 700, 50, inputs={"q": "again"}, outputs={"hits": 1}))
        spans.append(span("charge_card", "tool", 900, 200 + 40 * i, inputs={"amount": 10 + i},
                          **({"error": f"{error}\n  at gateway.charge()"} if error else {"outputs": {"ok": True}})))
        runs.append(spans)
    return runs


def seed_evals(client: httpx.Client, seeded: Seeded) -> None:
    """A dataset of three questions, and two experiments over it: one example fixed, one regressed."""
    client.post("/api/v1/datasets", json={"name": "support-faq", "description": "questions users ask"})
    examples = [{"inputs": {"question": q}, "outputs": {"answer": a}, "splits": ["test"]}
                for q, a in zip(QUESTIONS, ANSWERS, strict=True)]
    body = client.post("/api/v1/datasets/support-faq/examples", json={"examples": examples}).json()
    seeded.example_ids = [example["id"] for example in body["examples"]]
    # baseline passes 0 and 2; candidate passes 0 and 1: example 1 fixed, example 2 regressed.
    for name, passes, scores in (("baseline-v1", (True, False, True), (0.9, 0.2, 0.8)),
                                 ("candidate-v2", (True, True, False), (0.9, 0.95, 0.3))):
        client.post("/api/v1/experiments", json={"name": name, "dataset": "support-faq"}).raise_for_status()
        results = [{"example_id": example_id, "run_id": turn["trace_id"], "trace_id": turn["trace_id"],
                    "passed": passed, "scores": {"correctness": score}}
                   for example_id, turn, passed, score in zip(seeded.example_ids, seeded.turns, passes, scores,
                                                              strict=True)]
        client.post(f"/api/v1/experiments/{name}/results", json={"results": results}).raise_for_status()
        summary = {"examples": 3, "runs": 3, "passed": sum(passes)}
        client.patch(f"/api/v1/experiments/{name}", json={"summary": summary}).raise_for_status()


def seed(base_url: str) -> Seeded:
    """Send the data to the server and return the ids to navigate to."""
    seeded = Seeded()
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for turn in range(len(QUESTIONS)):
            spans = agent_turn(turn)
            client.post("/api/v1/spans", json={"spans": spans}).raise_for_status()
            seeded.turns.append({"trace_id": spans[0]["trace_id"], **{span["name"]: span["id"] for span in spans}})
        big = big_trace()
        for start in range(0, len(big), 2000):
            client.post("/api/v1/spans", json={"spans": big[start : start + 2000]}).raise_for_status()
        seeded.big_trace_id = big[0]["trace_id"]
        seeded.big_deep_span_id = big[-5]["id"]
        feedback = [{"run_id": seeded.turns[1]["trace_id"], "key": "thumbs", "score": 0, "source": "user",
                     "comment": "the carrier answer did not help"},
                    {"run_id": seeded.turns[2]["trace_id"], "key": "thumbs", "score": 1, "source": "user"}]
        client.post("/api/v1/feedback", json={"feedback": feedback}).raise_for_status()
        for spans in recent_runs(int(time.time() * 1e6)):
            client.post("/api/v1/spans", json={"spans": spans}).raise_for_status()
            seeded.dash_traces.append(spans[0]["trace_id"])
        seed_evals(client, seeded)
        client.put("/api/v1/alerts/rules/charge-errors",
                   json={"kind": "error_rate", "threshold": 0.1, "min_calls": 5, "project": DASH_PROJECT}
                   ).raise_for_status()
        client.post("/api/v1/alerts/evaluate").raise_for_status()
    return seeded
