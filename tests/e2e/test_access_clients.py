"""Unmodified clients with project-scoped keys against a server with access control on: our SDK,
the LangSmith SDK and an OTLP exporter ingest into their project; server-side redaction per project
applies on every path; project management and the audit log work over the API."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import tracehound
from tests.spans import span
from tracehound.cli import main
from tracehound.testing import running_server

LANGSMITH_SCRIPT = """
import sys
from langsmith import traceable
from langsmith.run_trees import get_cached_client

@traceable(run_type="tool", name="lookup")
def lookup(email):
    return {"found": email}

@traceable(name="ls_agent")
def agent(question):
    return lookup("jane.doe@example.com")

agent("mail jane.doe@example.com please")
get_cached_client().flush()
print("RESULT ok")
"""


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = str(tmp_path_factory.mktemp("clients"))
    admin = _cli("keys", "create", "--data-dir", data_dir, "--role", "admin")
    ingest = _cli("keys", "create", "--data-dir", data_dir, "--role", "ingest", "--project", "acme")
    with running_server(data_dir, env={"TRACEHOUND_RETENTION_INTERVAL_S": "0.2"}) as port:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30, headers={"X-API-Key": admin}) as http:
            http.put("/api/v1/projects/acme/redaction", json={"enabled": True, "detectors": ["email"],
                                                              "key": "very-secret-redaction-key"}).raise_for_status()
            yield {"base": base, "admin": admin, "ingest": ingest, "http": http, "data_dir": data_dir}


def _roots(http: httpx.Client, name: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        runs = http.post("/api/v1/runs/query", json={"project": "acme", "filter": f'eq(name, "{name}")'}).json()
        if runs["runs"]:
            return runs["runs"]  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"no run named {name}")


def _text_of_trace(http: httpx.Client, trace_id: str) -> str:
    return http.get(f"/api/v1/traces/{trace_id}").text


def test_our_sdk_with_an_ingest_key(server: dict[str, Any]) -> None:
    exporter = tracehound.BatchExporter(server["base"], api_key=server["ingest"], interval_s=0.05)
    tracehound.configure(exporter=exporter, project="acme")
    try:
        @tracehound.traceable(name="sdk_agent")
        def agent(question: str) -> str:
            return "sent to john.smith@example.org"

        agent("write to john.smith@example.org")
        assert tracehound.flush(15)
    finally:
        tracehound.shutdown(5)
        tracehound.configure()
    root = _roots(server["http"], "sdk_agent")[0]
    text = _text_of_trace(server["http"], root["trace_id"])
    assert "john.smith@example.org" not in text and "<email:" in text


def test_the_langsmith_sdk_with_an_ingest_key(server: dict[str, Any]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "LANGCHAIN_"))}
    env.update(LANGSMITH_ENDPOINT=server["base"], LANGSMITH_API_KEY=server["ingest"], LANGSMITH_TRACING="true",
               LANGSMITH_PROJECT="acme", PYTHONWARNINGS="ignore")
    done = subprocess.run([sys.executable, "-c", LANGSMITH_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=120)
    assert "RESULT ok" in done.stdout, done.stderr[-3000:]
    root = _roots(server["http"], "ls_agent")[0]
    text = _text_of_trace(server["http"], root["trace_id"])
    assert "jane.doe@example.com" not in text and "<email:" in text


def test_an_otlp_exporter_with_an_ingest_key(server: dict[str, Any]) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-app"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(
        endpoint=f"{server['base']}/v1/traces",
        headers={"x-api-key": server["ingest"], "X-Tracehound-Project": "acme"})))
    with provider.get_tracer("t").start_as_current_span("otel_root") as root:
        root.set_attribute("input.value", "call bob@example.net")
    assert provider.force_flush(10_000)
    provider.shutdown()
    found = _roots(server["http"], "otel_root")[0]
    assert "bob@example.net" not in _text_of_trace(server["http"], found["trace_id"])


def test_a_key_for_one_project_cannot_write_another(server: dict[str, Any]) -> None:
    answer = httpx.post(server["base"] + "/api/v1/spans", json={"spans": [span(project="globex")]},
                        headers={"X-API-Key": server["ingest"]})
    assert answer.status_code == 404


def test_the_redaction_key_never_comes_back(server: dict[str, Any]) -> None:
    http = server["http"]
    shown = http.get("/api/v1/projects/acme/redaction").json()
    assert shown["key"] == "set" and shown["detectors"] == ["email"]
    assert "very-secret-redaction-key" not in http.get("/api/v1/audit?limit=1000").text
    assert "very-secret-redaction-key" not in http.get("/api/v1/projects/acme").text


def test_projects_are_created_renamed_and_deleted_with_confirmation(server: dict[str, Any]) -> None:
    http = server["http"]
    assert http.post("/api/v1/projects", json={"name": "tmp-proj"}).status_code == 201
    assert http.post("/api/v1/projects", json={"name": "tmp-proj"}).status_code == 409
    batch = [span(project="tmp-proj") for _ in range(5)]
    assert http.post("/api/v1/spans", json={"spans": batch}).status_code == 200
    assert http.patch("/api/v1/projects/tmp-proj", json={"name": "renamed-proj"}).status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and http.get(f"/api/v1/spans/{batch[0]['id']}").json().get("project") \
            != "renamed-proj":
        time.sleep(0.1)
    assert http.get(f"/api/v1/spans/{batch[0]['id']}").json()["project"] == "renamed-proj"
    refused = http.delete("/api/v1/projects/renamed-proj")
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "confirm"
    assert http.delete("/api/v1/projects/renamed-proj?confirm=renamed-proj").status_code == 202
    while time.monotonic() < deadline and http.get(f"/api/v1/spans/{batch[0]['id']}").status_code != 404:
        time.sleep(0.1)
    assert http.get(f"/api/v1/spans/{batch[-1]['id']}").status_code == 404
    assert "renamed-proj" not in [p["name"] for p in http.get("/api/v1/projects").json()["projects"]]
    actions = [e["action"] for e in http.get("/api/v1/audit").json()["entries"]]
    assert {"project.create", "project.rename", "project.delete", "redaction.set"} <= set(actions)


def test_retention_over_the_api(server: dict[str, Any]) -> None:
    http = server["http"]
    old = span(project="aged", start_time=int((time.time() - 40 * 86400) * 1e6), id=str(uuid.uuid4()))
    new = span(project="aged", start_time=int(time.time() * 1e6) - 1_000_000)
    assert http.post("/api/v1/spans", json={"spans": [old, new]}).status_code == 200
    refused = http.put("/api/v1/projects/aged/retention", json={"ok_days": -1})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "ok_days"
    assert http.put("/api/v1/projects/aged/retention", json={"ok_days": 30}).json()["ok_days"] == 30
    dry = http.post("/api/v1/retention/run", json={"project": "aged", "dry_run": True}).json()["runs"]
    assert dry[0]["traces"] in (0, 1)  # the worker may have removed it already
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and http.get(f"/api/v1/spans/{old['id']}").status_code != 404:
        time.sleep(0.1)
    assert http.get(f"/api/v1/spans/{old['id']}").status_code == 404
    assert http.get(f"/api/v1/spans/{new['id']}").status_code == 200
    def recorded() -> bool:  # the pass records its run once it has finished the project
        runs = http.get("/api/v1/retention/runs?project=aged").json()["runs"]
        return any(r["traces"] == 1 and not r["dry_run"] for r in runs)

    while time.monotonic() < deadline and not recorded():
        time.sleep(0.1)
    assert recorded()
