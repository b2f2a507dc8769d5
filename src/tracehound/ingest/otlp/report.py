"""The mapping report: per ingest source, what was recognised, what was dropped or defaulted, counts.

A source is ``(service.name, instrumentation scope)``. For each one the report says which conventions
its spans carried, which convention supplied each field, which fields stayed empty (and a hint why:
content capture is off by default in GenAI instrumentations), which attributes no convention maps
(kept in ``metadata.otel.attributes``), which were dropped as noise or truncated, and which spans
were rejected. ``SourceStats`` is cheap to update per span; one request's stats are merged into the
``MappingReport`` once per request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Final

from tracehound.timefmt import iso, now_us

MAX_KEYS_PER_COUNTER: Final = 200


def _bump(counter: dict[str, int], key: str, amount: int = 1) -> None:
    if key in counter:
        counter[key] += amount
    elif len(counter) < MAX_KEYS_PER_COUNTER:
        counter[key] = amount
    else:  # a source with unbounded key cardinality must not grow the report without bound
        counter["(other)"] = counter.get("(other)", 0) + amount


def _merge(into: dict[str, int], other: dict[str, int]) -> None:
    for key, amount in other.items():
        _bump(into, key, amount)


@dataclass(slots=True)
class SourceStats:
    """Counts for one source; every counter maps a label to a number of spans."""

    service: str
    scope: str
    scope_version: str = ""
    spans: int = 0
    stored: int = 0
    rejected: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    projects: dict[str, int] = field(default_factory=dict)
    conventions: dict[str, int] = field(default_factory=dict)
    run_types: dict[str, int] = field(default_factory=dict)
    fields: dict[str, dict[str, int]] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    defaulted: dict[str, int] = field(default_factory=dict)
    unmapped_attributes: dict[str, int] = field(default_factory=dict)
    ignored_attributes: dict[str, int] = field(default_factory=dict)
    truncated_attributes: dict[str, int] = field(default_factory=dict)
    rejections: dict[str, int] = field(default_factory=dict)
    first_seen_us: int = 0
    last_seen_us: int = 0

    def absorb(self, profiles: dict[tuple[tuple[str, ...], ...], int]) -> None:
        """Count per-span notes: each profile is a tuple of notes, seen ``n`` times.

        A note is ``(counter, label)``, ``("fields", field, convention)``, ``("stored",)`` or
        ``("rejected",)``. The translator gathers notes as one tuple per span, and spans of one source
        mostly share a tuple, so counting them here costs one dict update per span.
        """
        for profile, n in profiles.items():
            self.spans += n
            for note in profile:
                kind = note[0]
                if kind == "fields":
                    _bump(self.fields.setdefault(note[1], {}), note[2], n)
                elif kind == "stored":
                    self.stored += n
                elif kind == "rejected":
                    self.rejected += n
                else:
                    _bump(getattr(self, kind), note[1], n)

    def merge(self, other: SourceStats) -> None:
        self.scope_version = other.scope_version or self.scope_version
        self.spans += other.spans
        self.stored += other.stored
        self.rejected += other.rejected
        for name in ("dropped", "projects", "conventions", "run_types", "missing", "defaulted", "unmapped_attributes",
                     "ignored_attributes", "truncated_attributes", "rejections"):
            _merge(getattr(self, name), getattr(other, name))
        for name, counter in other.fields.items():
            _merge(self.fields.setdefault(name, {}), counter)
        self.first_seen_us = min(filter(None, (self.first_seen_us, other.first_seen_us)), default=0)
        self.last_seen_us = max(self.last_seen_us, other.last_seen_us)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form the API and CLI show (counters sorted, most frequent first)."""
        def ordered(counter: dict[str, int]) -> dict[str, int]:
            return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))

        return {
            "protocol": "otlp", "service": self.service, "scope": self.scope, "scope_version": self.scope_version,
            "first_seen": iso(self.first_seen_us) if self.first_seen_us else None,
            "last_seen": iso(self.last_seen_us) if self.last_seen_us else None,
            "spans": self.spans, "stored": self.stored, "rejected": self.rejected,
            "dropped": ordered(self.dropped), "projects": ordered(self.projects),
            "conventions": ordered(self.conventions), "run_types": ordered(self.run_types),
            "fields": {name: ordered(counter) for name, counter in sorted(self.fields.items())},
            "missing": ordered(self.missing), "defaulted": ordered(self.defaulted),
            "unmapped_attributes": ordered(self.unmapped_attributes),
            "ignored_attributes": ordered(self.ignored_attributes),
            "truncated_attributes": ordered(self.truncated_attributes),
            "rejections": ordered(self.rejections), "hints": hints(self),
        }

    def state(self) -> dict[str, Any]:
        """Everything needed to rebuild the stats (what is persisted)."""
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SourceStats:
        known = set(cls.__slots__)  # type: ignore[attr-defined]
        return cls(**{key: value for key, value in state.items() if key in known})


