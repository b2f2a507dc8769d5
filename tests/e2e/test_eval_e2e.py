"""From a failing production trace to a gate that passes, against a real server.

ingest a bad answer → promote it to an example → the baseline experiment fails it → the gate fails →
the fix passes it → the comparison shows it fixed with no regressions → the gate passes; a fix that
breaks another example is caught as a regression.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import tracehound
from tracehound.cli import main
from tracehound.evals.evaluators import exact_match

AGENTS = textwrap.dedent('''
    import tracehound
    from tracehound.evals.evaluators import exact_match

    EVALUATORS = [exact_match("answer")]
    POLICY = {"refund": "Refunds take 5 business days.", "shipping": "Shipping takes 2 days."}

    @tracehound.traceable(run_type="tool")
    def search_policy(topic):
        return POLICY.get(topic, "")

    def _topic(question):
        return "refund" if "refund" in question else "shipping"

    @tracehound.traceable
    def answer_buggy(question):
        if "refund" in question:
            return {"answer": "Refunds are not possible."}  # the bug: never looks the policy up
        return {"answer": search_policy(_topic(question))}

    @tracehound.traceable
    def answer_fixed(question):
        return {"answer": search_policy(_topic(question))}

    @tracehound.traceable
    def answer_regressed(question):
        topic = _topic(question)
        return {"answer": search_policy(topic) if topic == "refund" else "No idea."}
''')


@pytest.fixture
def agents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server_url: str):
    module = f"e2e_agents_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(AGENTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("TRACEHOUND_ENDPOINT", server_url)
    tracehound.configure(endpoint=server_url, project="support-prod", batch_interval_ms=10)
    import importlib

    yield module, importlib.import_module(module)
    tracehound.shutdown()


def test_a_failing_trace_becomes_a_regression_test_and_gates_the_fix(agents, server_url: str,
                                                                     tmp_path: Path) -> None:
    module_name, module = agents
    client = tracehound.Client(server_url)

    # 1. Production: the agent answers a refund question wrongly; the trace is ingested.
    answer = module.answer_buggy("can I get a refund?")
    assert answer == {"answer": "Refunds are not possible."}
    assert tracehound.flush()
    runs = httpx.post(f"{server_url}/api/v1/runs/query", json={
        "project": "support-prod", "is_root": True, "filter": 'eq(name, "answer_buggy")'}).json()["runs"]
    bad_run = runs[0]["id"]

    # 2. Promote it, with the answer it should have given; add a shipping example that works today.
    dataset = f"support-{uuid.uuid4().hex[:6]}"
    client.datasets.create(dataset, description="support regressions")
    example = client.examples.promote(dataset, bad_run, outputs={"answer": "Refunds take 5 business days."},
                                      metadata={"incident_id": "INC-42"}, splits=["smoke"])
    assert example["inputs"] == {"question": "can I get a refund?"}
    assert example["metadata"]["promoted_from_run"] == bad_run
    client.examples.add(dataset, [{"inputs": {"question": "how long is shipping?"},
                                   "outputs": {"answer": "Shipping takes 2 days."}, "splits": ["smoke"]}])

    # 3. The baseline experiment fails the promoted example.
    baseline = tracehound.evaluate(module.answer_buggy, data=dataset, evaluators=[exact_match("answer")],
                                   experiment_prefix="baseline", client=client, split="smoke")
    assert baseline.summary["passed"] == 1 and baseline.experiment.dataset_version == 2
    refund_row = next(row for row in baseline if row.example.id == example["id"])
    assert not refund_row.result.passed
    trace = client.runs.trace(refund_row.run.trace_id)
    root = trace["spans"][0]
    assert root["project"] == baseline.experiment.project and root["reference_example_id"] == example["id"]
    scores = client.feedback.list(run_id=refund_row.run.id)
    assert [(f["key"], f["score"], f["source"]) for f in scores] == [("exact_match", 0.0, "evaluator")]

    # 4. The gate fails the buggy agent...
    runner = CliRunner()
    args = ["gate", "--dataset", dataset, "--split", "smoke", "--baseline", baseline.name,
            "--min-score", "exact_match=0.9", "--no-regressions", "--endpoint", server_url]
    failed = runner.invoke(main, [*args, "--target", f"{module_name}:answer_buggy"])
    assert failed.exit_code == 1, failed.output
    assert "❌ failed" in failed.output and "exact_match = 0.500 < 0.9" in failed.output

    # 5. ...and passes the fix, which the comparison shows as fixed with nothing regressed.
    junit, markdown = tmp_path / "gate.xml", tmp_path / "gate.md"
    passed = runner.invoke(main, [*args, "--target", f"{module_name}:answer_fixed", "--junit", str(junit),
                                  "--markdown", str(markdown)])
    assert passed.exit_code == 0, passed.output
    assert "✅ passed" in passed.output and "1 fixed, 0 regressed, 1 unchanged" in passed.output
    assert markdown.read_text().startswith("### tracehound gate: ✅ passed")
    xml = junit.read_text()
    assert 'tests="4"' in xml and 'failures="0"' in xml and 'errors="0"' in xml
    fixed_name = passed.output.strip().splitlines()[-1].removeprefix("experiment: ")
    comparison = client.experiments.compare(baseline.name, fixed_name)
    assert comparison["counts"] == {"fixed": 1, "regressed": 0, "unchanged": 1, "added": 0, "removed": 0}
    assert comparison["same_dataset_version"] is True
    metric = next(m for m in comparison["metrics"] if m["key"] == "exact_match")
    assert metric["baseline_mean"] == 0.5 and metric["candidate_mean"] == 1.0 and metric["delta"] == 0.5

    table = runner.invoke(main, ["compare", baseline.name, fixed_name, "--endpoint", server_url])
    assert table.exit_code == 0 and "fixed      " + example["id"] in table.output
    as_json = runner.invoke(main, ["compare", baseline.name, fixed_name, "--json", "--endpoint", server_url])
    assert json.loads(as_json.output)["counts"]["fixed"] == 1

    # 6. A "fix" that breaks shipping is a regression, even though the pass rate stays the same.
    regressed = runner.invoke(main, [*args[:7], "--no-regressions", "--endpoint", server_url,
                                     "--target", f"{module_name}:answer_regressed"])
    assert regressed.exit_code == 1
    assert "1 example(s) regressed" in regressed.output and "regressed: `" in regressed.output
