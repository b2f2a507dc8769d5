"""``meta.alerts`` and ``meta.detector_results`` in PostgreSQL, shared by every serving node.

A node's evaluator records each transition (new state + history event) in one transaction, so
nodes reading ``states()`` see whole transitions only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from tracehound.store.alerting import AlertEvent, AlertState, Silence
from tracehound.store.postgres.connection import Postgres

_json = msgspec.json.encode


class PostgresAlertStateStore:
    def __init__(self, db: Postgres) -> None:
        self._db = db

    def put_rule(self, rule_id: str, definition: dict[str, Any], now_us: int) -> None:
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO alert_rules (id, definition, created_us, updated_us) VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT (id) DO UPDATE SET definition = excluded.definition,"
                        " updated_us = excluded.updated_us", (rule_id, _json(definition).decode(), now_us, now_us))

    def rule_definitions(self) -> list[dict[str, Any]]:
        rows = self._db.rows("SELECT definition FROM alert_rules ORDER BY id")
        return [msgspec.json.decode(text) for (text,) in rows]

    def delete_rule(self, rule_id: str) -> bool:
        with self._db.transaction() as cur:
            cur.execute("DELETE FROM alert_rules WHERE id = %s", (rule_id,))
            if cur.rowcount == 0:
                return False
            cur.execute("DELETE FROM alert_state WHERE rule_id = %s", (rule_id,))
        return True

    def states(self) -> list[AlertState]:
        return [AlertState(r[0], r[1], r[2], r[3], r[4], r[5], msgspec.json.decode(r[6] or "[]"))
                for r in self._db.rows("SELECT rule_id, key, state, since_us, last_notified_us, value, traces"
                                       " FROM alert_state ORDER BY rule_id, key")]

    def record(self, changes: Sequence[tuple[AlertState, AlertEvent]]) -> None:
        with self._db.transaction() as cur:
            for state, event in changes:
                traces = _json(event.traces).decode()
                cur.execute("INSERT INTO alert_state VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (rule_id, key)"
                            " DO UPDATE SET state = excluded.state, since_us = excluded.since_us,"
                            " last_notified_us = excluded.last_notified_us, value = excluded.value,"
                            " traces = excluded.traces",
                            (state.rule_id, state.key, state.state, state.since_us, state.last_notified_us,
                             state.value, traces))
                cur.execute("INSERT INTO alert_events (at_us, rule_id, key, from_state, to_state, value, message,"
                            " traces, notified) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                            (event.at_us, event.rule_id, event.key, event.from_state, event.to_state, event.value,
                             event.message, traces, event.notified))

    def history(self, rule_id: str | None = None, limit: int = 100) -> list[AlertEvent]:
        sql = "SELECT at_us, rule_id, key, from_state, to_state, value, message, traces, notified FROM alert_events"
        params: list[Any] = []
        if rule_id:
            sql += " WHERE rule_id = %s"
            params.append(rule_id)
        rows = self._db.rows(sql + " ORDER BY seq DESC LIMIT %s", [*params, limit])
        return [AlertEvent(r[0], r[1], r[2], r[3], r[4], r[5], r[6], msgspec.json.decode(r[7] or "[]"), r[8])
                for r in rows]

    def add_silence(self, silence: Silence) -> None:
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO alert_silences VALUES (%s, %s, %s, %s, %s, %s)",
                        (silence.id, silence.rule_id, silence.key, silence.until_us, silence.comment,
                         silence.created_us))

    def silences(self, now_us: int) -> list[Silence]:
        return [Silence(*r) for r in self._db.rows(
            "SELECT id, rule_id, key, until_us, comment, created_us FROM alert_silences WHERE until_us > %s"
            " ORDER BY until_us", (now_us,))]

    def delete_silence(self, silence_id: str) -> bool:
        with self._db.transaction() as cur:
            cur.execute("DELETE FROM alert_silences WHERE id = %s", (silence_id,))
            return cur.rowcount > 0


class PostgresDetectorResultStore:
    def __init__(self, db: Postgres) -> None:
        self._db = db

    def save(self, detector: str, at_us: int, params: dict[str, Any], result: dict[str, Any]) -> int:
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO detector_results (detector, at_us, params, result) VALUES (%s, %s, %s, %s)"
                        " RETURNING seq", (detector, at_us, _json(params).decode(), _json(result).decode()))
            (seq,) = cur.fetchone()
        return int(seq)

    def list(self, detector: str | None = None, *, limit: int = 50, fired_only: bool = False) -> list[dict[str, Any]]:
        sql, args = "SELECT seq, result FROM detector_results", []
        if detector:
            sql += " WHERE detector = %s"
            args.append(detector)
        rows = self._db.rows(sql + " ORDER BY seq DESC LIMIT %s", [*args, limit * (10 if fired_only else 1)])
        found = [{"id": seq, **msgspec.json.decode(text)} for seq, text in rows]
        return [r for r in found if r["fired"] or not fired_only][:limit]
