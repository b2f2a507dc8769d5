"""Datasets: versioned examples in SQLite, promotion of runs, JSONL/CSV, and the HTTP API."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.spans import span
from tracehound.errors import Conflict, MalformedRequest, NotFound
from tracehound.evals.datasets import export_examples, parse_examples, promote_run
from tracehound.model import Span
from tracehound.store.base import NewExample
from tracehound.store.sqlite import SqliteMetaStore, SqliteSpanStore


@pytest.fixture
def meta(tmp_path: Path) -> SqliteMetaStore:
    store = SqliteMetaStore(tmp_path / "t.db")
    yield store
    store.close()


def test_every_change_is_a_version_and_old_versions_stay_readable(meta: SqliteMetaStore) -> None:
    ds = meta.datasets.create_dataset("refunds", description="refund questions")
    first, second = meta.datasets.add_examples(ds.id, [
        NewExample({"q": "a"}, {"answer": "A"}, splits=["smoke", "full"]),
        NewExample({"q": "b"}, {"answer": "B"}, splits=["full"]),
    ])
    assert first.version == second.version == 1
    edited = meta.datasets.update_example(first.id, outputs={"answer": "A2"})
    assert edited.version == 2 and edited.inputs == {"q": "a"}
    assert meta.datasets.retire_examples([second.id]) == 3
    assert [e.outputs for e in meta.datasets.list_examples(ds.id)] == [{"answer": "A2"}]
    assert [e.outputs for e in meta.datasets.list_examples(ds.id, version=1)] == [{"answer": "A"}, {"answer": "B"}]
    assert [e.outputs for e in meta.datasets.list_examples(ds.id, version=2)] == [{"answer": "A2"}, {"answer": "B"}]
    assert [e.id for e in meta.datasets.list_examples(ds.id, version=1, split="smoke")] == [first.id]
    assert meta.datasets.get_example(first.id, version=1).outputs == {"answer": "A"}
    assert [v.version for v in meta.datasets.list_versions(ds.id)] == [1, 2, 3]
    dataset = meta.datasets.get_dataset("refunds")
    assert dataset.version == 3 and dataset.example_count == 1
    assert meta.datasets.get_dataset(ds.id) == dataset


def test_names_are_unique_and_unknown_things_are_not_found(meta: SqliteMetaStore) -> None:
    meta.datasets.create_dataset("x")
    with pytest.raises(Conflict):
        meta.datasets.create_dataset("x")
    with pytest.raises(NotFound):
        meta.datasets.update_example("nope", outputs=1)
    with pytest.raises(NotFound):
        meta.datasets.add_examples("missing-id", [NewExample({})])
    assert meta.datasets.delete_dataset("x") and not meta.datasets.delete_dataset("x")
    assert meta.datasets.list_datasets() == []


def test_promoting_a_run_copies_its_inputs_and_keeps_provenance(tmp_path: Path) -> None:
    spans = SqliteSpanStore(tmp_path / "t.db")
    meta = SqliteMetaStore(tmp_path / "t.db")
    bad = Span(**span(project="support", inputs={"question": "refund?"}, outputs={"answer": "no idea"}))
    spans.upsert([bad])
    meta.datasets.create_dataset("regressions")
    example = promote_run(spans, meta.datasets, "regressions", bad.id, outputs={"answer": "5 days"},
                          metadata={"incident_id": "INC-1", "category": "refunds"}, splits=["smoke"])
    assert example.inputs == {"question": "refund?"} and example.outputs == {"answer": "5 days"}
    assert example.source_run_id == bad.id and example.splits == ["smoke"]
    assert example.metadata == {"promoted_from_run": bad.id, "promoted_from_trace": bad.trace_id,
                                "promoted_from_project": "support", "incident_id": "INC-1", "category": "refunds"}
    with pytest.raises(NotFound):
        promote_run(spans, meta.datasets, "regressions", "00000000-0000-0000-0000-000000000000")
    spans.close()
    meta.close()


def test_jsonl_and_csv_round_trip(meta: SqliteMetaStore) -> None:
    ds = meta.datasets.create_dataset("rt")
    added = meta.datasets.add_examples(ds.id, [NewExample({"q": "a, \"quoted\""}, {"a": 1}, {"category": "c"},
                                                          ["smoke", "full"])])
    for fmt in ("jsonl", "csv"):
        parsed = parse_examples(export_examples(added, fmt), fmt)
        assert [(p.inputs, p.outputs, p.metadata, p.splits, p.id) for p in parsed] == [
            ({"q": "a, \"quoted\""}, {"a": 1}, {"category": "c"}, ["smoke", "full"], added[0].id)]
    flat = parse_examples("inputs.question,outputs.answer,metadata.category,splits\nwhere?,here,geo,smoke\n", "csv")
    assert flat[0].inputs == {"question": "where?"} and flat[0].outputs == {"answer": "here"}
    assert flat[0].metadata == {"category": "geo"} and flat[0].splits == ["smoke"]
    with pytest.raises(MalformedRequest, match="line 2"):
        parse_examples('{"inputs": 1}\n{oops\n', "jsonl")
    with pytest.raises(MalformedRequest, match="inputs"):
        parse_examples('{"outputs": 1}\n', "jsonl")




@pytest.mark.anyio
async def test_the_dataset_api_end_to_end(api: httpx.AsyncClient) -> None:
    run = span(project="support", inputs={"question": "refund?"}, outputs={"answer": "no"})
    other = span(project="support", status="error", error="boom", inputs={"question": "crash?"})
    assert (await api.post("/api/v1/spans", json={"spans": [run, other]})).status_code == 200
    created = await api.post("/api/v1/datasets", json={"name": "support-regressions"})
    assert created.status_code == 201 and created.json()["version"] == 0
    assert (await api.post("/api/v1/datasets", json={"name": "support-regressions"})).status_code == 409
    promoted = await api.post("/api/v1/datasets/support-regressions/promote", json={
        "run_id": run["id"], "outputs": {"answer": "5 days"}, "metadata": {"incident_id": "INC-7"},
        "splits": ["smoke"]})
    assert promoted.status_code == 201, promoted.text
    example = promoted.json()
    assert example["inputs"] == {"question": "refund?"} and example["metadata"]["promoted_from_run"] == run["id"]
    bulk = await api.post("/api/v1/datasets/support-regressions/promote_bulk",
                          json={"project": "support", "status": "error", "splits": ["full"]})
    assert bulk.status_code == 201 and bulk.json()["promoted"] == 1
    listed = (await api.get("/api/v1/datasets/support-regressions/examples", params={"split": "smoke"})).json()
    assert [e["id"] for e in listed["examples"]] == [example["id"]] and listed["version"] == 2
    patched = await api.patch(f"/api/v1/examples/{example['id']}", json={"splits": ["smoke", "full"]})
    assert patched.json()["version"] == 3 and patched.json()["outputs"] == {"answer": "5 days"}
    exported = await api.get("/api/v1/datasets/support-regressions/export", params={"format": "csv"})
    assert exported.status_code == 200 and exported.text.startswith("id,inputs,outputs")
    await api.post("/api/v1/datasets", json={"name": "copy"})
    imported = await api.post("/api/v1/datasets/copy/import", params={"format": "csv"}, content=exported.content)
    assert imported.json() == {"imported": 2, "version": 1}
    assert (await api.delete(f"/api/v1/examples/{example['id']}")).json()["version"] == 4
    versions = (await api.get("/api/v1/datasets/support-regressions/versions")).json()["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3, 4]
    assert (await api.get("/api/v1/datasets/nope")).json()["error"]["code"] == "not_found"
    bad = await api.post("/api/v1/datasets", json={"nam": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    assert (await api.delete("/api/v1/datasets/copy")).status_code == 200
    names = [d["name"] for d in (await api.get("/api/v1/datasets")).json()["datasets"]]
    assert names == ["support-regressions"]


@pytest.mark.anyio
async def test_the_feedback_api(api: httpx.AsyncClient) -> None:
    run = span()
    await api.post("/api/v1/spans", json={"spans": [run]})
    one = await api.post("/api/v1/feedback", json={"run_id": run["id"], "key": "thumbs", "score": 1,
                                                   "source": "user", "source_info": {"user_id": "u1"}})
    assert one.status_code == 201 and one.json()["score"] == 1.0
    many = await api.post("/api/v1/feedback", json={"feedback": [
        {"run_id": run["id"], "key": "csat", "score": 4, "source": "user"},
        {"run_id": run["id"], "key": "resolution", "value": "escalated", "source": "user"}]})
    assert len(many.json()["feedback"]) == 2
    listed = (await api.get("/api/v1/feedback", params={"run_id": run["id"]})).json()["feedback"]
    assert sorted(item["key"] for item in listed) == ["csat", "resolution", "thumbs"]
    assert (await api.post("/api/v1/feedback", json={"run_id": run["id"], "key": "x"})).status_code == 422
    assert (await api.delete(f"/api/v1/feedback/{one.json()['id']}")).status_code == 200
    assert (await api.delete(f"/api/v1/feedback/{one.json()['id']}")).status_code == 404
