"""The behaviour every MetaStore must have."""

from __future__ import annotations

from tracehound.store.base import MetaStore


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
