"""What a convention is: the attribute keys it owns, and field extractors over a span view.

A convention module defines ``CONVENTION`` (its name and the keys it maps) and extractor functions
``f(view) -> value | None``. Which extractor wins for which field is stated in one place, the
precedence table in ``conventions/__init__.py``; an extractor returns ``None`` to let the next one
try.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from tracehound.ingest.otlp.values import collect_prefixed, unflatten


class KeyIndex(Protocol):
    """Which attribute keys start with a prefix (``shape.Shape`` answers from a per-key-set memo)."""

    def keys_with(self, prefix: str) -> tuple[str, ...]: ...


class Event(NamedTuple):
    """A span event with its attributes decoded."""

    name: str
    time_us: int
    attrs: dict[str, Any]


@dataclass(slots=True)
class SpanView:
    """One OTel span as the extractors see it. ``run_type`` is filled in first, the others read it."""

    name: str
    kind: int
    attrs: dict[str, Any]
    events: list[Event]
    resource: dict[str, Any]
    scope: str
    run_type: str = "chain"
    consumed_events: set[int] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)
    shape: KeyIndex | None = None

    def get(self, key: str) -> Any:
        return self.attrs.get(key)

    def with_prefix(self, prefix: str) -> dict[str, Any]:
        """The attributes whose key starts with ``prefix``, in order (all of them: ``values`` helpers re-check)."""
        attrs = self.attrs
        if self.shape is None:
            return {key: value for key, value in attrs.items() if key.startswith(prefix)}
        keys = self.shape.keys_with(prefix)
        return {key: attrs[key] for key in keys} if keys else {}

    def unflatten(self, prefix: str) -> list[Any]:
        """``values.unflatten`` over the keys under ``prefix.`` only."""
        found = self.with_prefix(prefix + ".")
        return unflatten(found, prefix) if found else []

    def collect(self, prefix: str) -> dict[str, Any]:
        """``values.collect_prefixed`` over the keys under ``prefix`` only."""
        found = self.with_prefix(prefix)
        return collect_prefixed(found, prefix) if found else {}


@dataclass(frozen=True, slots=True)
class Convention:
    """A convention's name and the attributes it maps: exact keys, key prefixes, or a pattern.

    ``ignored`` matches known noise (a JSON schema of other attributes, embedding vectors): owned but
    deliberately not stored, and counted as dropped in the mapping report. ``event_prefixes`` name the
    span events the convention reads.
    """

    name: str
    keys: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    ignored: re.Pattern[str] | None = None
    event_prefixes: tuple[str, ...] = ()

    def owns(self, key: str) -> bool:
        return (key in self.keys or key.startswith(self.prefixes)
                or (self.pattern is not None and self.pattern.match(key) is not None))

    def ignores(self, key: str) -> bool:
        return self.ignored is not None and self.ignored.match(key) is not None
