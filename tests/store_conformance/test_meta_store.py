"""The behaviour every MetaStore must have."""

from __future__ import annotations

import pytest

from tracehound.errors import Conflict, NotFound
from tracehound.store.base import Experiment, ExperimentResult, MetaStore, NewExample, PriceOverride


def test_projects_are_created_once(meta_store: MetaStore) -> None:
    meta_store.ensure_projects(["support", "default"])
    created = meta_store.get_project("support")
    meta_store.ensure_projects(["support"])
    assert [p.name for p in meta_store.list_projects()] == ["default", "support"]
    assert meta_store.get_project("support") == created
    assert meta_store.get_project("missing") is None


def test_projects_are_created_updated_and_deleted(meta_store: MetaStore) -> None:
    import pytest

    from tracehound.errors import Conflict, NotFound

    created = meta_store.create_project("docs", description="the docs bot", metadata={"team": "a"})
    assert meta_store.get_project("docs") == created and created.metadata == {"team": "a"}
    with pytest.raises(Conflict):
        meta_store.create_project("docs")
    updated = meta_store.update_project("docs", description="renamed")
    assert (updated.description, updated.metadata) == ("renamed", {"team": "a"})
    with pytest.raises(NotFound):
        meta_store.update_project("missing", description="x")
    assert meta_store.delete_project("docs") is True and meta_store.delete_project("docs") is False
    assert meta_store.get_project("docs") is None
    meta_store.ensure_projects(["docs"])  # a deleted project comes back when spans arrive again
    assert meta_store.get_project("docs") is not None


def test_alert_rules_states_history_and_silences(meta_store: MetaStore) -> None:
    from tracehound.store.alerting import AlertEvent, AlertState, Silence

    alerts = meta_store.alerts
    alerts.put_rule("b", {"id": "b", "kind": "loop"}, 1)
    alerts.put_rule("a", {"id": "a", "kind": "error_rate", "threshold": 0.1}, 2)
    alerts.put_rule("a", {"id": "a", "kind": "error_rate", "threshold": 0.2}, 3)
    assert alerts.rule_definitions() == [{"id": "a", "kind": "error_rate", "threshold": 0.2},
                                         {"id": "b", "kind": "loop"}]
    firing = AlertState("a", "search", "firing", 10, 10, 0.5, ["t1", "t2"])
    alerts.record([(firing, AlertEvent(10, "a", "search", "ok", "firing", 0.5, "breached", ["t1", "t2"], "log"))])
    resolved = AlertState("a", "search", "resolved", 20, 20, 0.01, [])
    other = AlertState("b", "lookup", "pending", 15)
    alerts.record([(resolved, AlertEvent(20, "a", "search", "firing", "resolved", 0.01, "fine", [], "")),
                   (other, AlertEvent(15, "b", "lookup", "ok", "pending", None, "", [], ""))])
    states = {(s.rule_id, s.key): s for s in alerts.states()}
    assert states == {("a", "search"): resolved, ("b", "lookup"): other}
    history = alerts.history()
    assert [(e.rule_id, e.to_state) for e in history] == [("b", "pending"), ("a", "resolved"), ("a", "firing")]
    assert history[-1] == AlertEvent(10, "a", "search", "ok", "firing", 0.5, "breached", ["t1", "t2"], "log")
    assert [e.to_state for e in alerts.history("a", limit=1)] == ["resolved"]
    assert alerts.delete_rule("a") is True and alerts.delete_rule("a") is False
    assert [s.rule_id for s in alerts.states()] == ["b"], "a rule's states go with it"
    assert len(alerts.history()) == 3, "history stays"
    alerts.add_silence(Silence("s1", None, "search", 100, "deploy", 1))
    alerts.add_silence(Silence("s2", "b", None, 50, None, 1))
    assert [s.id for s in alerts.silences(10)] == ["s2", "s1"]
    assert [s.id for s in alerts.silences(60)] == ["s1"]
    assert alerts.silences(10)[1] == Silence("s1", None, "search", 100, "deploy", 1)
    assert alerts.delete_silence("s1") is True and alerts.delete_silence("s1") is False


def test_detector_results_newest_first(meta_store: MetaStore) -> None:
    results = meta_store.detector_results
    first = results.save("cost_spike", 1, {"window": "1d"}, {"detector": "cost_spike", "fired": False, "n": 1})
    second = results.save("tool_drift", 2, {}, {"detector": "tool_drift", "fired": True, "n": 2})
    third = results.save("cost_spike", 3, {}, {"detector": "cost_spike", "fired": True, "n": 3})
    assert first < second < third
    assert [r["n"] for r in results.list()] == [3, 2, 1]
    assert results.list("cost_spike", limit=1) == [{"id": third, "detector": "cost_spike", "fired": True, "n": 3}]
    assert [r["n"] for r in results.list(fired_only=True)] == [3, 2]
    assert [r["n"] for r in results.list("cost_spike", fired_only=True)] == [3]


def test_ingest_source_records_replace_by_key(meta_store: MetaStore) -> None:
    from tracehound.store.sources import SourceRecord

    sources = meta_store.ingest_sources
    sources.save([SourceRecord("otlp", "svc-b", "scope", 1, 1, {"spans": 1}),
                  SourceRecord("otlp", "svc-a", "scope", 2, 2, {"spans": 2, "nested": {"x": [1]}})])
    sources.save([SourceRecord("otlp", "svc-b", "scope", 1, 5, {"spans": 9})])
    sources.save([])
    assert sources.load("otlp") == [SourceRecord("otlp", "svc-a", "scope", 2, 2, {"spans": 2, "nested": {"x": [1]}}),
                                    SourceRecord("otlp", "svc-b", "scope", 1, 5, {"spans": 9})]
    assert sources.load("other") == []


