"""Bulk export (API and CLI, JSONL and Parquet) and ``tracehound import``: what goes out comes back identical."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tests.spans import span
from tracehound.cli import main
from tracehound.testing import running_server

KEY = "export-e2e-key"
HEADERS = {"X-API-Key": KEY}
COMPARED = ("id", "trace_id", "parent_id", "project", "session_id", "run_type", "name", "start_time", "end_time",
            "status", "error", "inputs", "outputs", "metadata", "tags", "prompt_tokens", "completion_tokens",
            "total_tokens", "cost", "model")


def _spans() -> list[dict[str, Any]]:
    spans = []
    for project, count in (("shop", 4), ("bank", 2)):
        for trace in range(2):
            root = span(name="agent", project=project, session_id=f"{project}-{trace}", tags=["prod"],
                        metadata={"tenant": project, "nested": {"k": [1, 2]}}, inputs={"q": "ünïcode ✓"})
            spans.append(root)
            for index in range(count - 1):
                failing = trace == 0 and index == 0
                spans.append(span(root["trace_id"], parent_id=root["id"], name=f"tool_{index}", run_type="tool",
                                  project=project, status="error" if failing else "ok",
                                  error="boom" if failing else None, outputs={"rows": list(range(index + 1))}))
    spans.append(span(name="llm", run_type="llm", project="shop", model="gpt-4o", prompt_tokens=10,
                      completion_tokens=3, cost=0.001))
    return spans


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("export-source")
    with running_server(data, env={"TRACEHOUND_SERVER_API_KEY": KEY}) as port:
        url = f"http://127.0.0.1:{port}"
        assert httpx.post(f"{url}/api/v1/spans", json={"spans": _spans()}, headers=HEADERS).status_code == 200
        yield url, data


def stored(url: str, project: str | None = None) -> dict[str, dict[str, Any]]:
    body: dict[str, Any] = {"limit": 1000, "select": list(COMPARED), "order": "asc"}
    if project:
        body["project"] = project
    answer = httpx.post(f"{url}/api/v1/runs/query", json=body, headers=HEADERS)
    assert answer.status_code == 200, answer.text
    return {run["id"]: {key: run.get(key) for key in COMPARED} for run in answer.json()["runs"]}


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_api_jsonl_streams_the_selection(source: tuple[str, Path]) -> None:
    url, _ = source
    with httpx.stream("GET", f"{url}/api/v1/export", params={"project": "shop", "filter": 'eq(status, "error")'},
                      headers=HEADERS) as answer:
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/x-ndjson"
        assert "attachment" in answer.headers["content-disposition"]
        records = lines(answer.read().decode())
    assert [(r["project"], r["name"], r["status"]) for r in records] == [("shop", "tool_0", "error")]
    whole = lines(httpx.get(f"{url}/api/v1/export", params={"project": "shop", "filter": 'eq(status, "error")',
                                                             "traces": "true"}, headers=HEADERS).text)
    assert len(whole) == 4 and {r["trace_id"] for r in whole} == {records[0]["trace_id"]}
    everything = lines(httpx.get(f"{url}/api/v1/export", headers=HEADERS).text)
    assert len(everything) == len(_spans())


def test_api_refuses_bad_requests_before_streaming(source: tuple[str, Path]) -> None:
    url, _ = source
    bad = httpx.get(f"{url}/api/v1/export", params={"filter": "eq(status,"}, headers=HEADERS)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "filter"
    assert httpx.get(f"{url}/api/v1/export", params={"format": "csv"}, headers=HEADERS).status_code == 422
    assert httpx.get(f"{url}/api/v1/export").status_code == 401


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_round_trip_through_files_is_exact(source: tuple[str, Path], tmp_path: Path, fmt: str) -> None:
    url, data = source
    out = tmp_path / f"all.{fmt}"
    runner = CliRunner()
    exported = runner.invoke(main, ["export", "--out", str(out), "--data-dir", str(data)])
    assert exported.exit_code == 0, exported.output
    if fmt == "parquet":
        table = pq.read_table(out)
        assert table.num_rows == len(_spans()) and str(table.schema.field("start_time").type) == "timestamp[us, tz=UTC]"
        assert json.loads(table.column("metadata")[0].as_py())["nested"] == {"k": [1, 2]}

    target = tmp_path / "restored"
    imported = runner.invoke(main, ["import", str(out), "--data-dir", str(target)])
    assert imported.exit_code == 0, imported.output
    with running_server(target) as port:
        assert stored(f"http://127.0.0.1:{port}") == stored(url)
        again = runner.invoke(main, ["import", str(out), "--url", f"http://127.0.0.1:{port}"])  # merges on id
        assert again.exit_code == 0, again.output
        assert len(stored(f"http://127.0.0.1:{port}")) == len(_spans())


def test_remote_export_and_import_through_a_server(source: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = source
    out = tmp_path / "bank.parquet"
    runner = CliRunner()
    done = runner.invoke(main, ["export", "--out", str(out), "--url", url, "--api-key", KEY, "--project", "bank"])
    assert done.exit_code == 0, done.output
    with running_server(tmp_path / "other", env={"TRACEHOUND_SERVER_API_KEY": "other"}) as port:
        other = f"http://127.0.0.1:{port}"
        done = runner.invoke(main, ["import", str(out), "--url", other, "--api-key", "other"])
        assert done.exit_code == 0, done.output
        answer = httpx.post(f"{other}/api/v1/runs/query", json={"limit": 100, "select": list(COMPARED)},
                            headers={"X-API-Key": "other"}).json()["runs"]
        assert {run["project"] for run in answer} == {"bank"}
        assert {run["id"]: run for run in answer} == {key: value for key, value in stored(url, "bank").items()}


def test_import_refuses_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "not-a-uuid", "trace_id": "x", "name": "n", "start_time": 1}\n')
    done = CliRunner().invoke(main, ["import", str(bad), "--data-dir", str(tmp_path / "d")])
    assert done.exit_code != 0 and "id" in done.output
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n")
    done = CliRunner().invoke(main, ["import", str(garbage), "--data-dir", str(tmp_path / "d")])
    assert done.exit_code != 0 and "garbage.jsonl:1" in done.output


def test_runs_page_links_export_what_it_shows(source: tuple[str, Path]) -> None:
    url, _ = source
    page = httpx.get(f"{url}/runs", params={"project": "shop", "status": "error", "window": "all"},
                     headers=HEADERS)
    assert page.status_code == 200
    links = re.findall(r'<a class="export" href="([^"]+)"', page.text)
    assert len(links) == 2 and "format=jsonl" in links[0] and "format=parquet" in links[1]
    for params in ({"project": "shop", "window": "all"}, {"project": "shop", "status": "error", "roots": "0"}):
        page = httpx.get(f"{url}/runs", params=params, headers=HEADERS).text
        link = html.unescape(re.findall(r'<a class="export" href="([^"]+)"', page)[0])
        records = lines(httpx.get(url + link, headers=HEADERS).text)
        twin = httpx.get(f"{url}/runs.json", params=params, headers=HEADERS).json()
        assert twin["runs"] and {r["project"] for r in records} == {"shop"}
        if params.get("roots") == "0":  # the listed runs themselves
            assert sorted(r["id"] for r in records) == sorted(run["id"] for run in twin["runs"])
        else:  # the listed root runs' whole traces
            assert {r["trace_id"] for r in records} == {run["trace_id"] for run in twin["runs"]}
            assert len(records) > len(twin["runs"])
