"""``spans.runs`` and ``spans.lookups``: what every engine must answer for a checked filter tree."""

from __future__ import annotations

import pytest

from tests.spans import BASE_US, new_id, span, tree
from tracehound.model import Span
from tracehound.query.fields import check
from tracehound.query.parser import parse_filter
from tracehound.store.base import FeedbackStore, SpanStore
from tracehound.store.factory import Stores
from tracehound.store.filter_ast import Node
from tracehound.store.runs import RUN_FIELDS, RunKey, RunSelection


def _node(text: str) -> Node:
    return check(parse_filter(text), now_us=BASE_US + 86_400_000_000)


def _store(spans: SpanStore, *dicts: dict) -> list[Span]:
    made = [Span(**data) for data in dicts]
    spans.upsert(made)
    return made


def _ids(page: list) -> list[str]:
    return [run["id"] for _, run in page]


def _page(spans: SpanStore, selection: RunSelection = RunSelection(), **options: object) -> list:
    settings = {"fields": ("id",), "order": "desc", "limit": 100, "mark": spans.runs.high_water(), **options}
    return spans.runs.page(selection, **settings)  # type: ignore[arg-type]


@pytest.fixture
def traces(stores: Stores) -> list[list[dict]]:
    made = [tree(3, project="support", session_id="s1", user_id="u1", tags=["prod"],
                 metadata={"request_id": "req-7f3a"}),
            tree(2, project="support", session_id="s2", user_id="u2"),
            tree(4, project="billing", user_id="u1")]
    made[1][1]["status"] = "error"
    made[1][1]["error"] = "ConnectionError: upstream 502"
    for group in made:
        _store(stores.spans, *group)
    return made


def test_a_page_is_ordered_by_start_then_position(stores: Stores, traces: list[list[dict]]) -> None:
    every = [s for group in traces for s in group]
    newest_first = _page(stores.spans)
    assert sorted(_ids(newest_first)) == sorted(s["id"] for s in every)
    keys = [key for key, _ in newest_first]
    assert keys == sorted(keys, key=lambda k: (k.start_us, k.position), reverse=True)
    assert len({key.position for key in keys}) == len(keys)
    oldest_first = _page(stores.spans, order="asc")
    assert _ids(oldest_first) == list(reversed(_ids(newest_first)))
    assert [key.start_us for key in keys] == sorted((s["start_time"] for s in every), reverse=True)


def test_after_resumes_strictly_after_a_key_in_either_order(stores: Stores, traces: list[list[dict]]) -> None:
    whole = _page(stores.spans)
    first = _page(stores.spans, limit=4)
    rest = _page(stores.spans, after=first[-1][0])
    assert _ids(first) + _ids(rest) == _ids(whole)
    ascending = _page(stores.spans, order="asc")
    assert _ids(_page(stores.spans, order="asc", after=ascending[2][0])) == _ids(ascending[3:])
    # Two spans sharing a start time are told apart by position.
    twin = dict(traces[0][0], id=new_id(), trace_id=None, parent_id=None)
    twin["trace_id"] = twin["id"]
    _store(stores.spans, twin)
    both = _page(stores.spans, RunSelection(start_us=twin["start_time"], end_us=twin["start_time"] + 1))
    assert len(both) == 2
    assert _ids(_page(stores.spans, RunSelection(start_us=twin["start_time"], end_us=twin["start_time"] + 1),
                      after=both[0][0])) == _ids(both[1:])


def test_the_mark_hides_spans_committed_later(stores: Stores, traces: list[list[dict]]) -> None:
    mark = stores.spans.runs.high_water()
    late = _store(stores.spans, span(project="support", start_time=BASE_US + 10**9))
    assert late[0].id not in _ids(_page(stores.spans, mark=mark))
    assert late[0].id in _ids(_page(stores.spans))
    assert stores.spans.runs.high_water() >= mark


def test_selection_fields_narrow(stores: Stores, traces: list[list[dict]]) -> None:
    support = {s["id"] for group in traces[:2] for s in group}
    assert set(_ids(_page(stores.spans, RunSelection(projects=("support",))))) == support
    assert set(_ids(_page(stores.spans, RunSelection(projects=("support", "billing"))))) == {
        s["id"] for group in traces for s in group}
    tools = {s["id"] for group in traces for s in group if s["run_type"] == "tool"}
    assert set(_ids(_page(stores.spans, RunSelection(run_types=("tool",))))) == tools
    assert set(_ids(_page(stores.spans, RunSelection(is_root=True)))) == {group[0]["id"] for group in traces}
    start = traces[1][0]["start_time"]
    inside = _ids(_page(stores.spans, RunSelection(start_us=start, end_us=traces[2][0]["start_time"])))
    assert set(inside) == {s["id"] for s in traces[1]}


@pytest.mark.parametrize(("text", "expect"), [
    ('eq(run_type, "tool")', lambda s: s["run_type"] == "tool"),
    ('and(eq(project, "support"), eq(error, true))', lambda s: s.get("status") == "error"),
    ('eq(user_id, "u1")', lambda s: s.get("user_id") == "u1"),
    ('has(tags, "prod")', lambda s: "prod" in s.get("tags", [])),
    ('and(eq(metadata_key, "request_id"), eq(metadata_value, "req-7f3a"))',
     lambda s: s.get("metadata", {}).get("request_id") == "req-7f3a"),
    ('search("upstream")', lambda s: "upstream" in (s.get("error") or "")),
    ('not(eq(session_id, "s1"))', lambda s: s.get("session_id") != "s1"),
])
def test_a_filter_tree_selects_the_matching_spans(stores: Stores, traces: list[list[dict]], text: str,
                                                  expect: object) -> None:
    want = {s["id"] for group in traces for s in group if expect(s)}  # type: ignore[operator]
    assert want, "the data must exercise the filter"
    assert set(_ids(_page(stores.spans, RunSelection(filter=_node(text))))) == want


