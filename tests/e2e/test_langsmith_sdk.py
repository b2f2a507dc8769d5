"""The unmodified ``langsmith`` SDK (0.15 installed, the newest 0.14 in a cached venv) against a real server.

Each scenario runs ``tests/e2e/langsmith_client.py`` in a fresh process (the SDK reads its environment
once per process), so the same script drives both SDK versions, with zstd on and off.
The 0.14 venv is built once under the system temp dir (about 20 s, needs PyPI) and reused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

CLIENT = Path(__file__).with_name("langsmith_client.py")
SDK_014 = "langsmith>=0.14,<0.15"


@pytest.fixture(scope="session")
def python_014() -> str:
    """A venv holding the newest langsmith 0.14.x, cached across runs (keyed by the version range)."""
    venv = Path(tempfile.gettempdir()) / "tracehound-langsmith-0.14"
    python = venv / "bin" / "python"
    marker = venv / "installed.txt"
    if not (marker.exists() and marker.read_text() == SDK_014 and python.exists()):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        install = subprocess.run([str(python), "-m", "pip", "install", "-q", SDK_014], capture_output=True, text=True)
        if install.returncode != 0:
            pytest.fail(f"could not install {SDK_014} (PyPI needed for the 0.14 tests): {install.stderr[-2000:]}")
        marker.write_text(SDK_014)
    return str(python)


@pytest.fixture(params=["0.15", "0.14"])
def sdk_python(request: pytest.FixtureRequest) -> str:
    return sys.executable if request.param == "0.15" else str(request.getfixturevalue("python_014"))


def run_client(python: str, server_url: str, scenario: str, name: str, *args: str,
               zstd: bool = True) -> dict[str, Any]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LANGSMITH_", "LANGCHAIN_"))}
    env.update(LANGSMITH_ENDPOINT=server_url, LANGSMITH_API_KEY="any", LANGSMITH_TRACING="true",
               LANGSMITH_PROJECT=name, PYTHONWARNINGS="ignore")
    if not zstd:
        env["LANGSMITH_DISABLE_RUN_COMPRESSION"] = "true"
    done = subprocess.run([python, str(CLIENT), scenario, name, *args], env=env, capture_output=True, text=True,
                          timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, f"client failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return json.loads(lines[-1][len("RESULT "):])  # type: ignore[no-any-return]


@pytest.mark.parametrize("zstd", [True, False], ids=["zstd", "plain"])
def test_nested_traceable_arrives_as_one_tree(sdk_python: str, server_url: str, zstd: bool) -> None:
    project = f"ls-trace-{uuid.uuid4().hex[:8]}"
    result = run_client(sdk_python, server_url, "trace", project, zstd=zstd)
    assert result["compressed"] is zstd
    runs = {run["name"]: run for run in result["runs"]}
    assert len(result["runs"]) == 5 and set(runs) == {"support_agent", "lookup_order", "failing_tool", "chat_model"}
    root = runs["support_agent"]
    assert root["parent_run_id"] == "" and root["metadata"]["customer"] == "acme" and root["tags"] == ["prod"]
    assert {run["trace_id"] for run in result["runs"]} == {result["root_id"]}
    assert all(run["parent_run_id"] == result["root_id"] for run in result["runs"] if run is not root)
    assert runs["lookup_order"]["metadata"]["tool_version"] == "2"
    assert sorted(runs["lookup_order"]["tags"]) == ["prod", "tool-tag"]
    assert runs["failing_tool"]["status"] == "error" and "boom" in runs["failing_tool"]["error"]
    # list_runs with run_type and a filter, error=, is_root=, trace_filter=, limit=; read_run with children
    assert result["tools"] == ["lookup_order", "lookup_order"]
    assert result["errors"] == ["failing_tool"] and result["roots"] == ["support_agent"]
    assert result["traced_llm"] == ["chat_model"] and result["paged"] == 2
    assert result["children"] == ["chat_model", "failing_tool", "lookup_order", "lookup_order"]
    assert result["llm_tokens"] == [11, 5, 16]
    assert result["listed_feedback"] == [["helpfulness", 0.8]]
    # The same trace in tracehound's own API: one tree, the tokens on the LLM span, the thread as session.
    trace = httpx.get(f"{server_url}/api/v1/traces/{result['root_id']}").json()
    spans = trace.get("spans") or trace.get("tree") or []
    assert len(spans) == 5, trace
    llm = next(span for span in spans if span["name"] == "chat_model")
    assert llm["total_tokens"] == 16 and llm["model"] == "gpt-test" and llm["project"] == project
    assert llm["session_id"] == "t-1"
    feedback = httpx.get(f"{server_url}/api/v1/feedback", params={"run_id": result["root_id"]}).json()["feedback"]
    assert [(item["key"], item["score"]) for item in feedback] == [("helpfulness", 0.8)]


def test_datasets_and_examples(sdk_python: str, server_url: str) -> None:
    name = f"ls-ds-{uuid.uuid4().hex[:8]}"
    result = run_client(sdk_python, server_url, "datasets", name)
    assert result["read_id"] == result["id"] and result["has"] and result["listed_names"]
    assert result["count"] == 6 and result["train"] == 4 and result["by_id"] == 1
    assert result["by_metadata"] == [{"q": "refund?"}] and result["split"] == ["train"]
    assert result["updated"] == {"a": "yes, within 30 days"}
    native = httpx.get(f"{server_url}/api/v1/datasets/{name}/examples", params={"split": "test"}).json()
    assert len(native["examples"]) == 2


def _experiment(server_url: str, name: str, results: int) -> dict[str, Any]:
    """The experiment once its results are rebuilt (in the background, after the last feedback)."""
    deadline = time.monotonic() + 15
    while True:
        body = httpx.get(f"{server_url}/api/v1/experiments/{name}").json()
        if len(body.get("results", [])) == results and all(len(r["scores"]) == 2 for r in body["results"]):
            return body  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


@pytest.mark.parametrize(("version", "zstd"), [("0.15", True), ("0.15", False), ("0.14", True)],
                         ids=["0.15-zstd", "0.15-plain", "0.14-zstd"])
def test_evaluate_shows_up_in_tracehound_comparison(request: pytest.FixtureRequest, server_url: str, version: str,
                                                    zstd: bool) -> None:
    python = sys.executable if version == "0.15" else request.getfixturevalue("python_014")
    name = f"ls-eval-{uuid.uuid4().hex[:8]}"
    result = run_client(python, server_url, "evaluate", name, zstd=zstd)
    assert result["rows"] == 4
    assert result["scores"] == [[0, [True, 1.0]], [1, [True, 1.0]], [2, [True, 1.0]], [3, [False, 0.0]]]
    if version == "0.15":
        assert result["pandas"]["shape"] == [4, 9]
        assert {"feedback.exact", "feedback.positive", "inputs.x", "outputs.y", "reference.y"} <= set(
            result["pandas"]["columns"])
    experiment = _experiment(server_url, result["experiment"], 4)
    assert experiment["metadata"]["__ls_runner"] == "py_sdk_evaluate"
    by_output = {r["outputs"]["y"]: r for r in experiment["results"]}
    assert by_output[-1]["passed"] is False and by_output[-1]["scores"] == {"exact": 0.0, "positive": 0.0}
    assert sum(r["passed"] for r in experiment["results"]) == 3
    comparison = httpx.get(f"{server_url}/api/v1/experiments/compare",
                           params={"baseline": result["experiment"], "candidate": result["experiment"]}).json()
    assert comparison["counts"]["unchanged"] == 4
    exact = next(metric for metric in comparison["metrics"] if metric["key"] == "exact")
    assert exact["candidate_mean"] == 0.75
