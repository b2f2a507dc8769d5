"""Protocols for the alerting records in the meta store: rules, states, history, silences
(``meta.alerts``) and saved detector results (``meta.detector_results``).

Several serving nodes share these through the meta store (PostgreSQL when scaled out), so every
write is a whole record and ``record`` is one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class AlertState:
    """Where one (rule, key) alert stands; ``analytics.alerts.step`` advances it."""

    rule_id: str
    key: str
    state: str = "ok"  # ok | pending | firing | resolved
    since_us: int = 0
    last_notified_us: int | None = None
    value: float | None = None
    traces: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One transition, appended to the history; ``notified`` summarises delivery ("" when none)."""

    at_us: int
    rule_id: str
    key: str
    from_state: str
    to_state: str
    value: float | None
    message: str
    traces: list[str]
    notified: str


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    rule_id: str | None  # None: any rule
    key: str | None  # None: any key
    until_us: int
    comment: str | None
    created_us: int


class AlertStateStore(Protocol):
    """Rules created through the API (as their JSON definitions), states, history and silences."""

    def put_rule(self, rule_id: str, definition: dict[str, Any], now_us: int) -> None:
        """Create or replace a rule's definition."""

    def rule_definitions(self) -> list[dict[str, Any]]:
        """Every stored definition, by rule id."""

    def delete_rule(self, rule_id: str) -> bool:
        """Remove the rule and its states (history stays); ``False`` when unknown."""

    def states(self) -> list[AlertState]: ...

    def record(self, changes: Sequence[tuple[AlertState, AlertEvent]]) -> None:
        """In one transaction: replace each state (by rule id and key) and append its event."""

    def history(self, rule_id: str | None = None, limit: int = 100) -> list[AlertEvent]:
        """Events newest first (by the order they were appended)."""

    def add_silence(self, silence: Silence) -> None: ...

    def silences(self, now_us: int) -> list[Silence]:
        """Silences still active at ``now_us`` (``until_us > now_us``), ending soonest first."""

    def delete_silence(self, silence_id: str) -> bool:
        """``False`` when unknown."""


class DetectorResultStore(Protocol):
    """Saved detector runs (on demand, or by the scheduler), newest first."""

    def save(self, detector: str, at_us: int, params: dict[str, Any], result: dict[str, Any]) -> int:
        """Store one result (``result`` is ``DetectorResult.to_dict()``); returns its id (growing)."""

    def list(self, detector: str | None = None, *, limit: int = 50,
             fired_only: bool = False) -> list[dict[str, Any]]:
        """Stored results as ``{"id": id, **result}``, newest first; ``fired_only`` keeps ``result["fired"]``."""
