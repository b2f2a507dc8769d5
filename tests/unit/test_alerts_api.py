"""Alert rule CRUD and silences through the API (in process, real SQLite file), and the ``tracehound alerts`` CLI."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.spans import new_id
from tracehound.cli import main
from tracehound.settings import Settings
from tracehound.timefmt import iso, now_us

pytestmark = pytest.mark.anyio


async def test_rule_crud(api: httpx.AsyncClient) -> None:
    rule = {"kind": "error_rate", "threshold": 0.1, "min_calls": 5, "channels": [{"type": "log"}]}
    created = (await api.put("/api/v1/alerts/rules/tool-errors", json=rule)).json()
    assert created["id"] == "tool-errors" and created["params"]["threshold"] == 0.1 and created["source"] == "api"
    assert (await api.put("/api/v1/alerts/rules/tool-errors", json={**rule, "threshold": 0.2})).status_code == 200
    (listed,) = (await api.get("/api/v1/alerts/rules")).json()["rules"]
    assert listed["params"]["threshold"] == 0.2
    bad = await api.put("/api/v1/alerts/rules/x", json={"kind": "nonsense"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "kind"
    no_url = await api.put("/api/v1/alerts/rules/x", json={"kind": "loop", "channels": [{"type": "webhook"}]})
    assert no_url.status_code == 400 and no_url.json()["error"]["field"] == "channels"
    assert (await api.delete("/api/v1/alerts/rules/tool-errors")).json() == {"deleted": "tool-errors"}
    assert (await api.delete("/api/v1/alerts/rules/tool-errors")).status_code == 404
    assert (await api.get("/api/v1/alerts/rules")).json()["rules"] == []


async def test_silence_suppresses_the_notification_but_not_the_state(api: httpx.AsyncClient) -> None:
    rule = {"kind": "threshold", "metric": "errors", "op": ">=", "threshold": 1, "run_type": "tool"}
    assert (await api.put("/api/v1/alerts/rules/any-error", json=rule)).status_code == 200
    until = iso(now_us() + 3_600_000_000)
    silence = (await api.post("/api/v1/alerts/silences", json={"rule_id": "any-error", "until": until,
                                                                "comment": "deploying"})).json()
    start = now_us() - 30_000_000
    spans = [{"id": new_id(), "trace_id": new_id(), "name": "refund", "run_type": "tool", "start_time": start,
              "end_time": start + 1000, "error": "502"}]
    assert (await api.post("/api/v1/spans", json={"spans": spans})).status_code == 200
    assert [s["id"] for s in (await api.get("/api/v1/alerts/silences")).json()["silences"]] == [silence["id"]]
    # The evaluator thread may have got there first (the commit hook wakes it); either way, one firing.
    await api.post("/api/v1/alerts/evaluate")
    (event,) = (await api.get("/api/v1/alerts/history")).json()["events"]
    assert (event["rule_id"], event["key"], event["to"]) == ("any-error", "refund", "firing")
    assert event["notified"] == "silenced" and event["traces"] == [spans[0]["trace_id"]]
    (alert,) = (await api.get("/api/v1/alerts")).json()["alerts"]
    assert alert["state"] == "firing"
    past = await api.post("/api/v1/alerts/silences", json={"until": iso(now_us() - 1_000_000)})
    assert past.status_code == 400 and past.json()["error"]["field"] == "until"
    assert (await api.delete(f"/api/v1/alerts/silences/{silence['id']}")).status_code == 200
    assert (await api.delete(f"/api/v1/alerts/silences/{silence['id']}")).status_code == 404
    assert (await api.get("/api/v1/alerts/silences")).json()["silences"] == []


def test_alerts_cli_rules_states_history_and_silences(tmp_path: Path, settings: Settings) -> None:
    from tracehound.analytics.alerts import AlertStore, Transition
    from tracehound.analytics.rules import rule_from_dict
    from tracehound.store.factory import open_stores

    rules_file = tmp_path / "alerts.toml"
    rules_file.write_text('[[rules]]\nid = "loops"\nkind = "loop"\n')
    stores = open_stores(settings)
    store = AlertStore(stores.meta.alerts)
    store.put_rule({"id": "api-rule", "kind": "error_rate"}, now_us())
    rule = rule_from_dict({"id": "loops", "kind": "loop"})
    from tracehound.analytics.alerts import AlertState

    state = AlertState("loops", "search", "firing", now_us(), None, 4.0, ["t1"])
    store.record([(Transition(rule, "search", "ok", "firing", 4.0, "4 loops", ["t1"], True), state, now_us(), "ok")])
    stores.close()
    runner = CliRunner()
    base = ["--data-dir", settings.data_dir]
    rules = runner.invoke(main, ["alerts", "rules", *base], env={"TRACEHOUND_ALERT_RULES_FILE": str(rules_file)})
    assert rules.exit_code == 0 and "loops" in rules.output and "file" in rules.output and "api-rule" in rules.output
    listed = runner.invoke(main, ["alerts", "list", *base])
    assert "firing" in listed.output and "search" in listed.output
    history = runner.invoke(main, ["alerts", "history", *base, "--json"])
    assert '"to": "firing"' in history.output
    silenced = runner.invoke(main, ["alerts", "silence", *base, "--rule", "loops", "--for", "2h", "--comment", "x"])
    assert silenced.exit_code == 0
    silence_id = silenced.output.split()[1]
    assert silence_id in runner.invoke(main, ["alerts", "silences", *base]).output
    assert runner.invoke(main, ["alerts", "unsilence", silence_id, *base]).exit_code == 0
    assert runner.invoke(main, ["alerts", "unsilence", silence_id, *base]).exit_code == 2
    bad = runner.invoke(main, ["alerts", "silence", *base, "--for", "soon"])
    assert bad.exit_code == 2 and "duration" in bad.output
