"""The filter language gives the same answers on every span engine (the cases of tests/unit/test_query_filters.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engines import chdb_url
from tests.unit.query_data import BY_ID, known_spans
from tests.unit.test_query_filters import CASES, T1, T2
from tracehound.query.runs import parse_checked
from tracehound.store.base import SpanStore
from tracehound.store.runs import RunKey, RunSelection
from tracehound.timefmt import now_us

ENGINES = ["sqlite", "clickhouse"]


@pytest.fixture(scope="module", params=ENGINES)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpanStore]:
    if request.param == "sqlite":
        from tracehound.store.sqlite import SqliteSpanStore

        store: SpanStore = SqliteSpanStore(tmp_path_factory.mktemp("known") / "known.db")
    else:
        from tracehound.store.clickhouse import ClickHouseSpanStore

        store = ClickHouseSpanStore(chdb_url(request.getfixturevalue("chdb_dir")))
    store.upsert(known_spans())
    yield store
    store.close()


def labels(store: SpanStore, *, order: str = "desc", **selection: object) -> list[str]:
    now = now_us()
    for name in ("filter", "trace_filter", "tree_filter"):
        if isinstance(selection.get(name), str):
            selection[name] = parse_checked(selection[name], now, name)  # type: ignore[arg-type]
    page = store.runs.page(RunSelection(**selection), fields=("id",), order=order,  # type: ignore[arg-type]
                           limit=100, mark=store.runs.high_water())
    return [BY_ID[run["id"]] for _, run in page]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[case[0] for case in CASES])
def test_filter_answers(store: SpanStore, text: str, expected: set[str]) -> None:
    assert set(labels(store, filter=text)) == expected


def test_trace_and_tree_filters(store: SpanStore) -> None:
    assert set(labels(store, run_types=("tool",), trace_filter='has(tags, "prod")')) == {"a_tool"}
    assert set(labels(store, trace_filter='eq(user_id, "u2")')) == T2
    assert set(labels(store, tree_filter="eq(error, true)")) == T1
    assert set(labels(store, is_root=True, tree_filter='search("issued")')) == {"b_root"}


def test_order_and_paging_are_complete_and_duplicate_free(store: SpanStore) -> None:
    assert labels(store, order="asc", is_root=True) == ["c_root", "a_root", "b_root", "d_root"]
    mark = store.runs.high_water()
    seen: list[str] = []
    after: RunKey | None = None
    while True:
        page = store.runs.page(RunSelection(), fields=("id", "start_time"), order="desc", limit=2, mark=mark,
                               after=after)
        if not page:
            break
        seen.extend(run["id"] for _, run in page)
        after = page[-1][0]
    assert len(seen) == len(set(seen)) == len(BY_ID)


def test_fields_come_back_as_model_values(store: SpanStore) -> None:
    node = parse_checked(f'eq(id, "{next(k for k, v in BY_ID.items() if v == "a_root")}")', now_us())
    fields = ("id", "latency_s", "is_root", "tags", "metadata", "inputs", "events", "start_time", "cost_details")
    [(_, run)] = store.runs.page(RunSelection(filter=node), fields=fields, order="desc", limit=5,
                                 mark=store.runs.high_water())
    assert run["latency_s"] == 8.0 and run["is_root"] is True and run["tags"] == ["prod"]
    assert run["metadata"]["request_id"] == "req-111" and run["inputs"] == {"q": "I want a refund"}
    assert run["events"] == [] and isinstance(run["start_time"], int) and run["cost_details"] is None
