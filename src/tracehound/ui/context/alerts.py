"""The alerts page: every rule with its current state, the alerts firing now with their evidence traces,
recent history, and active silences."""

from __future__ import annotations

from typing import Any, Final

from tracehound.timefmt import now_us

HISTORY: Final = 100
_ORDER: Final = {"firing": 0, "pending": 1, "resolved": 2, "ok": 3}


def alerts_context(alert_store: Any, evaluator: Any, rule_id: str | None = None) -> dict[str, Any]:
    """Rules (rules file and API), states per rule and key, history (of one rule when given), silences.

    ``alert_store`` and ``evaluator`` are ``None`` when the server runs without alerting; the page says so.
    """
    if alert_store is None:
        return {"enabled": False, "rules": [], "firing": [], "history": [], "silences": [], "rule_id": rule_id}
    rules = [*(getattr(evaluator, "file_rules", None) or []), *alert_store.rules()]
    states = sorted(alert_store.states().values(), key=lambda s: (_ORDER.get(s.state, 9), s.rule_id, s.key))
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for state in states:
        by_rule.setdefault(state.rule_id, []).append(
            {"rule_id": state.rule_id, "key": state.key, "state": state.state, "since_us": state.since_us,
             "value": state.value, "traces": state.traces})
    rule_rows = []
    for rule in rules:
        keyed = by_rule.get(rule.id, [])
        worst = min((entry["state"] for entry in keyed), key=lambda s: _ORDER.get(s, 9), default="ok")
        rule_rows.append({"id": rule.id, "kind": rule.kind, "project": rule.project, "for_s": rule.for_s,
                          "cooldown_s": rule.cooldown_s, "enabled": rule.enabled, "source": rule.source,
                          "channels": list(rule.channels), "params": rule.params, "state": worst,
                          "alerts": keyed})
    rule_rows.sort(key=lambda row: (_ORDER.get(row["state"], 9), row["id"]))
    return {
        "enabled": True,
        "rule_id": rule_id,
        "rules": rule_rows,
        "firing": [entry for entries in by_rule.values() for entry in entries if entry["state"] == "firing"],
        "history": alert_store.history(rule_id, HISTORY),
        "silences": alert_store.silences(now_us()),
    }
