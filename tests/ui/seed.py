"""Data the UI tests drive the pages with: a support session of three agent turns and a 10,000-span trace.

Everything is sent through the real ingest API (``POST /api/v1/spans``) of a running server.
"""

from __future__ import annotations

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
    return seeded
