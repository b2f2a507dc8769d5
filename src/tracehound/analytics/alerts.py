"""Alert state: rules kept through the API, one state machine per (rule, key), silences and history.

::

    ok ──breach──► pending ──breach lasted for_s──► firing ──no breach──► resolved ──► ok
      └───────────── breach, for_s = 0 ─────────────┘                    (breach again: firing)

A notification is sent on entering ``firing`` and ``resolved``, unless a silence matches or the
alert was notified less than ``cooldown_s`` ago (deduplication: staying in ``firing`` sends nothing).
Every transition is written to ``alert_events`` (the history).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from tracehound.analytics.rules import Rule, rule_from_dict
from tracehound.errors import NotFound, QueryError
from tracehound.store.sqlite._locked import LockedConnection
from tracehound.store.sqlite.connection import connect


@dataclass(frozen=True)
class Breach:
    """A rule is breached for one key (a tool, a model, an agent) with a value and the traces behind it."""

    value: float
    message: str
    traces: list[str] = field(default_factory=list)


@dataclass
class AlertState:
    rule_id: str
    key: str
    state: str = "ok"
    since_us: int = 0
    last_notified_us: int | None = None
    value: float | None = None
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
    """Rules created through the API, alert states, silences and history, in the SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self._db = LockedConnection(connect(path), threading.Lock())

    # Rules ------------------------------------------------------------------------------------
    def put_rule(self, data: dict[str, Any], now_us: int) -> Rule:
        rule = rule_from_dict(data)
        with self._db.transaction() as conn:
            conn.execute("INSERT INTO alert_rules (id, definition, created_us, updated_us) VALUES (?, ?, ?, ?)"
                         " ON CONFLICT(id) DO UPDATE SET definition = excluded.definition,"
                         " updated_us = excluded.updated_us",
                         (rule.id, msgspec.json.encode(rule.to_dict()).decode(), now_us, now_us))
        return rule

    def rules(self) -> list[Rule]:
        return [rule_from_dict(msgspec.json.decode(text)) for (text,) in
                self._db.rows("SELECT definition FROM alert_rules ORDER BY id")]

    def delete_rule(self, rule_id: str) -> None:
        with self._db.transaction() as conn:
            if conn.execute("DELETE FROM alert_rules WHERE id = ?", (rule_id,)).rowcount == 0:
                raise NotFound(f"no alert rule {rule_id}")
            conn.execute("DELETE FROM alert_state WHERE rule_id = ?", (rule_id,))

    # States and history -------------------------------------------------------------------------
    def states(self) -> dict[tuple[str, str], AlertState]:
        return {(r[0], r[1]): AlertState(r[0], r[1], r[2], r[3], r[4], r[5], msgspec.json.decode(r[6] or "[]"))
                for r in self._db.rows("SELECT rule_id, key, state, since_us, last_notified_us, value, traces"
                                       " FROM alert_state")}

    def record(self, transitions: list[tuple[Transition, AlertState, int, str]]) -> None:
        """Persist states and append history rows: ``(transition, new state, at_us, delivery summary)``."""
        with self._db.transaction() as conn:
            for t, state, at_us, notified in transitions:
                traces = msgspec.json.encode(t.traces).decode()
                conn.execute("INSERT OR REPLACE INTO alert_state VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (state.rule_id, state.key, state.state, state.since_us, state.last_notified_us,
                              state.value, traces))
                conn.execute("INSERT INTO alert_events (at_us, rule_id, key, from_state, to_state, value, message,"
                             " traces, notified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (at_us, t.rule.id, t.key, t.from_state, t.to_state, t.value, t.message, traces,
                              notified))

    def history(self, rule_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        sql = "SELECT at_us, rule_id, key, from_state, to_state, value, message, traces, notified FROM alert_events"
        params: list[Any] = []
        if rule_id:
            sql += " WHERE rule_id = ?"
            params.append(rule_id)
        rows = self._db.rows(sql + " ORDER BY seq DESC LIMIT ?", [*params, limit])
        return [{"at_us": r[0], "rule_id": r[1], "key": r[2], "from": r[3], "to": r[4], "value": r[5],
                 "message": r[6], "traces": msgspec.json.decode(r[7] or "[]"), "notified": r[8]} for r in rows]

    # Silences ---------------------------------------------------------------------------------
    def add_silence(self, rule_id: str | None, key: str | None, until_us: int, comment: str | None,
                    now_us: int) -> dict[str, Any]:
        if until_us <= now_us:
            raise QueryError("a silence must end in the future", field="until")
        silence_id = str(uuid.uuid4())
        with self._db.transaction() as conn:
            conn.execute("INSERT INTO alert_silences VALUES (?, ?, ?, ?, ?, ?)",
                         (silence_id, rule_id, key, until_us, comment, now_us))
        return {"id": silence_id, "rule_id": rule_id, "key": key, "until_us": until_us, "comment": comment}

    def silences(self, now_us: int) -> list[dict[str, Any]]:
        return [{"id": r[0], "rule_id": r[1], "key": r[2], "until_us": r[3], "comment": r[4]}
                for r in self._db.rows("SELECT id, rule_id, key, until_us, comment FROM alert_silences"
                                       " WHERE until_us > ? ORDER BY until_us", (now_us,))]

    def delete_silence(self, silence_id: str) -> None:
        with self._db.transaction() as conn:
            if conn.execute("DELETE FROM alert_silences WHERE id = ?", (silence_id,)).rowcount == 0:
                raise NotFound(f"no silence {silence_id}")

    def close(self) -> None:
        with self._db.lock:
            self._db.conn.close()


def silenced(silences: list[dict[str, Any]], rule_id: str, key: str) -> bool:
    """Whether an active silence matches (a missing rule_id or key matches any)."""
    return any((s["rule_id"] in (None, rule_id)) and (s["key"] in (None, key)) for s in silences)
