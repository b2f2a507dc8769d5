"""Alert state: rules kept through the API, one state machine per (rule, key), silences and history.

::

    ok ──breach──► pending ──breach lasted for_s──► firing ──no breach──► resolved ──► ok
      └───────────── breach, for_s = 0 ─────────────┘                    (breach again: firing)

A notification is sent on entering ``firing`` and ``resolved``, unless a silence matches or the
alert was notified less than ``cooldown_s`` ago (deduplication: staying in ``firing`` sends nothing).
Every transition is appended to the history. Rules, states, history and silences are kept by the
meta store (``meta.alerts``, ``store.alerting.AlertStateStore``), so serving nodes share them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tracehound.analytics.rules import Rule, rule_from_dict
from tracehound.errors import NotFound, QueryError
from tracehound.store.alerting import AlertEvent, AlertState, AlertStateStore, Silence

__all__ = ["AlertState", "AlertStore", "Breach", "Transition", "silenced", "step"]


@dataclass(frozen=True)
class Breach:
    """A rule is breached for one key (a tool, a model, an agent) with a value and the traces behind it."""

    value: float
    message: str
    traces: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Transition:
    rule: Rule
    key: str
    from_state: str
    to_state: str
    value: float | None
    message: str
    traces: list[str]
    notify: bool


def step(rule: Rule, current: AlertState, breach: Breach | None, now_us: int) -> Transition | None:
    """Advance one alert's state machine; returns the transition taken, if any (``current`` is updated)."""
    previous = current.state
    if breach is not None:
        current.value, current.traces = breach.value, breach.traces
        if previous in ("ok", "resolved"):
            target = "firing" if rule.for_s <= 0 else "pending"
        elif previous == "pending" and now_us - current.since_us >= rule.for_s * 1e6:
            target = "firing"
        else:
            return None
        message = breach.message
    else:
        if previous == "pending":
            target = "ok"
        elif previous == "firing":
            target = "resolved"
        elif previous == "resolved":
            target = "ok"
        else:
            return None
        message = "no longer breached" if target == "resolved" else ""
    notify = target in ("firing", "resolved") and (
        target == "resolved" or current.last_notified_us is None
        or now_us - current.last_notified_us >= rule.cooldown_s * 1e6)
    current.state, current.since_us = target, now_us
    if notify:
        current.last_notified_us = now_us
    return Transition(rule, current.key, previous, target, current.value, message, list(current.traces), notify)


class AlertStore:
    """Rules created through the API, alert states, silences and history, over the meta store's records."""

    def __init__(self, records: AlertStateStore) -> None:
        self._records = records

    # Rules ------------------------------------------------------------------------------------
    def put_rule(self, data: dict[str, Any], now_us: int) -> Rule:
        rule = rule_from_dict(data)
        self._records.put_rule(rule.id, rule.to_dict(), now_us)
        return rule

    def rules(self) -> list[Rule]:
        return [rule_from_dict(definition) for definition in self._records.rule_definitions()]

    def delete_rule(self, rule_id: str) -> None:
        if not self._records.delete_rule(rule_id):
            raise NotFound(f"no alert rule {rule_id}")

    # States and history -------------------------------------------------------------------------
    def states(self) -> dict[tuple[str, str], AlertState]:
        return {(state.rule_id, state.key): state for state in self._records.states()}

    def record(self, transitions: list[tuple[Transition, AlertState, int, str]]) -> None:
        """Persist states and append history rows: ``(transition, new state, at_us, delivery summary)``."""
        self._records.record([
            (state, AlertEvent(at_us, t.rule.id, t.key, t.from_state, t.to_state, t.value, t.message, list(t.traces),
                               notified))
            for t, state, at_us, notified in transitions])

    def history(self, rule_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        return [{"at_us": e.at_us, "rule_id": e.rule_id, "key": e.key, "from": e.from_state, "to": e.to_state,
                 "value": e.value, "message": e.message, "traces": e.traces, "notified": e.notified}
                for e in self._records.history(rule_id, limit)]

    # Silences ---------------------------------------------------------------------------------
    def add_silence(self, rule_id: str | None, key: str | None, until_us: int, comment: str | None,
                    now_us: int) -> dict[str, Any]:
        if until_us <= now_us:
            raise QueryError("a silence must end in the future", field="until")
        silence_id = str(uuid.uuid4())
        self._records.add_silence(Silence(silence_id, rule_id, key, until_us, comment, now_us))
        return {"id": silence_id, "rule_id": rule_id, "key": key, "until_us": until_us, "comment": comment}

    def silences(self, now_us: int) -> list[dict[str, Any]]:
        return [{"id": s.id, "rule_id": s.rule_id, "key": s.key, "until_us": s.until_us, "comment": s.comment}
                for s in self._records.silences(now_us)]

    def delete_silence(self, silence_id: str) -> None:
        if not self._records.delete_silence(silence_id):
            raise NotFound(f"no silence {silence_id}")

    def close(self) -> None:
        """Nothing to release: the records belong to the meta store, which its owner closes."""


def silenced(silences: list[dict[str, Any]], rule_id: str, key: str) -> bool:
    """Whether an active silence matches (a missing rule_id or key matches any)."""
    return any((s["rule_id"] in (None, rule_id)) and (s["key"] in (None, key)) for s in silences)
