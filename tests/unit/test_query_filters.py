"""Every filter form against a real SQLite store holding known spans, with the known answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.query_data import BY_ID, LABELS, known_store, sid
from tracehound.errors import FilterSyntaxError, QueryError
from tracehound.query.runs import RunQuery, list_runs
from tracehound.store.sqlite import SqliteSpanStore

ALL = set(LABELS)
T1 = {"a_root", "a_tool", "a_llm"}
T2 = {"b_root", "b_tool"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteSpanStore]:
    store = known_store(tmp_path_factory.mktemp("known"))
    yield store
    store.close()


def labels(store: SqliteSpanStore, **query: object) -> set[str]:
    page = list_runs(store, RunQuery(limit=100, **query))  # type: ignore[arg-type]
    return {BY_ID[run["id"]] for run in page.runs}


CASES = [
    # The LangSmith examples from the issue.
    ('and(gte(start_time, "2026-04-15"), lte(start_time, "2026-05-01"))', T1),
    ('and(eq(run_type, "tool"), gt(latency, 5))', {"a_tool"}),
    # Comparators on every field.
    ('eq(run_type, "tool")', {"a_tool", "b_tool"}),
    ('neq(run_type, "tool")', ALL - {"a_tool", "b_tool"}),
    ('in(run_type, ["llm", "chain"])', ALL - {"a_tool", "b_tool"}),
    (f'eq(id, "{sid("a_root").upper()}")', {"a_root"}),
    (f'eq(trace_id, "{sid("b_root")}")', T2),
    (f'eq(parent_run_id, "{sid("a_root")}")', {"a_tool", "a_llm"}),
    ('eq(name, "lookup_order")', {"a_tool", "b_tool"}),
    ('like(name, "lookup%")', {"a_tool", "b_tool"}),
    ('eq(status, "error")', {"a_tool"}),
    ('eq(status, "success")', ALL - {"a_tool"}),
    ("eq(error, true)", {"a_tool"}),
    ("eq(error, false)", ALL - {"a_tool"}),
    ('lt(end_time, "2026-04-15")', {"c_root"}),
    ('gte(start_time, "-24h")', {"d_root"}),
    ('lt(start_time, "-15m")', ALL),
    ("gte(latency, 8)", {"a_root", "c_root"}),
    ("lt(latency, 0.01)", {"d_root"}),
    ("gt(total_tokens, 100)", {"a_llm", "c_root"}),
    ("gte(prompt_tokens, 100)", {"a_llm"}),
    ("lt(completion_tokens, 50)", {"a_llm"}),
    ("gt(total_cost, 0.005)", {"a_llm"}),
    ('has(tags, "prod")', {"a_root", "c_root"}),
    ('in(tags, ["dev", "beta"])', {"b_root", "c_root"}),
    ('neq(tags, "prod")', ALL - {"a_root", "c_root"}),
    ('and(eq(metadata_key, "session_id"), eq(metadata_value, "s1"))', {"a_root"}),
    ('and(eq(metadata_key, "session_id"), eq(metadata_value, "s2"))', {"b_root"}),
    ('and(eq(metadata_key, "request_id"), eq(metadata_value, "s1"))', set()),
    ('eq(metadata_key, "request_id")', {"a_root"}),
    ('eq(metadata_value, "req-111")', {"a_root"}),
    ("and(eq(metadata_key, \"priority\"), gt(metadata_value, 2))", {"b_root"}),
    ('eq(session_id, "s1")', T1),
    ('eq(user_id, "u2")', T2),
    ('neq(user_id, "u1")', ALL - T1),
    ('eq(model, "gpt-4o")', {"a_llm"}),
    ("eq(is_root, true)", {"a_root", "b_root", "c_root", "d_root"}),
    ("eq(is_root, false)", {"a_tool", "a_llm", "b_tool"}),
    ("eq(step, 2)", {"a_llm"}),
    ('eq(project, "p2")', {"c_root", "d_root"}),
    # Full-text search.
    ('search("refund")', {"a_root", "b_tool"}),
    ('search("REFUND issued")', {"b_tool"}),
    ('search(error, "timeout")', {"a_tool"}),
    ('search(outputs, "refund")', {"b_tool"}),
    ('search(metadata, "req-111")', {"a_root"}),
    ('search("nothing-like-this")', set()),
    # Combinators.
    ('and(eq(run_type, "tool"))', {"a_tool", "b_tool"}),
    ('or(eq(user_id, "u1"), eq(project, "p2"))', T1 | {"c_root", "d_root"}),
    ('not(eq(run_type, "tool"))', ALL - {"a_tool", "b_tool"}),
    ('not(eq(model, "gpt-4o"))', ALL - {"a_llm"}),
    ('and(not(has(tags, "prod")), or(eq(is_root, true), search("refund")))', {"b_root", "b_tool", "d_root"}),
    ('not(or(eq(user_id, "u1"), eq(user_id, "u2")))', {"c_root", "d_root"}),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[case[0] for case in CASES])
def test_filter_answers(store: SqliteSpanStore, text: str, expected: set[str]) -> None:
    assert labels(store, filter=text) == expected


def test_trace_filter_is_a_condition_on_the_root(store: SqliteSpanStore) -> None:
    assert labels(store, run_type="tool", trace_filter='has(tags, "prod")') == {"a_tool"}
    assert labels(store, trace_filter='eq(user_id, "u2")') == T2


def test_tree_filter_matches_traces_with_some_matching_span(store: SqliteSpanStore) -> None:
    assert labels(store, tree_filter="eq(error, true)") == T1
    assert labels(store, is_root=True, tree_filter='search("issued")') == {"b_root"}


def test_request_fields_narrow(store: SqliteSpanStore) -> None:
    assert labels(store, project="p2") == {"c_root", "d_root"}
    assert labels(store, project=["p1", "p2"], run_type=["tool"]) == {"a_tool", "b_tool"}
    assert labels(store, start_time="2026-04-15", end_time="2026-05-01") == T1
    assert labels(store, is_root=False, project="p1") == {"a_tool", "a_llm", "b_tool"}


def test_select_and_payloads(store: SqliteSpanStore) -> None:
    default = list_runs(store, RunQuery(filter=f'eq(id, "{sid("a_root")}")')).runs[0]
    assert "inputs" not in default and default["latency_s"] == 8.0 and default["is_root"] is True
    assert default["tags"] == ["prod"] and default["metadata"]["request_id"] == "req-111"
    chosen = list_runs(store, RunQuery(filter=f'eq(id, "{sid("a_root")}")', select=["id", "inputs"])).runs[0]
    assert chosen == {"id": sid("a_root"), "inputs": {"q": "I want a refund"}}
    with pytest.raises(QueryError, match="cannot select 'nope'"):
        list_runs(store, RunQuery(select=["nope"]))


def test_order_ascending(store: SqliteSpanStore) -> None:
    runs = list_runs(store, RunQuery(order="asc", is_root=True, select=["id"])).runs
    assert [BY_ID[run["id"]] for run in runs] == ["c_root", "a_root", "b_root", "d_root"]


@pytest.mark.parametrize(("text", "message"), [
    ('eq(nope, "x")', "unknown field 'nope'"),
    ('gt(name, "x")', "name takes eq, neq, in, like, not gt"),
    ('gt(latency, "slow")', "takes a number"),
    ('gte(start_time, "yesterday")', "is not an ISO-8601 or relative time"),
    ('gt(feedback_score, "high")', "takes a number"),
    ('eq(run_type, "robot")', "run_type is one of"),
    ('in(run_type, [])', "non-empty"),
    ('search("   ")', "needs some text"),
])
def test_semantic_errors_name_the_problem(store: SqliteSpanStore, text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message) as info:
        list_runs(store, RunQuery(filter=text))
    assert not isinstance(info.value, FilterSyntaxError)
    assert info.value.field == "filter"


def test_limit_is_capped(store: SqliteSpanStore) -> None:
    with pytest.raises(QueryError, match="limit"):
        list_runs(store, RunQuery(limit=5000))


def test_pages_walk_everything_once(store: SqliteSpanStore, tmp_path: Path) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = list_runs(store, RunQuery(limit=2, cursor=cursor, select=["id"]))
        seen.extend(run["id"] for run in page.runs)
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(BY_ID) and len(seen) == len(set(seen))
    with pytest.raises(QueryError, match="different query"):
        list_runs(store, RunQuery(limit=2, filter="eq(is_root, true)", cursor=list_runs(
            store, RunQuery(limit=2)).cursor))
    with pytest.raises(QueryError, match="not one this server issued"):
        list_runs(store, RunQuery(cursor="garbage!"))
