"""What every detector shares: its result (findings that name their evidence traces) and its parameters.

    result = detectors.run("cost_spike", store, {"window": "7d", "threshold": 1.5})
    result.fired, result.findings[0].traces   # True, ["0192…", …]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from tracehound.analytics.metrics import Window
from tracehound.errors import QueryError
from tracehound.store.detector_queries import DetectorScope
from tracehound.timefmt import now_us

MAX_EVIDENCE = 20  # trace ids kept per finding


@dataclass
class Finding:
    """One thing a detector flags: what (``key``), why (``message``), how much, and the traces to read."""

    key: str
    message: str
    value: float | None = None
    traces: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class DetectorResult:
    """A detector's answer; it *fired* when it has at least one finding."""

    detector: str
    params: dict[str, Any]
    findings: list[Finding]
    summary: str
    scanned: int = 0  # spans, turns or sessions examined
    details: dict[str, Any] = field(default_factory=dict)
    at_us: int = field(default_factory=now_us)
    elapsed_ms: float = 0.0

    @property
    def fired(self) -> bool:
        return bool(self.findings)

    @property
    def traces(self) -> list[str]:
        seen: dict[str, None] = {}
        for finding in self.findings:
            seen.update(dict.fromkeys(finding.traces))
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        return {"detector": self.detector, "fired": self.fired, "summary": self.summary, "scanned": self.scanned,
                "at_us": self.at_us, "elapsed_ms": round(self.elapsed_ms, 2), "params": self.params,
                "details": self.details, "traces": self.traces, "findings": [asdict(f) for f in self.findings]}


@dataclass(frozen=True)
class Param:
    """One parameter: its default, a parser for API/CLI text, and its help line."""

    default: Any
    help: str
    parse: Callable[[Any], Any] = str


def as_list(value: Any) -> list[str]:
    """A list from a JSON list, or from text with one item per line or comma."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[\n,]", value) if part.strip()]
    return [str(item) for item in value]


def as_float_list(value: Any) -> list[float]:
    return [float(str(item).replace("$", "").replace(",", "")) for item in
            (value if isinstance(value, list) else as_list(value))]


COMMON: dict[str, Param] = {
    "project": Param(None, "Only this project."),
    "window": Param("24h", "Duration ending at `end` (or now): 15m, 24h, 7d."),
    "start": Param(None, "Start of the window (ISO-8601); overrides `window`."),
    "end": Param(None, "End of the window (ISO-8601; default now)."),
}


def resolve(params: Mapping[str, Any] | None, own: Mapping[str, Param]) -> dict[str, Any]:
    """Defaults filled in, values parsed, unknown names refused.

    Raises:
        QueryError: naming the parameter that is unknown or unparsable.
    """
    spec = {**COMMON, **own}
    given = {k: v for k, v in (params or {}).items() if v is not None}
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise QueryError(f"unknown parameter {unknown[0]!r}; known: {', '.join(spec)}", field=unknown[0])
    resolved = {}
    for name, param in spec.items():
        value = given.get(name, param.default)
        try:
            resolved[name] = param.parse(value) if value is not None and name in given else value
        except (TypeError, ValueError) as exc:
            raise QueryError(f"parameter {name!r}: {exc}", field=name) from None
    return resolved


def window_of(params: Mapping[str, Any]) -> Window:
    return Window.parse(params.get("window"), params.get("start"), params.get("end"))


def scope_of(params: Mapping[str, Any], window: Window) -> DetectorScope:
    """Spans started in the window, of the project when given (what ``spans.detectors`` reads)."""
    return DetectorScope(window.start_us, window.end_us, params.get("project") or None)


def payload_text(value: Any) -> str:
    """A payload (decoded) as searchable text: string leaves joined by newlines (keys left out)."""
    parts: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, dict):
            for child in item.values():
                walk(child)
        elif isinstance(item, Sequence) and not isinstance(item, bytes):
            for child in item:
                walk(child)
        elif item is not None:
            parts.append(str(item))

    walk(value)
    return "\n".join(parts)
