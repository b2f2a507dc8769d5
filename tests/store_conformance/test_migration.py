"""``tracehound migrate``: an embedded data directory copied into ClickHouse + PostgreSQL, resumably."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.engines import PostgresServer, chdb_url
from tests.store_conformance.test_engine_agreement import traffic
from tracehound.cli import main
from tracehound.store.alerting import AlertEvent, AlertState, Silence
from tracehound.store.base import Experiment, ExperimentResult, NewExample, PriceOverride
from tracehound.store.factory import StoreConfig, Stores, open_stores
from tracehound.store.migration import Side, migrate


class Interrupted(Exception):
    pass


def seed(data_dir: Path) -> None:
    stores = open_stores(data_dir)
    spans, feedback = traffic(seed=11)
    stores.meta.ensure_projects(sorted({span.project for span in spans}))
    stores.spans.upsert(spans)
    stores.feedback.add_feedback(feedback)
    stores.spans.dropped.add_dropped([{"project": "support", "minute_us": spans[0].start_time, "run_type": "tool",
                                       "name": "refund", "spans": 5, "traces": 1}])
    datasets = stores.meta.datasets
    ds = datasets.create_dataset("refunds", metadata={"owner": "a"})
    first, second = datasets.add_examples(ds.id, [NewExample({"q": 1}, {"a": 1}, splits=["smoke"]),
                                                  NewExample({"q": 2}, {"a": 2})])
    datasets.update_example(first.id, outputs={"a": 10})
    datasets.retire_examples([second.id])
    datasets.add_examples(ds.id, [NewExample({"q": 3})], change="promote")
    experiments = stores.meta.experiments
    experiments.create_experiment(Experiment(str(uuid.uuid4()), "exp-1", "exp-proj", ds.id, 3, 1))
    exp = experiments.get_experiment("exp-1")
    experiments.add_results([ExperimentResult(exp.id, first.id, str(uuid.uuid4()), scores={"x": 1.0}, passed=True)])
    experiments.finish_experiment(exp.id, {"pass_rate": 1.0})
    alerts = stores.meta.alerts
    alerts.put_rule("loops", {"id": "loops", "kind": "loop"}, 5)
    alerts.record([(AlertState("loops", "refund", "pending", 10), AlertEvent(10, "loops", "refund", "ok", "pending",
                                                                               6.0, "6", ["t"], "")),
                   (AlertState("loops", "refund", "firing", 20), AlertEvent(20, "loops", "refund", "pending",
                                                                              "firing", 8.0, "8", ["t"], "ok"))])
    alerts.add_silence(Silence("s1", "loops", None, 2**62, "forever", 1))
    stores.meta.prices.set_override(PriceOverride("support", "house-llm", "2026-01-01", 1.0, 2.0))
    stores.close()


def test_a_copy_interrupted_midway_resumes_and_every_count_matches(tmp_path: Path, chdb_dir: Path,
                                                                    postgres_server: PostgresServer) -> None:
    data_dir = tmp_path / "data"
    seed(data_dir)
    source = open_stores(data_dir)
    target = Stores(StoreConfig(chdb_url(chdb_dir), postgres_server.create_database()))
    state = tmp_path / "state.json"
    pages = []

    def crash_on_third_page(line: str) -> None:
        pages.append(line)
        if len(pages) == 3:
            raise Interrupted(line)

    sides = (Side(source.spans, source.meta, source.feedback), Side(target.spans, target.meta, target.feedback))
    with pytest.raises(Interrupted):
        migrate(*sides, state_path=state, key="k", batch=100, echo=crash_on_third_page)
    assert 0 < target.spans.count() < source.spans.count()
    report = migrate(*sides, state_path=state, key="k", batch=100)
    assert report.resumed and report.ok, report.counts
    assert report.counts["spans"][0] == len(traffic(seed=11)[0])
    assert [v.change for v in target.meta.datasets.list_versions(target.meta.datasets.get_dataset("refunds").id)] == [
        v.change for v in source.meta.datasets.list_versions(source.meta.datasets.get_dataset("refunds").id)]
    copied = target.meta.experiments.get_experiment("exp-1")
    assert copied.dataset_id == target.meta.datasets.get_dataset("refunds").id and copied.summary == {"pass_rate": 1.0}
    assert [s.state for s in target.meta.alerts.states()] == ["firing"]
    assert [o.model for o in target.meta.prices.list_overrides()] == ["house-llm"]
    assert [e.to_state for e in target.meta.alerts.history()] == ["firing", "pending"]
    assert target.spans.rollups.buckets(0, 2**62, {}) and sum(
        r.calls for r in target.spans.rollups.buckets(0, 2**62, {})) == sum(
        r.calls for r in source.spans.rollups.buckets(0, 2**62, {}))
    target.close()
    source.close()


def test_the_cli_copies_and_reports_counts(tmp_path: Path, chdb_dir: Path, postgres_server: PostgresServer) -> None:
    data_dir = tmp_path / "data"
    seed(data_dir)
    args = ["migrate", "--from", str(data_dir), "--spans", chdb_url(chdb_dir), "--meta",
            postgres_server.create_database()]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "every count matches" in result.output and "spans" in result.output
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "resumed" in again.output
