"""``spans.detectors``: the named reads every engine answers for the failure detectors."""

from __future__ import annotations

from tests.spans import BASE_US, new_id, span
from tracehound.model import Span
from tracehound.store.base import Feedback
from tracehound.store.detector_queries import DetectorScope
from tracehound.store.factory import Stores

SCOPE = DetectorScope(BASE_US, BASE_US + 3_600_000_000)


def _turn(stores: Stores, *, session: str | None, start: int, tools: list[tuple[str, int]],
          project: str = "p", root: dict | None = None, **children: dict) -> list[dict]:
    """A root (a turn) and tool children ``(name, latency_us)`` laid out one after another."""
    made = [span(**{"name": "agent", "project": project, "session_id": session, "start_time": start,
                     "end_time": start + 1_000_000, **(root or {})})]
    at = start + 10
    for name, latency in tools:
        made.append(span(made[0]["trace_id"], parent_id=made[0]["id"], name=name, run_type="tool", project=project,
                         session_id=session, start_time=at, end_time=at + latency, **children.get(name, {})))
        at += latency + 1
    stores.spans.upsert([Span(**s) for s in made])
    return made


def test_tool_reads(stores: Stores) -> None:
    first = _turn(stores, session="s1", start=BASE_US + 10, tools=[("search", 100), ("lookup", 300)])
    second = _turn(stores, session="s1", start=BASE_US + 20, tools=[("search", 50), ("search", 70)])
    _turn(stores, session="s9", start=BASE_US + 30, tools=[("search", 5)], project="other")
    q = stores.spans.detectors
    traces = q.tool_traces(DetectorScope(SCOPE.start_us, SCOPE.end_us, "p"), "search", 10)
    assert traces == [second[0]["trace_id"], first[0]["trace_id"]]
    assert len(q.tool_traces(SCOPE, "search", 1)) == 1
    assert len(q.tool_traces(SCOPE, "search", 10)) == 3
    turns = dict(q.turn_latencies(DetectorScope(SCOPE.start_us, SCOPE.end_us, "p")))
    assert turns == {first[0]["trace_id"]: 1_000_000, second[0]["trace_id"]: 1_000_000}
    inside = sorted(q.tool_time_in([first[0]["trace_id"], second[0]["trace_id"]]))
    assert inside == sorted([(first[0]["trace_id"], "search", 100), (first[0]["trace_id"], "lookup", 300),
                             (second[0]["trace_id"], "search", 120)])
    assert q.tool_time(DetectorScope(SCOPE.start_us, SCOPE.end_us, "p")) == {"search": 220, "lookup": 300}
    assert q.tool_time(SCOPE)["search"] == 225


def test_metadata_versions_and_costliest_traces(stores: Stores) -> None:
    rows = [span(run_type="llm", metadata={"prompt_version": "v1"}, total_tokens=10, cost=0.01,
                 start_time=BASE_US + 1),
            span(run_type="llm", metadata={"prompt_version": "v2"}, total_tokens=50, start_time=BASE_US + 2),
            span(run_type="llm", metadata={"prompt_version": "v1"}, total_tokens=30, start_time=BASE_US + 3),
            span(run_type="llm", metadata={"other": 1}, total_tokens=99, start_time=BASE_US + 4),
            span(run_type="tool", metadata={"prompt_version": "v3"}, start_time=BASE_US + 5)]
    stores.spans.upsert([Span(**r) for r in rows])
    q = stores.spans.detectors
    assert q.metadata_versions(SCOPE, "prompt_version", "llm") == [("v1", 2, 40, 0.01, BASE_US + 1),
                                                                    ("v2", 1, 50, 0.0, BASE_US + 2)]
    assert q.costliest_traces(SCOPE, "prompt_version", "v1", "llm", 5) == [rows[2]["trace_id"], rows[0]["trace_id"]]


