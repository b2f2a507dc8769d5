"""The behaviour every SpanStore must have: merge by id, trees in order, sessions with totals."""

from __future__ import annotations

from typing import Any

from tests.spans import BASE_US, new_id, span, tree
from tracehound.model import Span
from tracehound.store.base import SpanCriteria, SpanStore
from tracehound.store.payload import TRUNCATED_KEY


def spans(*dicts: dict) -> list[Span]:
    return [Span(**data) for data in dicts]


def test_a_resent_batch_never_duplicates(span_store: SpanStore) -> None:
    batch = spans(*tree(5))
    span_store.upsert(batch)
    span_store.upsert(batch)
    assert span_store.count() == 5
    assert len(span_store.get_trace(batch[0].trace_id)) == 5


def test_start_then_end_merge_into_one_span(span_store: SpanStore) -> None:
    started = span(end_time=None, metadata={"a": 1}, tags=["x"], outputs=None)
    span_store.upsert(spans(started))
    assert span_store.get_span(started["id"]).status == "running"
    ended = dict(started, end_time=started["start_time"] + 900, metadata={"b": 2}, tags=["y"],
                 outputs={"answer": "done"}, inputs=None, total_tokens=42)
    span_store.upsert(spans(ended))
    merged = span_store.get_span(started["id"])
    assert span_store.count() == 1
    assert merged.status == "ok" and merged.end_us == started["start_time"] + 900
    assert merged.metadata == {"a": 1, "b": 2}
    assert sorted(merged.tags) == ["x", "y"]
    assert merged.inputs == started["inputs"], "a value not re-sent is kept"
    assert merged.outputs == {"answer": "done"} and merged.total_tokens == 42


def test_a_late_running_copy_does_not_undo_the_end(span_store: SpanStore) -> None:
    ended = span()
    span_store.upsert(spans(ended))
    span_store.upsert(spans(dict(ended, end_time=None)))
    stored = span_store.get_span(ended["id"])
    assert stored.status == "ok" and stored.end_us == ended["end_time"]


def test_trace_is_depth_first_with_siblings_by_start(span_store: SpanStore) -> None:
    root = span(name="root", start_time=BASE_US, end_time=BASE_US + 1000)
    trace_id = root["trace_id"]
    late = span(trace_id, parent_id=root["id"], name="late", start_time=BASE_US + 500)
    early = span(trace_id, parent_id=root["id"], name="early", start_time=BASE_US + 100)
    grandchild = span(trace_id, parent_id=early["id"], name="grandchild", start_time=BASE_US + 200)
    span_store.upsert(spans(late, grandchild, root, early))  # arrival order must not matter
    nodes = span_store.get_trace(trace_id)
    assert [(n.span.name, n.depth) for n in nodes] == [("root", 0), ("early", 1), ("grandchild", 2), ("late", 1)]


def test_an_orphan_is_shown_as_a_root_until_its_parent_arrives(span_store: SpanStore) -> None:
    root = span(name="root")
    child = span(root["trace_id"], parent_id=root["id"], name="child")
    span_store.upsert(spans(child))
    assert [(n.span.name, n.depth) for n in span_store.get_trace(root["trace_id"])] == [("child", 0)]
    span_store.upsert(spans(root))
    assert [(n.span.name, n.depth) for n in span_store.get_trace(root["trace_id"])] == [("root", 0), ("child", 1)]


def test_payloads_round_trip_large_and_small(span_store: SpanStore) -> None:
    big = {"document": "lorem ipsum " * 2000, "nested": [{"k": i} for i in range(50)]}
    data = span(inputs=big, outputs="short", error="Traceback: boom", events=[{"name": "retry", "at": 1}])
    span_store.upsert(spans(data))
    stored = span_store.get_span(data["id"])
    assert stored.inputs == big and stored.outputs == "short"
    assert stored.error == "Traceback: boom" and stored.events == [{"name": "retry", "at": 1}]


def test_a_payload_over_the_cap_is_truncated_with_a_marker(span_store: SpanStore) -> None:
    data = span(inputs={"blob": "x" * 200_000}, outputs={"ok": True})
    span_store.upsert(spans(data))
    stored = span_store.get_span(data["id"])
    marker = stored.inputs[TRUNCATED_KEY]
    assert marker["original_bytes"] > 200_000
    assert marker["preview"].startswith('{"blob":"xxx')
    assert stored.outputs == {"ok": True}


def test_session_turns_are_roots_in_order_with_trace_totals(span_store: SpanStore) -> None:
    first = tree(3, session_id="sess-1", start_time=BASE_US)
    second = tree(2, session_id="sess-1", start_time=BASE_US + 10_000)
    second[1].update(run_type="llm", total_tokens=120, cost=0.002, error="RateLimitError: slow down")
    other = tree(2, session_id="sess-2")
    span_store.upsert(spans(*second, *other, *first))
    turns = span_store.session_turns("sess-1")
    assert [t.root.id for t in turns] == [first[0]["id"], second[0]["id"]]
    assert [t.span_count for t in turns] == [3, 2]
    assert (turns[1].total_tokens, turns[1].cost, turns[1].error_count) == (120, 0.002, 1)
    assert span_store.session_turns("nope") == []


