"""Server-side pricing at ingest, price overrides, unpriced models and re-pricing (in process, real SQLite file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from tests.spans import BASE_US, new_id, span
from tests.unit.test_ingest_usage import ANTHROPIC, OPENAI_CHAT
from tracehound.cli import main
from tracehound.settings import Settings
from tracehound.timefmt import iso, now_us

pytestmark = pytest.mark.anyio
M = 1_000_000


def llm(trace_id: str, parent_id: str, **fields: Any) -> dict[str, Any]:
    return span(trace_id, parent_id=parent_id, name="chat", run_type="llm", **fields)


async def _stored(api: httpx.AsyncClient, span_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/spans/{span_id}")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


async def test_an_llm_span_returning_a_completion_gets_tokens_model_and_cost(api: httpx.AsyncClient) -> None:
    root = span(name="agent")
    openai = llm(root["id"], root["id"], outputs=OPENAI_CHAT)
    claude = llm(root["id"], root["id"], outputs={"output": ANTHROPIC}, model="claude-sonnet-4-0")
    assert (await api.post("/api/v1/spans", json={"spans": [root, openai, claude]})).status_code == 200
    got = await _stored(api, openai["id"])
    assert (got["model"], got["prompt_tokens"], got["completion_tokens"], got["total_tokens"]) == (
        "gpt-4o-mini-2024-07-18", 1200, 300, 1500)
    # 176 uncached input at 0.15, 1024 cache reads at 0.075, 300 output at 0.60 (USD per 1M).
    assert got["cost_details"] == pytest.approx({"input": 176 * 0.15 / M, "cached_input": 1024 * 0.075 / M,
                                                 "output": 300 * 0.60 / M})
    assert got["cost"] == pytest.approx(sum(got["cost_details"].values()))
    assert got["metadata"]["usage_source"] == "outputs:openai.chat"
    assert got["metadata"]["cost_source"] == "table:gpt-4o-mini@2024-07-18"
    assert "unpinned-model" not in got["tags"]  # a dated snapshot
    got = await _stored(api, claude["id"])
    # The span's own model (an alias) is kept, and tagged; cache writes and reads priced apart.
    assert got["model"] == "claude-sonnet-4-0" and "unpinned-model" in got["tags"]
    assert got["cost_details"] == pytest.approx({"input": 50 * 3 / M, "cached_input": 1000 * 0.3 / M,
                                                 "cache_write": 200 * 3.75 / M, "output": 20 * 15 / M})
    assert (await _stored(api, root["id"]))["cost"] is None  # parents never carry a child's cost
    # Steps numbered by start time when the source sent none and the root came in the same batch.
    assert [(await _stored(api, s["id"]))["step"] for s in (root, openai, claude)] == [0, 1, 2]


async def test_a_reported_cost_is_kept_and_an_unknown_model_is_listed_not_zero(api: httpx.AsyncClient) -> None:
    root = span(name="agent")
    reported = llm(root["id"], root["id"], model="gpt-4o-2024-08-06", prompt_tokens=10, completion_tokens=5,
                   cost=0.5)
    unknown = llm(root["id"], root["id"], model="house-llm-v2", prompt_tokens=100, completion_tokens=50)
    assert (await api.post("/api/v1/spans", json={"spans": [root, reported, unknown]})).status_code == 200
    assert (await _stored(api, reported["id"]))["cost"] == 0.5
    assert (await _stored(api, unknown["id"]))["cost"] is None
    listed = (await api.get("/api/v1/prices/unpriced", params={"start": iso(BASE_US - M)})).json()["models"]
    assert [(m["project"], m["model"], m["spans"], m["total_tokens"]) for m in listed] == [
        ("default", "house-llm-v2", 1, 150)]


async def test_overrides_by_api_price_new_spans_and_reprice_past_ones(api: httpx.AsyncClient) -> None:
    root = span(name="agent", project="acme")
    old = llm(root["id"], root["id"], project="acme", model="house-llm-v2", prompt_tokens=1000,
              completion_tokens=1000)
    other = span(name="agent", project="beta")
    elsewhere = llm(other["id"], other["id"], project="beta", model="house-llm-v2", prompt_tokens=1000,
                    completion_tokens=1000)
    assert (await api.post("/api/v1/spans", json={"spans": [root, old, other, elsewhere]})).status_code == 200
    put = await api.put("/api/v1/prices/overrides", json={"project": "acme", "model": "house-llm-v2", "input": 2.0,
                                                          "output": 6.0, "source": "contract 2026-03"})
    assert put.status_code == 200 and put.json()["effective"] == "2000-01-01"
    fresh = llm(root["id"], root["id"], project="acme", model="house-llm-v2", prompt_tokens=1000,
                completion_tokens=1000)
    assert (await api.post("/api/v1/spans", json={"spans": [fresh]})).status_code == 200
    got = await _stored(api, fresh["id"])
    assert got["cost"] == pytest.approx(0.008) and got["metadata"]["cost_source"] == "project:house-llm-v2@2000-01-01"
    # The past window: one command re-prices acme's span; beta has no price and stays null.
    window = {"start": iso(BASE_US - M), "end": iso(now_us() + M)}
    dry = (await api.post("/api/v1/prices/reprice", json={**window, "dry_run": True})).json()
    assert dry["repriced"] == 1 and dry["unchanged"] == 1 and dry["unpriced"] == {"house-llm-v2": 1}
    assert (await _stored(api, old["id"]))["cost"] is None
    done = (await api.post("/api/v1/prices/reprice", json=window)).json()
    assert done["repriced"] == 1 and done["cost_after"] == pytest.approx(0.016)
    assert (await _stored(api, old["id"]))["cost"] == pytest.approx(0.008)
    assert (await _stored(api, elsewhere["id"]))["cost"] is None
    # Rollups follow the re-priced cost.
    summary = (await api.get("/api/v1/metrics/summary", params={**window, "group_by": "project", "run_type": "llm"}))
    costs = {row["project"]: row["cost"] for row in summary.json()["groups"]}
    assert costs["acme"] == pytest.approx(0.016) and not costs.get("beta")
    # Listing shows the table with sources and the override; deleting it brings back "unpriced".
    listed = (await api.get("/api/v1/prices", params={"project": "acme"})).json()
    assert listed["overrides"][0]["source"] == "contract 2026-03"
    assert all(row["source"].startswith("https://") and row["effective"] for row in listed["prices"])
    assert (await api.delete("/api/v1/prices/overrides", params={"project": "acme", "model": "house-llm-v2"})
            ).json() == {"deleted": 1}
    assert (await api.delete("/api/v1/prices/overrides", params={"model": "house-llm-v2"})).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"model": "m", "output": 1}, "input"), ({"model": "m", "input": -1, "output": 1}, "input"),
    ({"model": "m", "input": 1, "output": "cheap"}, "output"), ({"input": 1, "output": 1}, "model"),
    ({"model": "m", "input": 1, "output": 1, "effective": "yesterday"}, "effective"),
    ({"model": "m", "input": 1, "output": 1, "context_window": -5}, "context_window"),
    ({"model": "", "input": 1, "output": 1}, "model"), ({"model": "m", "input": True, "output": 1}, "input"),
])
async def test_a_bad_override_is_a_400_naming_its_field(api: httpx.AsyncClient, body: dict[str, Any],
                                                        field: str) -> None:
    response = await api.put("/api/v1/prices/overrides", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert (await api.get("/api/v1/prices")).json()["overrides"] == []


async def test_a_body_that_is_not_an_object_is_a_400(api: httpx.AsyncClient) -> None:
    infinite = await api.put("/api/v1/prices/overrides", content=b'{"model": "m", "input": 1e999, "output": 1}')
    assert infinite.status_code == 400 and infinite.json()["error"]["field"] == "input"
    for content in (b"[1, 2]", b"not json"):
        response = await api.put("/api/v1/prices/overrides", content=content)
        assert response.status_code == 400 and response.json()["error"]["code"]
    bad = await api.post("/api/v1/prices/reprice", json={"window": 7})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "window"


def test_the_cli_sets_lists_and_reprices(settings: Settings, tmp_path: Path) -> None:
    from tracehound.ingest.pipeline import IngestPipeline
    from tracehound.model import Span
    from tracehound.store.factory import open_stores

    stores = open_stores(settings)  # the stores the CLI below opens too (SQLite, or the scale-out pair)
    pipeline = IngestPipeline(stores.spans, stores.meta, settings)
    pipeline.start()
    root = new_id()
    pipeline.submit_sync([Span(id=root, trace_id=root, name="agent", start_time=BASE_US, end_time=BASE_US + 10),
                          Span(id=new_id(), trace_id=root, parent_id=root, name="chat", run_type="llm",
                               start_time=BASE_US + 1, end_time=BASE_US + 5, model="house-llm-v2",
                               prompt_tokens=2_000_000, completion_tokens=0)])
    pipeline.stop()
    stores.close()
    runner = CliRunner()
    data = ["--data-dir", settings.data_dir]
    result = runner.invoke(main, ["prices", "unpriced", *data, "--window", "3650d", "--json"])
    assert result.exit_code == 0 and '"house-llm-v2"' in result.output
    result = runner.invoke(main, ["prices", "set", "house-llm-v2", *data, "--input", "0.5", "--output", "1"])
    assert result.exit_code == 0, result.output
    bad = runner.invoke(main, ["prices", "set", "x", *data, "--input", "-1", "--output", "1"])
    assert bad.exit_code != 0 and "--input" in bad.output
    result = runner.invoke(main, ["prices", "reprice", *data, "--window", "3650d"])
    assert result.exit_code == 0 and '"repriced": 1' in result.output and '"cost_after": 1.0' in result.output
    result = runner.invoke(main, ["prices", "list", *data])
    assert result.exit_code == 0 and "house-llm-v2" in result.output and "gpt-4o-mini" in result.output
    assert runner.invoke(main, ["prices", "delete", "house-llm-v2", *data]).exit_code == 0
    assert runner.invoke(main, ["prices", "delete", "house-llm-v2", *data]).exit_code != 0


async def test_steps_of_a_trace_sent_over_several_requests_follow_start_order(api: httpx.AsyncClient) -> None:
    root = span(name="agent", end_time=None)  # a LangSmith post: the root starts, its end comes last
    first = span(root["id"], parent_id=root["id"], name="first", start_time=root["start_time"] + 10)
    second = span(root["id"], parent_id=root["id"], name="second", start_time=root["start_time"] + 20)
    for batch in ([root], [first], [second]):
        assert (await api.post("/api/v1/spans", json={"spans": batch})).status_code == 200
    assert [(await _stored(api, s["id"]))["step"] for s in (root, first, second)] == [0, None, None]
    ended = {**root, "end_time": root["start_time"] + 100, "outputs": {"answer": "done"}}
    assert (await api.post("/api/v1/spans", json={"spans": [ended]})).status_code == 200
    got = [await _stored(api, s["id"]) for s in (root, first, second)]
    assert [g["step"] for g in got] == [0, 1, 2]
    # Re-sent for the step only: what was stored stays (inputs, outputs, status, end).
    assert got[1]["inputs"] == first["inputs"] and got[1]["outputs"] == first["outputs"]
    assert got[1]["status"] == "ok" and got[0]["outputs"] == {"answer": "done"}