def test_dataset_versions_keep_every_past_state(meta_store: MetaStore) -> None:
    datasets = meta_store.datasets
    ds = datasets.create_dataset("refunds", description="refund questions", metadata={"owner": "a"})
    first, second = datasets.add_examples(ds.id, [
        NewExample({"q": "a"}, {"answer": "A"}, splits=["smoke", "full"], metadata={"category": "x"}),
        NewExample({"q": "b"}, {"answer": "B"}, splits=["full"]),
    ])
    assert first.version == second.version == 1
    edited = datasets.update_example(first.id, outputs={"answer": "A2"})
    assert edited.version == 2 and edited.inputs == {"q": "a"} and edited.metadata == {"category": "x"}
    assert datasets.retire_examples([second.id]) == 3
    assert [e.outputs for e in datasets.list_examples(ds.id)] == [{"answer": "A2"}]
    assert [e.outputs for e in datasets.list_examples(ds.id, version=1)] == [{"answer": "A"}, {"answer": "B"}]
    assert [e.outputs for e in datasets.list_examples(ds.id, version=2)] == [{"answer": "A2"}, {"answer": "B"}]
    assert [e.id for e in datasets.list_examples(ds.id, version=1, split="smoke")] == [first.id]
    assert datasets.get_example(first.id, version=1).outputs == {"answer": "A"}
    assert [(v.version, v.change) for v in datasets.list_versions(ds.id)] == [
        (1, "add 2 example(s)"), (2, f"edit {first.id}"), (3, "retire 1 example(s)")]
    dataset = datasets.get_dataset("refunds")
    assert dataset.version == 3 and dataset.example_count == 1 and dataset.metadata == {"owner": "a"}
    assert datasets.get_dataset(ds.id) == dataset
    assert [d.name for d in datasets.list_datasets()] == ["refunds"]


def test_dataset_names_are_unique_and_unknown_things_are_not_found(meta_store: MetaStore) -> None:
    datasets = meta_store.datasets
    ds = datasets.create_dataset("x")
    with pytest.raises(Conflict):
        datasets.create_dataset("x")
    [example] = datasets.add_examples(ds.id, [NewExample({"q": 1}, id="00000000-0000-4000-8000-000000000001")])
    with pytest.raises(Conflict):
        datasets.add_examples(ds.id, [NewExample({"q": 2}, id=example.id)])
    with pytest.raises(NotFound):
        datasets.update_example("nope", outputs=1)
    with pytest.raises(NotFound):
        datasets.add_examples("missing-id", [NewExample({})])
    assert datasets.delete_dataset("x") and not datasets.delete_dataset("x")
    assert datasets.list_datasets() == [] and datasets.get_example(example.id) is None


def test_experiments_store_results_and_summaries(meta_store: MetaStore) -> None:
    experiments = meta_store.experiments
    older = experiments.create_experiment(Experiment("e1", "first", "exp-1", "d1", 3, 1_000, split="smoke",
                                                     metadata={"model": "a"}))
    experiments.create_experiment(Experiment("e2", "second", "exp-2", None, None, 2_000))
    with pytest.raises(Conflict):
        experiments.create_experiment(Experiment("e3", "first", "exp-3", None, None, 3_000))
    results = [ExperimentResult("e1", f"x{i}", f"r{i}", scores={"exact": 1.0 if i else 0.0}, passed=bool(i),
                                outputs={"a": i}, latency_us=10 * i) for i in range(3)]
    experiments.add_results(results)
    experiments.add_results([ExperimentResult("e1", "x0", "r0-again", scores={"exact": 1.0}, passed=True,
                                              errors={"judge": "timeout"})])
    stored = experiments.list_results("e1")
    # A replaced result moves to the end (the order results were last stored in).
    assert [(r.example_id, r.run_id, r.passed) for r in stored] == [("x1", "r1", True), ("x2", "r2", True),
                                                                   ("x0", "r0-again", True)]
    assert stored[2].errors == {"judge": "timeout"} and stored[1].outputs == {"a": 2}
    finished = experiments.finish_experiment("e1", {"pass_rate": 1.0})
    assert finished.summary == {"pass_rate": 1.0} and finished.ended_us is not None
    assert experiments.get_experiment("first") == finished and finished.metadata == {"model": "a"}
    assert [e.id for e in experiments.list_experiments()] == ["e2", "e1"]
    assert [e.id for e in experiments.list_experiments("d1")] == [older.id]
    assert experiments.delete_experiment("first") and experiments.list_results("e1") == []
    assert experiments.get_experiment("e1") is None


def test_price_overrides_are_replaced_by_day_and_deleted(meta_store: MetaStore) -> None:
    prices = meta_store.prices
    first = prices.set_override(PriceOverride("support", "gpt-4o", "2026-01-01", 2.0, 8.0, note="contract"))
    prices.set_override(PriceOverride("support", "gpt-4o", "2026-01-01", 2.5, 9.0, cached_input=1.0))
    prices.set_override(PriceOverride("*", "claude-x", "2026-02-01", 3.0, 15.0, context_window=200_000))
    stored = prices.list_overrides()
    assert [(o.project, o.model, o.input, o.cached_input, o.note) for o in stored] == [
        ("*", "claude-x", 3.0, None, None), ("support", "gpt-4o", 2.5, 1.0, None)]
    assert stored[1].updated_us >= first.updated_us > 0
    assert [o.model for o in prices.list_overrides("support")] == ["gpt-4o"]
    assert [(project, row.model) for project, row in prices.override_rows()] == [("*", "claude-x"),
                                                                                ("support", "gpt-4o")]
    assert prices.delete_override("support", "gpt-4o", "2025-12-31") == 0
    assert prices.delete_override("support", "gpt-4o") == 1 and len(prices.list_overrides()) == 1
