"""A small store with known spans, shared by the query tests: labels map to deterministic ids."""

from __future__ import annotations

import uuid
from pathlib import Path

from tracehound.model import Span
from tracehound.store.sqlite import SqliteSpanStore
from tracehound.timefmt import now_us, parse_iso_us

NS = uuid.UUID("6f0f3b1e-0000-4000-8000-000000000000")


def sid(label: str) -> str:
    return str(uuid.uuid5(NS, label))


LABELS = ("a_root", "a_tool", "a_llm", "b_root", "b_tool", "c_root", "d_root")
BY_ID = {sid(label): label for label in LABELS}


def known_spans() -> list[Span]:
    """Four traces: a (Apr 16, user u1, a slow failing tool), b (May 10, u2), c (Apr 14, p2), d (an hour ago)."""
    a = parse_iso_us("2026-04-16T10:00:00")
    b = parse_iso_us("2026-05-10T09:00:00")
    c = parse_iso_us("2026-04-14T08:00:00")
    d = now_us() - 3_600_000_000
    common_a = {"trace_id": sid("a_root"), "project": "p1", "session_id": "s1", "user_id": "u1"}
    common_b = {"trace_id": sid("b_root"), "project": "p1", "session_id": "s2", "user_id": "u2"}
    return [
        Span(id=sid("a_root"), name="support_agent", run_type="chain", start_time=a, end_time=a + 8_000_000,
             tags=["prod"], metadata={"session_id": "s1", "request_id": "req-111"},
             inputs={"q": "I want a refund"}, **common_a),
        Span(id=sid("a_tool"), parent_id=sid("a_root"), name="lookup_order", run_type="tool", start_time=a + 100,
             end_time=a + 6_000_100, error="Timeout: upstream took too long", step=1, **common_a),
        Span(id=sid("a_llm"), parent_id=sid("a_root"), name="answer", run_type="llm", start_time=a + 6_000_200,
             end_time=a + 7_000_000, model="gpt-4o", prompt_tokens=100, completion_tokens=20, cost=0.01, step=2,
             **common_a),
        Span(id=sid("b_root"), name="support_agent", run_type="chain", start_time=b, end_time=b + 2_000_000,
             tags=["dev"], metadata={"session_id": "s2", "priority": 3}, **common_b),
        Span(id=sid("b_tool"), parent_id=sid("b_root"), name="lookup_order", run_type="tool", start_time=b + 10,
             end_time=b + 1_000_010, outputs={"answer": "refund issued"}, **common_b),
        Span(id=sid("c_root"), trace_id=sid("c_root"), name="classify", run_type="llm", project="p2", start_time=c,
             end_time=c + 10_000_000, total_tokens=500, tags=["prod", "beta"]),
        Span(id=sid("d_root"), trace_id=sid("d_root"), name="recent", run_type="chain", project="p2", start_time=d,
             end_time=d + 1000),
    ]


def known_store(directory: Path) -> SqliteSpanStore:
    store = SqliteSpanStore(directory / "known.db")
    store.upsert(known_spans())
    return store
