"""Read-only SQL from the API, the CLI and the UI console, against a real server and its SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from tests.spans import span
from tracehound.cli import main
from tracehound.testing import running_server

KEY = "sql-e2e-key"
HEADERS = {"X-API-Key": KEY}


@pytest.fixture(scope="module")
def sql_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("sql")
    with running_server(data, env={"TRACEHOUND_SERVER_API_KEY": KEY}) as port:
        url = f"http://127.0.0.1:{port}"
        spans = []
        for project, tools in (("shop", ["search", "search", "refund"]), ("bank", ["ledger"])):
            root = span(name="agent", project=project, session_id=f"{project}-session")
            spans.append(root)
            spans += [span(root["trace_id"], parent_id=root["id"], name=tool, run_type="tool", project=project,
                           total_tokens=5) for tool in tools]
        assert httpx.post(f"{url}/api/v1/spans", json={"spans": spans}, headers=HEADERS).status_code == 200
        yield url, data


def sql(url: str, query: str, **extra: Any) -> httpx.Response:
    return httpx.post(f"{url}/api/v1/sql", json={"sql": query, **extra}, headers=HEADERS, timeout=60)


def test_select_over_the_views(sql_server: tuple[str, Path]) -> None:
    url, _ = sql_server
    answer = sql(url, "SELECT name, count(*) AS calls FROM spans WHERE run_type = 'tool'"
                      " GROUP BY name ORDER BY calls DESC, name")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["columns"] == ["name", "calls"] and body["rows"] == [["search", 2], ["ledger", 1], ["refund", 1]]
    assert body["row_count"] == 3 and body["truncated"] is False and body["projects"] is None
    traces = sql(url, "SELECT project, span_count, total_tokens FROM traces ORDER BY project").json()
    assert traces["rows"] == [["bank", 2, 5], ["shop", 4, 15]]


def test_another_projects_rows_are_invisible(sql_server: tuple[str, Path]) -> None:
    url, _ = sql_server
    answer = sql(url, "SELECT DISTINCT project FROM spans", projects=["shop"]).json()
    assert answer["rows"] == [["shop"]] and answer["projects"] == ["shop"]
    assert sql(url, "SELECT count(*) FROM spans WHERE project = 'bank'", projects=["shop"]).json()["rows"] == [[0]]
    refused = sql(url, "SELECT count(*) FROM main.spans WHERE project = 'bank'", projects=["shop"])
    assert refused.status_code == 400 and "prohibited" in refused.json()["error"]["message"]


def test_writes_are_refused_and_nothing_changes(sql_server: tuple[str, Path]) -> None:
    url, _ = sql_server
    before = sql(url, "SELECT count(*) FROM spans").json()["rows"]
    for statement in ("DELETE FROM spans", "UPDATE spans SET name = 'x'", "DROP TABLE spans",
                      "INSERT INTO spans (id) VALUES ('x')", "PRAGMA writable_schema = ON",
                      "ATTACH DATABASE '/tmp/x.db' AS x", "SELECT 1; DELETE FROM spans"):
        answer = sql(url, statement)
        assert answer.status_code == 400, (statement, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "invalid_query" and error["message"] and error["field"] == "sql"
    assert sql(url, "SELECT count(*) FROM spans").json()["rows"] == before


def test_timeout_limit_and_bad_requests(sql_server: tuple[str, Path]) -> None:
    url, _ = sql_server
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    slow = sql(url, endless, timeout_s=0.5)
    assert slow.status_code == 400 and "time limit of 0.5 s" in slow.json()["error"]["message"]
    limited = sql(url, "SELECT id FROM spans", limit=2).json()
    assert limited["row_count"] == 2 and limited["truncated"] is True
    bad = sql(url, "SELEC 1")
    assert bad.status_code == 400 and "syntax error" in bad.json()["error"]["message"]
    wrong_shape = httpx.post(f"{url}/api/v1/sql", json={"sql": 1}, headers=HEADERS)
    assert wrong_shape.status_code == 422 and wrong_shape.json()["error"]["field"] == "sql"
    assert httpx.post(f"{url}/api/v1/sql", json={"sql": "SELECT 1"}).status_code == 401


def test_cli_local_and_remote(sql_server: tuple[str, Path]) -> None:
    url, data = sql_server
    runner = CliRunner()
    local = runner.invoke(main, ["sql", "SELECT project, count(*) AS n FROM spans GROUP BY 1 ORDER BY 1",
                                 "--data-dir", str(data), "--json"])
    assert local.exit_code == 0, local.output
    assert json.loads(local.stdout)["rows"] == [["bank", 2], ["shop", 4]]
    remote = runner.invoke(main, ["sql", "SELECT name FROM spans WHERE run_type = 'tool' ORDER BY name",
                                  "--url", url, "--api-key", KEY, "--project", "shop", "--csv"])
    assert remote.exit_code == 0, remote.output
    assert remote.stdout.splitlines() == ["name", "refund", "search", "search"]
    refused = runner.invoke(main, ["sql", "DELETE FROM spans", "--url", url, "--api-key", KEY])
    assert refused.exit_code != 0 and "400" in refused.output


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.bars: list[str] = []
        self.alert = False
        self._in_td = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self._in_td = tag == "td"
        if tag == "rect" and found.get("class") == "bar":
            self.bars.append(found.get("data-value") or "")
        if found.get("role") == "alert":
            self.alert = True

    def handle_data(self, data: str) -> None:
        if self._in_td and data.strip():
            self.cells.append(data.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_td = False


def test_ui_console_shows_table_and_chart(sql_server: tuple[str, Path]) -> None:
    url, _ = sql_server
    query = "SELECT name, count(*) AS calls FROM spans WHERE run_type = 'tool' GROUP BY name ORDER BY calls DESC"
    answer = httpx.get(f"{url}/sql", params={"q": query}, headers=HEADERS)
    assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]
    page = _Page()
    page.feed(answer.text)
    assert page.cells[:2] == ["search", "2"] and page.bars[0] == "2" and len(page.bars) == 3
    twin = httpx.get(f"{url}/sql.json", params={"q": query}, headers=HEADERS).json()
    assert twin["result"]["rows"][0] == ["search", 2] and twin["chart"]["value"] == "calls"
    refused = _Page()
    refused.feed(httpx.get(f"{url}/sql", params={"q": "DELETE FROM spans"}, headers=HEADERS).text)
    assert refused.alert and not refused.cells
