"""The detectors API (list, run, save, results, errors) and the ``tracehound detect`` CLI over a real store."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.unit.detector_data import ago, turn
from tracehound.cli import main
from tracehound.model import Span
from tracehound.settings import Settings

pytestmark = pytest.mark.anyio


def _versions() -> list[Span]:
    spans: list[Span] = []
    for v, (version, tokens) in enumerate((("v1", 400), ("v2", 1200))):
        for i in range(25):
            spans += turn(ago(3 - v) + i * 1000, [{"run_type": "llm", "name": "answer", "total_tokens": tokens,
                                                   "metadata": {"prompt_version": version}}])
    return spans


async def test_list_run_save_and_results(api: httpx.AsyncClient) -> None:
    import msgspec

    listed = (await api.get("/api/v1/detectors")).json()
    assert {d["name"] for d in listed["detectors"]} == {
        "tool_drift", "silent_retrieval_miss", "prompt_injection_leak", "slow_subtool", "cost_spike",
        "hallucination", "worst_sessions", "contradiction"}
    assert listed["schedule"] == {"interval_s": 0.0, "detectors": {}}
    body = msgspec.json.decode(msgspec.json.encode({"spans": _versions()}))
    assert (await api.post("/api/v1/spans", json=body)).status_code == 200
    ran = (await api.post("/api/v1/detectors/cost_spike/run", params={"save": "true"},
                          json={"window": "6h", "threshold": 2})).json()
    assert ran["fired"] and ran["findings"][0]["key"] == "v2" and len(ran["traces"]) == 20 and ran["id"]
    quiet = (await api.post("/api/v1/detectors/cost-spike/run", json={"window": "6h", "threshold": 4})).json()
    assert not quiet["fired"] and "id" not in quiet
    (saved,) = (await api.get("/api/v1/detectors/results", params={"detector": "cost_spike"})).json()["results"]
    assert saved["id"] == ran["id"] and saved["findings"] == ran["findings"]


async def test_errors_name_what_is_wrong(api: httpx.AsyncClient) -> None:
    unknown = await api.post("/api/v1/detectors/nope/run", json={})
    assert unknown.status_code == 404 and "tool_drift" in unknown.json()["error"]["message"]
    bad = await api.post("/api/v1/detectors/cost_spike/run", json={"threshold": "high"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "threshold"
    window = await api.post("/api/v1/detectors/cost_spike/run", json={"window": "soon"})
    assert window.status_code == 400 and window.json()["error"]["field"] == "window"
    assert (await api.post("/api/v1/detectors/cost_spike/run", json=[1])).status_code == 400
    assert (await api.post("/api/v1/detectors/worst_sessions/run")).status_code == 200  # no body: defaults


def test_detect_cli(tmp_path: Path, settings: Settings) -> None:
    from tracehound.store.factory import open_stores

    stores = open_stores(settings)  # the stores the CLI below opens too (SQLite, or the scale-out pair)
    store = stores.spans
    answer = turn(ago(1), [{"run_type": "llm", "name": "answer", "outputs": "See https://evil.example/x, $12.50"}])
    store.upsert(_versions() + answer)
    stores.close()
    urls = tmp_path / "urls.txt"
    urls.write_text("# knowledge base\nhttps://help.shop.example/\n")
    runner = CliRunner()
    base = ["--data-dir", settings.data_dir]
    fired = runner.invoke(main, ["detect", "cost_spike", *base, "--window", "6h", "--param", "threshold=2", "--check"])
    assert fired.exit_code == 1 and "FIRED" in fired.output and "trace " in fired.output
    hallucinated = runner.invoke(main, ["detect", "hallucination", *base, "--urls", str(urls), "--json", "--save"])
    assert hallucinated.exit_code == 0 and '"url:https://evil.example/x"' in hallucinated.output
    assert '"id": 1' in hallucinated.output
    quiet = runner.invoke(main, ["detect", "tool_drift", *base, "--split", "-1h"])
    assert quiet.exit_code == 0 and "quiet" in quiet.output
    assert "worst_sessions" in runner.invoke(main, ["detect", "list"]).output
    assert runner.invoke(main, ["detect", "nope", *base]).exit_code == 2
    assert runner.invoke(main, ["detect", "cost_spike", *base, "--param", "colour=red"]).exit_code == 2
