"""``/metrics`` scraped from a real server and read with prometheus-client's own parser; the Grafana
dashboard in ``docs/`` is checked against the series the server exposes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.spans import span
from tracehound.testing import running_server

KEY = "prom-e2e-key"
DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"


@pytest.fixture(scope="module")
def prom_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"TRACEHOUND_SERVER_API_KEY": KEY, "TRACEHOUND_PROMETHEUS_MAX_NAMES": "2"}
    with running_server(tmp_path_factory.mktemp("prom"), env=env) as port:
        url = f"http://127.0.0.1:{port}"
        root = span(name="agent", run_type="agent", project="shop", start_time=1_776_247_200_000_000,
                    end_time=1_776_247_203_000_000)
        spans = [root]
        # three calls of search (0.2 s each, one failing), two of lookup (2 s), one each of rare_a/rare_b
        for index, (name, seconds, status) in enumerate([("search", 0.2, "ok"), ("search", 0.2, "ok"),
                                                         ("search", 0.2, "error"), ("lookup", 2.0, "ok"),
                                                         ("lookup", 2.0, "ok"), ("rare_a", 0.01, "ok"),
                                                         ("rare_b", 0.01, "ok")]):
            start = root["start_time"] + index * 1000
            extra: dict[str, Any] = {"error": "boom"} if status == "error" else {}
            spans.append(span(root["trace_id"], parent_id=root["id"], name=name, run_type="tool", project="shop",
                              start_time=start, end_time=start + int(seconds * 1e6), status=status, **extra))
        start = root["start_time"] + 50_000
        spans.append(span(root["trace_id"], parent_id=root["id"], name="chat", run_type="llm", project="shop",
                          model="gpt-4o", start_time=start, end_time=start + 900_000, prompt_tokens=100,
                          completion_tokens=20, cost=0.25))
        answer = httpx.post(f"{url}/api/v1/spans", json={"spans": spans}, headers={"X-API-Key": KEY})
        assert answer.status_code == 200, answer.text
        yield url


def scrape(url: str) -> dict[str, Any]:
    answer = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {KEY}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return {family.name: family for family in text_string_to_metric_families(answer.text)}


def value(families: dict[str, Any], sample_name: str, **labels: str) -> float:
    family_name = re.sub(r"_(total|bucket|sum|count)$", "", sample_name)
    found = [sample.value for sample in families[family_name].samples
             if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (sample_name, labels, found)
    return found[0]


def test_agent_metrics_per_tool_with_bounded_names(prom_server: str) -> None:
    families = scrape(prom_server)
    tool = {"project": "shop", "run_type": "tool"}
    assert value(families, "tracehound_runs_total", name="search", status="ok", **tool) == 2
    assert value(families, "tracehound_runs_total", name="search", status="error", **tool) == 1
    assert value(families, "tracehound_run_errors_total", name="search", **tool) == 1
    assert value(families, "tracehound_run_errors_total", name="lookup", **tool) == 0
    # MAX_NAMES=2: search and lookup keep their series, the two rare tools fold into _other
    assert value(families, "tracehound_runs_total", name="_other", status="ok", **tool) == 2
    names = {sample.labels["name"] for sample in families["tracehound_runs"].samples}
    assert "rare_a" not in names and "rare_b" not in names

    # latency histogram: search at 0.2 s sits under le=0.25, lookup at 2 s under le=2.5 only
    assert value(families, "tracehound_run_latency_seconds_bucket", name="search", le="0.1", **tool) == 0
    assert value(families, "tracehound_run_latency_seconds_bucket", name="search", le="0.25", **tool) == 3
    assert value(families, "tracehound_run_latency_seconds_bucket", name="lookup", le="1.0", **tool) == 0
    assert value(families, "tracehound_run_latency_seconds_bucket", name="lookup", le="2.5", **tool) == 2
    assert value(families, "tracehound_run_latency_seconds_bucket", name="lookup", le="+Inf", **tool) == 2
    assert value(families, "tracehound_run_latency_seconds_count", name="lookup", **tool) == 2
    assert value(families, "tracehound_run_latency_seconds_sum", name="lookup", **tool) == pytest.approx(4.0)

    llm = {"project": "shop", "run_type": "llm", "name": "chat"}
    assert value(families, "tracehound_tokens_total", kind="prompt", **llm) == 100
    assert value(families, "tracehound_tokens_total", kind="completion", **llm) == 20
    assert value(families, "tracehound_cost_usd_total", **llm) == pytest.approx(0.25)


def test_server_health_metrics(prom_server: str) -> None:
    families = scrape(prom_server)
    assert value(families, "tracehound_ingest_spans_total") >= 9
    assert value(families, "tracehound_ingest_commits_total") >= 1
    assert value(families, "tracehound_ingest_queue_spans") == 0
    assert value(families, "tracehound_ingest_backpressure_responses_total") == 0
    assert value(families, "tracehound_ingest_commit_seconds_count") == value(families,
                                                                              "tracehound_ingest_commits_total")
    assert value(families, "tracehound_store_bytes", file="db") > 0
    assert value(families, "tracehound_alerts", state="firing") == 0


def test_metrics_need_the_api_key(prom_server: str) -> None:
    assert httpx.get(f"{prom_server}/metrics").status_code == 401
    assert httpx.get(f"{prom_server}/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_grafana_dashboard_queries_use_exposed_metrics_and_labels(prom_server: str) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    families = scrape(prom_server)
    exposed = {sample.name: set(sample.labels) for family in families.values() for sample in family.samples}
    for family in families.values():  # families with no sample yet still name their series
        exposed.setdefault(family.name, set())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 30
    assert [item["name"] for item in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) >= 10
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    expressions += [item["definition"] for item in dashboard["templating"]["list"]]
    used = set()
    for expr in expressions:
        assert expr.count("(") == expr.count(")"), expr
        for metric, selector in re.findall(r"(tracehound_[a-z_]+)(\{[^}]*\})?", expr):
            assert metric in exposed, f"{metric} in {expr!r} is not exposed by /metrics"
            used.add(re.sub(r"_(total|bucket|sum|count)$", "", metric))
            for label in re.findall(r"(\w+)\s*=~?", selector or ""):
                assert label in exposed[metric] | {"le"}, f"{metric} has no label {label!r} ({expr!r})"
        for group in re.findall(r"by \(([^)]*)\)", expr):
            labels = {label.strip() for label in group.split(",")}
            metric = re.search(r"tracehound_[a-z_]+", expr).group(0)  # type: ignore[union-attr]
            assert labels <= exposed[metric] | {"le"}, f"{expr!r} groups by labels {metric} lacks"
    # the dashboard shows every family the server exposes
    assert used == set(families), set(families) - used
