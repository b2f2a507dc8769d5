"""Every engine answers every read the same way on the same spans: rollups, look-ups, analytics, detectors.

One synthetic week of agent traffic (sessions of turns with tool, llm and retriever spans, errors,
tokens, costs, metadata, tags, feedback) is written to SQLite and to ClickHouse; each read of the
store protocols is then asked of both and the answers compared (order-insensitive where the
protocol leaves the order open). SQLite is the reference: its behaviour is what the rest of the
suite pins down.
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engines import chdb_url
from tracehound.model import Span
from tracehound.query.runs import parse_checked
from tracehound.store.base import Feedback, SpanStore
from tracehound.store.detector_queries import DetectorScope
from tracehound.timefmt import now_us

HOUR = 3_600_000_000
NOW = now_us() // HOUR * HOUR
START = NOW - 7 * 24 * HOUR
TOOLS = ("lookup_order", "refund", "search_kb")


def traffic(seed: int = 3) -> tuple[list[Span], list[Feedback]]:
    rng = random.Random(seed)
    spans: list[Span] = []
    feedback: list[Feedback] = []

    def sid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    for session in range(60):
        at = START + rng.randrange(7 * 24 * HOUR - HOUR)
        user = f"user-{rng.randrange(8)}"
        for _turn in range(rng.choice((1, 2, 3))):
            root = sid()
            version = rng.choice(("v1", "v2"))
            offset = 1000
            children = []
            for step in range(rng.randrange(1, 7)):
                kind = rng.choice(("tool", "tool", "llm", "retriever"))
                duration = rng.randrange(200, 3_000_000)
                span: dict[str, Any] = dict(
                    id=sid(), trace_id=root, parent_id=root, project=rng.choice(("support", "billing")),
                    session_id=f"s-{session}", user_id=user, run_type=kind, start_time=at + offset,
                    end_time=at + offset + duration, step=step, metadata={"prompt_version": version})
                if kind == "tool":
                    span.update(name=rng.choice(TOOLS), inputs={"order": f"A-{rng.randrange(100)}"},
                                outputs={"status": rng.choice(("shipped", "refunded"))})
                    if rng.random() < 0.15:
                        span.update(status="error", error="TimeoutError: order api", outputs=None)
                elif kind == "llm":
                    tokens = rng.randrange(50, 5000)
                    span.update(name="chat", model=rng.choice(("gpt-4o", "gpt-4o-mini")), prompt_tokens=tokens // 2,
                                completion_tokens=tokens - tokens // 2, total_tokens=tokens,
                                cost=round(tokens * 1e-6, 9), outputs={"text": rng.choice(
                                    ("Your refund is on its way", "I cannot help with that", "Order shipped"))})
                else:
                    span.update(name="kb", outputs={"documents": [] if rng.random() < 0.3 else [{"id": 1}]})
                children.append(span)
                offset += duration // 2
            end = max(c["end_time"] for c in children) + 500
            spans.append(Span(id=root, trace_id=root, name="agent", run_type="chain", project=children[0]["project"],
                              session_id=f"s-{session}", user_id=user, start_time=at, end_time=end,
                              inputs={"question": "where is my refund?"}, outputs={"answer": "soon"},
                              tags=["prod"] if rng.random() < 0.5 else [], metadata={"prompt_version": version,
                                                                                     "priority": rng.randrange(3)}))
            for child in children:
                child["project"] = spans[-1].project
                spans.append(Span(**child))
            if rng.random() < 0.2:
                feedback.append(Feedback(sid(), root, "user_score", at, score=0.0, source="user"))
            at = end + rng.randrange(1_000_000, 60_000_000)
    return spans, feedback


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, chdb_dir: Path) -> Iterator[tuple[SpanStore, SpanStore]]:
    from tracehound.store.clickhouse import ClickHouseFeedbackStore, ClickHouseSpanStore
    from tracehound.store.sqlite import SqliteFeedbackStore, SqliteSpanStore

    spans, feedback = traffic()
    path = tmp_path_factory.mktemp("agree") / "t.db"
    sqlite = SqliteSpanStore(path)
    clickhouse = ClickHouseSpanStore(chdb_url(chdb_dir))
    for store, feedback_store in ((sqlite, SqliteFeedbackStore(path)), (clickhouse,
                                                                       ClickHouseFeedbackStore(clickhouse.url))):
        for first in range(0, len(spans), 300):
            store.upsert(spans[first:first + 300])
        store.upsert(spans[:100])  # a re-sent batch must change nothing
        feedback_store.add_feedback(feedback)
        feedback_store.close()
    yield sqlite, clickhouse
    sqlite.close()
    clickhouse.close()


def _norm(value: Any) -> Any:
    """Floats to 9 decimals (engines sum in different orders); dataclasses and containers recursively."""
    if isinstance(value, float):
        return round(value, 9)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *(_norm(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, list | tuple):
        return [_norm(item) for item in value]
    if isinstance(value, dict):
        return {key: _norm(item) for key, item in value.items()}
    return value


def both(pair: tuple[SpanStore, SpanStore], call: Any, *, ordered: bool = True) -> Any:
    sqlite, clickhouse = (_norm(call(store)) for store in pair)
    if not ordered:
        sqlite, clickhouse = sorted(sqlite, key=repr), sorted(clickhouse, key=repr)
    assert clickhouse == sqlite
    return sqlite


SCOPES = [DetectorScope(START, NOW), DetectorScope(NOW - 48 * HOUR, NOW, "support")]


def test_counts_traces_and_sessions(pair: tuple[SpanStore, SpanStore]) -> None:
    spans, _ = traffic()
    assert both(pair, lambda s: s.count()) == len(spans)
    roots = [span for span in spans if span.parent_id is None]
    for root in roots[:10]:
        both(pair, lambda s, r=root: [(n.span, n.depth) for n in s.get_trace(r.trace_id)])
        both(pair, lambda s, r=root: [(n.span, n.depth) for n in s.get_trace_outline(r.trace_id)])
    both(pair, lambda s: s.trace_totals([r.trace_id for r in roots]))
    for session in ("s-1", "s-7", "s-33"):
        both(pair, lambda s, name=session: s.session_turns(name))


def test_rollups_agree_to_the_bin(pair: tuple[SpanStore, SpanStore]) -> None:
    for window in ((START, NOW), (NOW - 30 * HOUR + 123_456_789, NOW - 2 * HOUR - 7)):
        for filters in ({}, {"run_type": "tool"}, {"project": ["billing"], "root": True}, {"model": ""}):
            rows = both(pair, lambda s, w=window, f=filters: _merged(s.rollups.buckets(*w, f)))
            assert rows or filters
    assert both(pair, lambda s: s.rollups.rebuild()) > 0
    both(pair, lambda s: _merged(s.rollups.buckets(START, NOW, {})))


def _merged(rows: list[Any]) -> dict[tuple[Any, ...], list[Any]]:
    merged: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        key = (row.project, row.run_type, row.name, row.model, row.status, row.root)
        entry = merged.setdefault(key, [0, 0, 0, 0, 0, 0, {}])
        for index, value in enumerate((row.calls, row.prompt_tokens, row.completion_tokens, row.total_tokens,
                                       row.cost_nusd, row.latency_us)):
            entry[index] += value
        for bin_, count in row.bins.items():
            entry[6][bin_] = entry[6].get(bin_, 0) + count
    return {key: value for key, value in merged.items() if value[0]}


def test_dropped_counts(pair: tuple[SpanStore, SpanStore]) -> None:
    rows = [{"project": "support", "minute_us": NOW - 5 * 60_000_000 + 17, "run_type": "tool", "name": "refund",
             "spans": 7, "traces": 2, "status": "ok"},
            {"project": "support", "minute_us": NOW - 5 * 60_000_000, "run_type": "tool", "name": "refund",
             "spans": 3, "traces": 1, "status": "ok"}]
    for store in pair:
        store.dropped.add_dropped(rows)
    both(pair, lambda s: s.dropped.dropped_counts())
    both(pair, lambda s: s.rollups.dropped(NOW - HOUR, NOW, {"project": "support"}), ordered=False)
    both(pair, lambda s: s.rollups.dropped_runs(NOW - HOUR, NOW, project="support"))


def test_lookups(pair: tuple[SpanStore, SpanStore]) -> None:
    now = now_us()
    for text in ('eq(user_id, "user-3")', 'eq(session_id, "s-4")', 'search("refund")', "eq(error, true)"):
        node = parse_checked(text, now)
        both(pair, lambda s, n=node: s.lookups.find_traces(n, 5), ordered=False)
    for tool in TOOLS:
        both(pair, lambda s, t=tool: s.lookups.tool_failures(t, START))
        both(pair, lambda s, t=tool: s.lookups.tool_failures(t, START, project="billing"))


def test_analytics(pair: tuple[SpanStore, SpanStore]) -> None:
    both(pair, lambda s: s.analytics.run_totals(START, NOW))
    both(pair, lambda s: s.analytics.run_totals(START, NOW, project="support", agent="agent",
                                                task_key="prompt_version"))
    both(pair, lambda s: s.analytics.tokens_by(START, NOW, "model"))
    both(pair, lambda s: s.analytics.tokens_by(START, NOW, "prompt_version", project="billing"))
    both(pair, lambda s: s.analytics.evidence_traces("refund", START, NOW, errors=True, limit=5))
    both(pair, lambda s: sorted(s.analytics.evidence_traces("chat", START, NOW, errors=False, limit=1000)))
    some_trace = traffic()[0][0].trace_id
    both(pair, lambda s: s.analytics.recent_run_tokens("agent", exclude_trace_id=some_trace, since_us=START,
                                                       limit=10))
    both(pair, lambda s: s.analytics.spans_ended_between(NOW - 24 * HOUR, NOW), ordered=False)


@pytest.mark.parametrize("scope", SCOPES, ids=["week", "two-days-support"])
def test_detector_queries(pair: tuple[SpanStore, SpanStore], scope: DetectorScope) -> None:
    unordered = {"ordered": False}
    both(pair, lambda s: s.detectors.tool_traces(scope, "refund", 1000), **unordered)
    latencies = both(pair, lambda s: s.detectors.turn_latencies(scope), **unordered)
    traces = [trace for trace, _ in latencies]
    both(pair, lambda s: s.detectors.tool_time_in(traces), **unordered)
    both(pair, lambda s: s.detectors.tool_time(scope))
    both(pair, lambda s: s.detectors.metadata_versions(scope, "prompt_version", "llm"))
    both(pair, lambda s: sorted(s.detectors.costliest_traces(scope, "prompt_version", "v2", "llm", 1000)))
    both(pair, lambda s: s.detectors.outputs(scope, run_type="llm", in_sessions=True, limit=1000), **unordered)
    both(pair, lambda s: s.detectors.outputs(scope, run_type=None, in_sessions=False, limit=1000), **unordered)
    both(pair, lambda s: s.detectors.session_inputs(scope), **unordered)
    for trace in traces[:5]:
        both(pair, lambda s, t=trace: s.detectors.trace_outcomes(t), **unordered)
        both(pair, lambda s, t=trace: s.detectors.next_llm(t, 0))
    both(pair, lambda s: s.detectors.retrievals(scope), **unordered)
    totals = both(pair, lambda s: s.detectors.session_totals(scope), **unordered)
    both(pair, lambda s: s.detectors.looping_traces(scope, 2), **unordered)
    both(pair, lambda s: s.detectors.negative_feedback(scope, below=0.5, values=["down"]), **unordered)
    both(pair, lambda s: s.detectors.error_traces(scope), **unordered)
    sessions = [total[1] for total in totals]  # (type name, session_id, ...) once normalised
    both(pair, lambda s: s.detectors.slowest_turns(scope, sessions))
