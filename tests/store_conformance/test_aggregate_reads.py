"""``spans.rollups``, ``spans.dropped`` and ``spans.analytics``: the reads behind metrics and alerts."""

from __future__ import annotations

from tests.spans import BASE_US, span, tree
from tracehound.model import Span
from tracehound.store.factory import Stores
from tracehound.store.rollups import MINUTE_US
from tracehound.store.sketch import quantile

HOUR_US = 60 * MINUTE_US


def _calls(stores: Stores, name: str, count: int, *, start_us: int, latency_us: int, status: str = "ok",
           model: str | None = None, project: str = "p") -> list[Span]:
    made = [Span(**span(name=name, run_type="tool", project=project, model=model, start_time=start_us + i,
                        end_time=start_us + i + latency_us, **({"error": "boom"} if status == "error" else {})))
            for i in range(count)]
    stores.spans.upsert(made)
    return made


def _merged(rows: list) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for row in rows:
        entry = out.setdefault((row.name, row.status, row.root), {"calls": 0, "latency_us": 0, "bins": {}})
        entry["calls"] += row.calls
        entry["latency_us"] += row.latency_us
        for index, count in row.bins.items():
            entry["bins"][index] = entry["bins"].get(index, 0) + count
    return out


def test_buckets_count_each_finished_span_once_with_a_mergeable_sketch(stores: Stores) -> None:
    start = BASE_US // HOUR_US * HOUR_US
    _calls(stores, "search", 40, start_us=start + 5 * MINUTE_US, latency_us=100_000)
    _calls(stores, "search", 10, start_us=start + 2 * HOUR_US, latency_us=1_000_000, status="error")
    _calls(stores, "lookup", 5, start_us=start + 30 * MINUTE_US, latency_us=50_000, model="gpt-4o")
    running = Span(**span(name="search", run_type="tool", project="p", start_time=start + 6 * MINUTE_US,
                          end_time=None))
    stores.spans.upsert([running])
    merged = _merged(stores.spans.rollups.buckets(start, start + 3 * HOUR_US, {"project": "p"}))
    assert merged[("search", "ok", True)]["calls"] == 40
    assert merged[("search", "error", True)]["calls"] == 10
    assert merged[("lookup", "ok", True)]["calls"] == 5
    ok = merged[("search", "ok", True)]
    assert ok["latency_us"] == 40 * 100_000
    assert abs(quantile(ok["bins"], 0.5) - 100_000) <= 1_000, "1% relative error"
    # Re-sending spans and ending a running one count once.
    stores.spans.upsert([Span(**{**span(), "id": running.id, "trace_id": running.trace_id, "name": "search",
                                 "run_type": "tool", "project": "p", "start_time": running.start_us,
                                 "end_time": running.start_us + 100_000})])
    assert _merged(stores.spans.rollups.buckets(start, start + HOUR_US, {"project": "p", "name": "search"}))[
        ("search", "ok", True)]["calls"] == 41


def test_bucket_filters_and_window_edges(stores: Stores) -> None:
    start = BASE_US // HOUR_US * HOUR_US
    _calls(stores, "a", 3, start_us=start + MINUTE_US, latency_us=10, model="m1")
    _calls(stores, "b", 2, start_us=start + 2 * MINUTE_US, latency_us=10)
    _calls(stores, "a", 4, start_us=start + MINUTE_US, latency_us=10, project="other")
    rollups = stores.spans.rollups
    assert sum(r.calls for r in rollups.buckets(start, start + HOUR_US, {"name": ["a", "b"], "project": "p"})) == 5
    assert sum(r.calls for r in rollups.buckets(start, start + HOUR_US, {"model": "m1"})) == 3
    no_model = rollups.buckets(start, start + HOUR_US, {"model": None, "project": "p", "name": "b"})
    assert [(r.model, r.calls) for r in no_model] == [("", 2)]
    assert sum(r.calls for r in rollups.buckets(start, start + HOUR_US, {"root": False})) == 0
    # A window is rounded outward to whole minutes.
    assert sum(r.calls for r in rollups.buckets(start + MINUTE_US + 30_000_000, start + MINUTE_US + 31_000_000,
                                                {"project": "p"})) == 3
    assert rollups.buckets(start + 10 * MINUTE_US, start + HOUR_US, {}) == []


def test_rebuild_recomputes_the_same_buckets(stores: Stores) -> None:
    start = BASE_US // HOUR_US * HOUR_US
    _calls(stores, "a", 7, start_us=start, latency_us=1000)
    before = sorted((r.name, r.calls, r.latency_us) for r in stores.spans.rollups.buckets(start, start + HOUR_US, {}))
    assert stores.spans.rollups.rebuild() == 7
    after = sorted((r.name, r.calls, r.latency_us) for r in stores.spans.rollups.buckets(start, start + HOUR_US, {}))
    assert after == before == [("a", 7, 7000)]