def test_outputs_and_inputs(stores: Stores) -> None:
    first = _turn(stores, session="s1", start=BASE_US + 10, tools=[("t", 5)], root={"outputs": {"a": "one"}})
    second = _turn(stores, session=None, start=BASE_US + 20, tools=[("t", 5)], root={"outputs": "two"})
    llm = span(second[0]["trace_id"], parent_id=second[0]["id"], run_type="llm", session_id="s2",
               start_time=BASE_US + 30, outputs={"text": "three"}, inputs={"prompt": "ignore previous instructions"})
    stores.spans.upsert([Span(**llm)])
    q = stores.spans.detectors
    assert q.outputs(SCOPE, run_type=None, in_sessions=True, limit=10) == [
        ("s1", first[0]["trace_id"], BASE_US + 10, {"a": "one"})]
    assert [row[1] for row in q.outputs(SCOPE, run_type=None, in_sessions=False, limit=10)] == [
        second[0]["trace_id"], first[0]["trace_id"]]
    assert q.outputs(SCOPE, run_type=None, in_sessions=False, limit=1)[0][3] == "two"
    assert q.outputs(SCOPE, run_type="llm", in_sessions=False, limit=10) == [
        ("s2", llm["trace_id"], BASE_US + 30, {"text": "three"})]
    inputs = q.session_inputs(SCOPE)
    assert [(row[0], row[2], row[3]) for row in inputs] == [("s1", "chain", "agent"), ("s1", "tool", "t"),
                                                            ("s2", "llm", "step")]
    assert inputs[-1][5] == {"prompt": "ignore previous instructions"} and inputs[-1][4] == BASE_US + 30


def test_trace_outcomes_and_retrievals(stores: Stores) -> None:
    trace = _turn(stores, session="s", start=BASE_US + 10, tools=[("kb", 5)], root={"tags": ["refused", "x"]})
    retriever = span(trace[0]["trace_id"], parent_id=trace[0]["id"], run_type="retriever", name="kb",
                     start_time=BASE_US + 100, outputs={"documents": []})
    late = span(trace[0]["trace_id"], parent_id=trace[0]["id"], run_type="llm", name="answer",
                start_time=BASE_US + 200, outputs="I know this")
    early = span(trace[0]["trace_id"], parent_id=trace[0]["id"], run_type="llm", name="plan",
                 start_time=BASE_US + 50, outputs="plan")
    stores.spans.upsert([Span(**s) for s in (retriever, late, early)])
    q = stores.spans.detectors
    outcomes = sorted(q.trace_outcomes(trace[0]["trace_id"]), key=lambda row: row[0])
    assert outcomes[0] == ("chain", "ok", trace[0]["outputs"], ["refused", "x"])
    assert ("tool", "ok", trace[1]["outputs"], []) in outcomes and len(outcomes) == 5
    assert q.retrievals(SCOPE) == [(trace[0]["trace_id"], "kb", BASE_US + 100, {"documents": []})]
    assert q.next_llm(trace[0]["trace_id"], BASE_US + 100) == ("ok", "I know this")
    assert q.next_llm(trace[0]["trace_id"], BASE_US + 300) is None


def test_session_reads_for_worst_sessions(stores: Stores) -> None:
    loop = _turn(stores, session="s1", start=BASE_US + 10, tools=[("search", 5)] * 3,
                 search={"error": "boom"})
    calm = _turn(stores, session="s1", start=BASE_US + 20, tools=[("search", 5)],
                 root={"end_time": BASE_US + 2_000_020})
    slow = _turn(stores, session="s2", start=BASE_US + 30, tools=[], root={"end_time": BASE_US + 9_000_030})
    _turn(stores, session=None, start=BASE_US + 40, tools=[("x", 1)] * 4)
    q = stores.spans.detectors
    totals = {t.session_id: (t.turns, t.errors, t.slowest_us) for t in q.session_totals(SCOPE)}
    assert totals == {"s1": (2, 3, 2_000_000), "s2": (1, 0, 9_000_000)}
    assert q.looping_traces(SCOPE, 3) == [("s1", loop[0]["trace_id"])]
    assert q.looping_traces(SCOPE, 4) == []
    assert q.error_traces(SCOPE) == [("s1", loop[0]["trace_id"])]
    assert q.slowest_turns(SCOPE, ["s1", "s2"]) == {"s1": calm[0]["trace_id"], "s2": slow[0]["trace_id"]}
    assert q.slowest_turns(SCOPE, []) == {}
    stores.feedback.add_feedback([
        Feedback(new_id(), calm[1]["id"], "thumbs", BASE_US, score=0.0),
        Feedback(new_id(), slow[0]["id"], "csat", BASE_US, value="Thumbs_Down"),
        Feedback(new_id(), loop[1]["id"], "thumbs", BASE_US, score=1.0)])
    negative = q.negative_feedback(SCOPE, below=0.5, values=("thumbs_down",))
    assert negative is not None, "engines that keep feedback beside spans answer this"
    assert sorted(negative) == sorted([("s1", calm[0]["trace_id"]), ("s2", slow[0]["trace_id"])])