# Why a field is empty, by the convention the spans carried: the setting that turns content on.
_CONTENT_HINTS: Final = {
    "genai": "OpenTelemetry GenAI instrumentations record no message content by default; set "
             "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY (or true for older instrumentations).",
    "openinference": "OpenInference hides content when OPENINFERENCE_HIDE_INPUTS / OPENINFERENCE_HIDE_OUTPUTS "
                     "(or HIDE_*_MESSAGES) is set; unset them.",
    "traceloop": "OpenLLMetry records no prompts or completions when TRACELOOP_TRACE_CONTENT=false; set it to true.",
    "vercel": "The AI SDK records inputs/outputs only with experimental_telemetry: {isEnabled: true, "
              "recordInputs: true, recordOutputs: true}.",
    "logfire": "Pydantic AI records message content only with include_content=True (InstrumentationSettings).",
}


def hints(stats: SourceStats) -> list[str]:
    """Plain-language explanations of the counts that usually surprise people."""
    out = []
    llm = stats.run_types.get("llm", 0)
    empty_llm = max(stats.missing.get("inputs:llm", 0), stats.missing.get("outputs:llm", 0))
    if empty_llm:
        main = next((name for name in sorted(stats.conventions, key=lambda n: -stats.conventions[n])
                     if name in _CONTENT_HINTS), None)
        why = _CONTENT_HINTS.get(main or "", "No attribute or event of a known convention carried the content.")
        out.append(f"{empty_llm} of {llm} llm spans arrived without inputs or outputs. {why}")
    if stats.missing.get("tokens:llm"):
        out.append(f"{stats.missing['tokens:llm']} llm spans carried no token counts (streaming calls often report"
                   " usage only when asked, e.g. OpenAI stream_options={'include_usage': True}).")
    unknown = stats.defaulted.get("run_type: chain (no convention)", 0)
    if unknown:
        out.append(f"{unknown} spans matched no known convention and were stored as chain runs with their"
                   " attributes in metadata.otel.attributes (HTTP/DB auto-instrumentation spans look like this).")
    if stats.unmapped_attributes:
        out.append(f"{len(stats.unmapped_attributes)} attribute keys are not mapped by any convention; they are kept"
                   " in metadata.otel.attributes.")
    if stats.truncated_attributes:
        out.append("Some attribute values were over the size cap (TRACEHOUND_MAX_PAYLOAD_BYTES) and were truncated"
                   " to a preview with a __tracehound_truncated__ marker.")
    if stats.rejected:
        out.append(f"{stats.rejected} spans were rejected (see rejections); the exporter was told via partial_success.")
    return out


class MappingReport:
    """All sources seen by this server (loaded from and saved to the store); thread-safe."""

    def __init__(self, sources: dict[tuple[str, str], SourceStats] | None = None):
        self._sources = sources or {}
        self._dirty: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def add(self, batch: dict[tuple[str, str], SourceStats]) -> None:
        """Merge one request's stats."""
        stamp = now_us()
        with self._lock:
            for key, stats in batch.items():
                stats.first_seen_us = stats.first_seen_us or stamp
                stats.last_seen_us = stamp
                known = self._sources.get(key)
                if known is None:
                    self._sources[key] = stats
                else:
                    known.merge(stats)
                self._dirty.add(key)

    def take_dirty(self) -> list[SourceStats]:
        """The sources changed since the last call (copies of their state, safe to persist elsewhere)."""
        with self._lock:
            changed = [SourceStats.from_state(_copy(self._sources[key].state())) for key in self._dirty]
            self._dirty.clear()
        return changed

    def mark_dirty(self, stats: list[SourceStats]) -> None:
        with self._lock:
            self._dirty.update((s.service, s.scope) for s in stats)

    def sources(self) -> list[dict[str, Any]]:
        with self._lock:
            items = sorted(self._sources.values(), key=lambda s: (s.service, s.scope))
            return [stats.to_dict() for stats in items]


def _copy(state: dict[str, Any]) -> dict[str, Any]:
    return {key: ({k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
                  if isinstance(value, dict) else value) for key, value in state.items()}