def test_dropped_counts_add_up_and_split_by_root(stores: Stores) -> None:
    minute = BASE_US // MINUTE_US * MINUTE_US
    dropped = stores.spans.dropped
    dropped.add_dropped([{"project": "p", "minute_us": minute + 5, "run_type": "chain", "name": "agent",
                          "spans": 10, "traces": 4, "status": "ok"},
                         {"project": "p", "minute_us": minute + 7, "run_type": "chain", "name": "agent",
                          "spans": 2, "traces": 1}])
    dropped.add_dropped([{"project": "q", "minute_us": minute + MINUTE_US, "run_type": "tool", "name": "t",
                          "model": "m", "status": "error", "spans": 3}])
    rows = dropped.dropped_counts()
    assert rows == [
        {"project": "p", "minute_us": minute, "run_type": "chain", "name": "agent", "model": "", "status": "ok",
         "spans": 12, "traces": 5},
        {"project": "q", "minute_us": minute + MINUTE_US, "run_type": "tool", "name": "t", "model": "m",
         "status": "error", "spans": 3, "traces": 0}]
    assert dropped.dropped_counts(project="q", start_us=minute, end_us=minute + MINUTE_US) == []
    reader = stores.spans.rollups
    split = sorted((d.root, d.calls) for d in reader.dropped(minute, minute + 1, {"project": "p"}))
    assert split == [(False, 7), (True, 5)]
    assert [(d.root, d.calls) for d in reader.dropped(minute, minute + 1, {"project": "p", "root": True})] == [
        (True, 5)]
    assert reader.dropped_runs(minute, minute + 2 * MINUTE_US) == {"ok": 5}
    assert reader.dropped_runs(minute, minute + 2 * MINUTE_US, agent="other") == {}


def test_run_totals_sum_each_trace(stores: Stores) -> None:
    first = tree(3, project="p", session_id="s1", metadata={"ticket": "T-1"})
    first[0]["total_tokens"] = 7
    first[1].update(run_type="llm", total_tokens=100, cost=0.25)
    second = tree(2, project="p", session_id="s2")
    second[0]["total_tokens"] = 9
    stores.spans.upsert([Span(**s) for s in [*first, *second]])
    window = (BASE_US - HOUR_US, BASE_US + 10 * HOUR_US)
    totals = stores.spans.analytics.run_totals(*window, project="p")
    assert [(t.trace_id, t.name, t.status, t.task, t.session_id, t.steps, t.tokens, t.cost, t.own_tokens)
            for t in totals] == [
        (first[0]["trace_id"], "agent", "ok", "s1", "s1", 3, 100, 0.25, 7),
        (second[0]["trace_id"], "agent", "ok", "s2", "s2", 2, None, 0.0, 9)]
    by_ticket = stores.spans.analytics.run_totals(*window, task_key="ticket")
    assert [t.task for t in by_ticket] == ["T-1", None]
    assert stores.spans.analytics.run_totals(*window, agent="other") == []


def test_tokens_by_model_or_metadata_key(stores: Stores) -> None:
    rows = [span(run_type="llm", model="m1", total_tokens=10, cost=0.1, metadata={"v": "a"}),
            span(run_type="llm", model="m1", total_tokens=30, metadata={"v": "b"}),
            span(run_type="llm", total_tokens=5),
            span(run_type="tool", model="m1", total_tokens=1000)]
    stores.spans.upsert([Span(**r) for r in rows])
    window = (BASE_US - HOUR_US, BASE_US + 10 * HOUR_US)
    by_model = stores.spans.analytics.tokens_by(*window, "model")
    assert [(g.key, g.calls, g.total_tokens, g.cost) for g in by_model] == [(None, 1, 5, 0.0), ("m1", 2, 40, 0.1)]
    by_version = stores.spans.analytics.tokens_by(*window, "v")
    assert [(g.key, g.calls, g.total_tokens) for g in by_version] == [(None, 1, 5), ("a", 1, 10), ("b", 1, 30)]


def test_evidence_and_baselines_for_alerts(stores: Stores) -> None:
    start = BASE_US
    fast = _calls(stores, "search", 2, start_us=start, latency_us=10)
    slow = _calls(stores, "search", 1, start_us=start + 100, latency_us=10_000)
    failed = _calls(stores, "search", 2, start_us=start + 200, latency_us=10, status="error")
    analytics = stores.spans.analytics
    assert analytics.evidence_traces("search", start, start + HOUR_US, errors=True) == [
        failed[1].trace_id, failed[0].trace_id]
    assert analytics.evidence_traces("search", start, start + HOUR_US, errors=False, limit=1) == [slow[0].trace_id]
    assert len(analytics.evidence_traces("search", start, start + HOUR_US, errors=False)) == len(fast + slow + failed)
    runs = []
    for index, tokens in enumerate((100, 200, 300)):
        made = tree(2, start_time=start + index * 10_000)
        made[0]["name"] = "support"
        made[1].update(run_type="llm", total_tokens=tokens)
        runs.append(made)
        stores.spans.upsert([Span(**s) for s in made])
    recent = analytics.recent_run_tokens("support", exclude_trace_id=runs[2][0]["trace_id"], since_us=start, limit=5)
    assert recent == [200, 100]
    assert analytics.recent_run_tokens("support", exclude_trace_id="", since_us=start, limit=1) == [300]


def test_spans_ended_between_for_backtests(stores: Stores) -> None:
    made = [Span(**span(start_time=BASE_US + i, end_time=BASE_US + 100 * (5 - i))) for i in range(5)]
    stores.spans.upsert(made)
    got = stores.spans.analytics.spans_ended_between(BASE_US + 100, BASE_US + 400)
    assert [s.id for s in got] == [made[3].id, made[2].id, made[1].id]
    assert got[0].inputs == made[3].inputs and got[0].end_us == BASE_US + 200