def test_list_spans_narrows_by_every_criterion(span_store: SpanStore) -> None:
    batch = tree(4, project="p1", session_id="s", user_id="u1", start_time=BASE_US) + tree(2, project="p2")
    span_store.upsert(spans(*batch))
    assert len(span_store.list_spans(SpanCriteria(project="p1"))) == 4
    assert len(span_store.list_spans(SpanCriteria(project="p1", run_type="tool"))) == 3
    assert [s.name for s in span_store.list_spans(SpanCriteria(project="p1", name="tool_1"))] == ["tool_1"]
    assert len(span_store.list_spans(SpanCriteria(is_root=True))) == 2
    assert len(span_store.list_spans(SpanCriteria(user_id="u1"))) == 1
    window = span_store.list_spans(SpanCriteria(project="p1", start_us=BASE_US + 100, end_us=BASE_US + 200))
    assert [s.name for s in window] == ["tool_1"]
    newest_first = span_store.list_spans(SpanCriteria(project="p1", limit=2))
    assert [s.name for s in newest_first] == ["tool_2", "tool_1"]


def test_trace_ids_of_finds_stored_spans_only(span_store: SpanStore) -> None:
    batch = tree(2)
    span_store.upsert(spans(*batch))
    assert span_store.trace_ids_of([batch[1]["id"], new_id()]) == {batch[1]["id"]: batch[0]["trace_id"]}


def test_prepared_rows_write_like_upsert(span_store: SpanStore) -> None:
    batch = spans(*tree(3))
    span_store.upsert_rows([span_store.to_row(s, BASE_US) for s in batch])
    span_store.upsert_rows([span_store.to_row(s, BASE_US) for s in batch])
    assert span_store.count() == 3
    assert span_store.get_span(batch[1].id) == batch[1]


def test_outline_totals_and_project_delete(span_store: SpanStore) -> None:
    made = tree(3, project="a", metadata={"k": 1})
    made[1].update(run_type="llm", total_tokens=40, cost=0.5)
    made[2].update(error="boom")
    other = tree(2, project="b")
    other[0]["total_tokens"] = 7
    span_store.upsert(spans(*made, *other))
    outline = span_store.get_trace_outline(made[0]["trace_id"])
    full = span_store.get_trace(made[0]["trace_id"])
    assert [(n.span.id, n.depth) for n in outline] == [(n.span.id, n.depth) for n in full]
    assert outline[0].span.inputs is None and outline[0].span.metadata == {} and full[0].span.metadata == {"k": 1}
    assert outline[1].span.total_tokens == 40 and outline[1].span.name == made[1]["name"]
    totals = span_store.trace_totals([made[0]["trace_id"], other[0]["trace_id"], new_id()])
    assert totals == {made[0]["trace_id"]: (3, 1, 40, 0.5), other[0]["trace_id"]: (2, 0, 7, 0.0)}
    assert span_store.trace_totals([]) == {}
    assert span_store.delete_project("a") == 3
    assert span_store.count() == 2 and span_store.get_trace(made[0]["trace_id"]) == []
    assert span_store.delete_project("a") == 0


def _costs(span_store: SpanStore) -> Any:
    costs = getattr(span_store, "costs", None)
    if costs is None:
        from tracehound.store.sqlite.costs import SqliteCostStore

        costs = SqliteCostStore(span_store)  # type: ignore[arg-type]
    return costs


def test_unpriced_models_and_repricing(span_store: SpanStore) -> None:
    batch = tree(3, project="p", start_time=BASE_US)
    batch[1].update(run_type="llm", model="new-model", prompt_tokens=100, completion_tokens=20, total_tokens=120)
    batch[2].update(run_type="llm", model="gpt-4o", prompt_tokens=10, completion_tokens=5, total_tokens=15,
                    cost=0.001)
    span_store.upsert(spans(*batch))
    costs = _costs(span_store)
    [unpriced] = costs.unpriced_models(BASE_US - 1, BASE_US + 10**9)
    assert (unpriced.project, unpriced.model, unpriced.spans, unpriced.total_tokens) == ("p", "new-model", 1, 120)
    usage = costs.usage_rows(BASE_US - 1, BASE_US + 10**9)
    assert sorted(u.id for u in usage) == sorted([batch[1]["id"], batch[2]["id"]])
    assert [u.id for u in costs.usage_rows(BASE_US - 1, BASE_US + 10**9, after_id=usage[0].id)] == [usage[1].id]
    assert costs.set_costs([(batch[1]["id"], 0.25, {"input": 0.2, "output": 0.05}, {"priced_by": "override"})]) == 1
    repriced = span_store.get_span(batch[1]["id"])
    assert repriced.cost == 0.25 and repriced.cost_details == {"input": 0.2, "output": 0.05}
    assert repriced.metadata == {"priced_by": "override"} and span_store.count() == 3
    assert costs.unpriced_models(BASE_US - 1, BASE_US + 10**9) == []