def test_trace_and_tree_filters_select_whole_traces(stores: Stores, traces: list[list[dict]]) -> None:
    failing = RunSelection(tree_filter=_node("eq(error, true)"))
    assert set(_ids(_page(stores.spans, failing))) == {s["id"] for s in traces[1]}
    by_root = RunSelection(trace_filter=_node('eq(project, "billing")'), run_types=("tool",))
    assert set(_ids(_page(stores.spans, by_root))) == {s["id"] for s in traces[2][1:]}


def test_fields_come_back_as_model_values(stores: Stores) -> None:
    root, child = tree(2, metadata={"k": "v"}, tags=["a"], session_id="s")
    root["total_tokens"], root["cost"], root["events"] = 12, 0.5, [{"name": "retry"}]
    _store(stores.spans, root, child)
    page = _page(stores.spans, RunSelection(is_root=True), fields=RUN_FIELDS)
    ((key, run),) = page
    assert set(run) == set(RUN_FIELDS) and isinstance(key, RunKey)
    assert run["id"] == root["id"] and run["start_time"] == root["start_time"] == key.start_us
    assert run["end_time"] == root["end_time"] and run["latency_s"] == pytest.approx(
        (root["end_time"] - root["start_time"]) / 1e6)
    assert run["inputs"] == root["inputs"] and run["outputs"] == root["outputs"]
    assert run["metadata"] == {"k": "v"} and run["tags"] == ["a"] and run["events"] == [{"name": "retry"}]
    assert run["is_root"] is True and run["parent_id"] is None and run["status"] == "ok"
    assert run["total_tokens"] == 12 and run["cost"] == 0.5 and run["error"] is None
    (_, bare), = _page(stores.spans, RunSelection(is_root=False), fields=("metadata", "tags", "events", "is_root"))
    assert bare == {"metadata": None, "tags": None, "events": [], "is_root": False}


def test_a_feedback_filter_joins_the_feedback_beside_the_spans(stores: Stores, traces: list[list[dict]]) -> None:
    from tracehound.store.base import Feedback

    feedback: FeedbackStore = stores.feedback
    target = traces[0][1]["id"]
    feedback.add_feedback([Feedback(new_id(), target, "correctness", BASE_US, score=0.2)])
    low = RunSelection(filter=_node('and(eq(feedback_key, "correctness"), lt(feedback_score, 0.5))'))
    assert _ids(_page(stores.spans, low)) == [target]


def test_find_traces_by_condition(stores: Stores, traces: list[list[dict]]) -> None:
    found = stores.spans.lookups.find_traces(_node('eq(user_id, "u1")'), 10)
    by_trace = {match.trace_id: match for match in found}
    assert set(by_trace) == {traces[0][0]["trace_id"], traces[2][0]["trace_id"]}
    first = by_trace[traces[0][0]["trace_id"]]
    root = traces[0][0]
    assert (first.root_id, first.name, first.project, first.session_id, first.user_id, first.status) == (
        root["id"], "agent", "support", "s1", "u1", "ok")
    assert (first.start_us, first.end_us, first.span_count, first.error_count, first.matched_spans) == (
        root["start_time"], root["end_time"], 3, 0, 1)
    limited = stores.spans.lookups.find_traces(_node('eq(user_id, "u1")'), 1)
    assert [m.trace_id for m in limited] == [traces[2][0]["trace_id"]], "the most recent trace first"
    by_metadata = stores.spans.lookups.find_traces(_node('eq(metadata_value, "req-7f3a")'), 10)
    assert [m.trace_id for m in by_metadata] == [traces[0][0]["trace_id"]]
    errors = stores.spans.lookups.find_traces(_node('eq(session_id, "s2")'), 10)
    assert [(m.error_count, m.span_count) for m in errors] == [(1, 2)]


def test_tool_failures_newest_first(stores: Stores) -> None:
    made = []
    for index in range(3):
        root, tool = tree(2, project="p")
        tool.update(name="lookup", status="error", error=f"Timeout {index}\nstack", session_id=f"s{index}",
                    user_id=f"u{index}")
        made.append(tool)
        _store(stores.spans, root, tool)
    other_root, other = tree(2, project="q")
    other.update(name="lookup", status="error", error="x")
    _store(stores.spans, other_root, other)
    failures = stores.spans.lookups.tool_failures("lookup", made[1]["start_time"], "p")
    assert [(f.trace_id, f.session_id, f.user_id, f.start_us, f.error) for f in failures] == [
        (t["trace_id"], t["session_id"], t["user_id"], t["start_time"], t["error"]) for t in reversed(made[1:])]
    everywhere = stores.spans.lookups.tool_failures("lookup", 0)
    assert {f.trace_id for f in everywhere} == {t["trace_id"] for t in [*made, other]}
    assert stores.spans.lookups.tool_failures("missing", 0) == []
