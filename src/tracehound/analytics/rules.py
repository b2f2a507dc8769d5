"""Alert rule definitions: one shape for the rules file in the user's repo and for the API.

A rules file is TOML (``tomllib``) or, when PyYAML is installed, YAML::

    [models]                       # context windows, added to the built-in table
    "my-finetune" = 16000

    [[rules]]
    id = "search-loops"
    kind = "loop"                  # loop | context_window | error_rate | latency_regression |
    threshold = 3                  # run_tokens | empty_retrieval | threshold
    channels = [{type = "webhook", url = "https://hooks.example/alerts"}]

    [detectors.cost_spike]         # scheduled detectors (TRACEHOUND_DETECT_INTERVAL_S) and their params
    threshold = 1.5

Every kind has defaults (``DEFAULTS``), so ``{id, kind}`` is a complete rule.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from tracehound.errors import ConfigError, QueryError

# Context windows in tokens of common models; a rules file's [models] table or a rule's ``models`` extends it.
MODEL_CONTEXT: Final[dict[str, int]] = {
    "gpt-4o": 128_000, "gpt-4o-mini": 128_000, "gpt-4-turbo": 128_000, "gpt-4": 8_192, "gpt-4.1": 1_047_576,
    "gpt-4.1-mini": 1_047_576, "gpt-3.5-turbo": 16_385, "o1": 200_000, "o3": 200_000, "o3-mini": 200_000,
    "o4-mini": 200_000, "claude-3-5-sonnet": 200_000, "claude-3-5-haiku": 200_000, "claude-3-opus": 200_000,
    "claude-3-7-sonnet": 200_000, "claude-sonnet-4": 200_000, "claude-opus-4": 200_000,
    "gemini-1.5-pro": 2_097_152, "gemini-1.5-flash": 1_048_576, "gemini-2.0-flash": 1_048_576,
    "llama-3.1-70b": 128_000, "mistral-large": 128_000,
}

KINDS: Final = ("loop", "context_window", "error_rate", "latency_regression", "run_tokens", "empty_retrieval",
                "threshold", "online_rate", "drift")
DEFAULTS: Final[dict[str, dict[str, Any]]] = {
    "loop": {"threshold": 3, "window": "15m"},
    "context_window": {"threshold": 0.8, "window": "15m"},
    "error_rate": {"threshold": 0.05, "window": "15m", "min_calls": 20, "run_type": "tool"},
    "latency_regression": {"threshold": 2.0, "window": "15m", "baseline": "7d", "min_calls": 20,
                           "run_type": "tool", "quantile": 0.95},
    "run_tokens": {"threshold": 3.0, "window": "15m", "baseline_runs": 1000, "min_baseline_runs": 20},
    "empty_retrieval": {"threshold": 0.01, "window": "15m", "min_calls": 20},
    "threshold": {"metric": "error_rate", "op": ">", "threshold": 0.0, "window": "15m", "min_calls": 1},
    # the review loop's kinds (analytics/loop_alerts.py): an online evaluator above baseline, drift in a pool
    "online_rate": {"window": "1h", "baseline_days": 7, "min_runs": 20, "min_delta": 0.0, "threshold": 0.0},
    "drift": {"window": "1h", "baseline": "7d", "min_members": 20, "threshold": 0.0},
}
METRICS: Final = ("calls", "errors", "error_rate", "success_rate", "p50_ms", "p95_ms", "p99_ms", "avg_ms",
                  "total_tokens", "prompt_tokens", "completion_tokens", "cost")


@dataclass(frozen=True)
class Rule:
    """One alert rule: what to watch (``kind`` and ``params``), how long before firing, where to notify."""

    id: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    for_s: float = 0.0  # a breach must last this long in ``pending`` before ``firing``
    cooldown_s: float = 300.0  # least time between two notifications of one alert
    channels: list[dict[str, Any]] = field(default_factory=list)
    project: str | None = None
    enabled: bool = True
    source: str = "api"  # "file" rules are read-only through the API

    def param(self, name: str) -> Any:
        return self.params.get(name, DEFAULTS[self.kind].get(name))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_RULE_KEYS: Final = {"id", "kind", "for_s", "cooldown_s", "channels", "project", "enabled", "source", "params"}


def rule_from_dict(data: dict[str, Any], *, source: str = "api") -> Rule:
    """A rule from a mapping; keys other than the rule's own fields are its parameters.

    Raises:
        QueryError: naming the field that is missing or wrong.
    """
    if not isinstance(data, dict):
        raise QueryError("a rule must be an object", field="rule")
    rule_id, kind = data.get("id"), data.get("kind")
    if not isinstance(rule_id, str) or not rule_id:
        raise QueryError("a rule needs a string `id`", field="id")
    if kind not in KINDS:
        raise QueryError(f"rule {rule_id}: `kind` must be one of {', '.join(KINDS)}", field="kind")
    params = dict(data.get("params") or {})
    params.update({k: v for k, v in data.items() if k not in _RULE_KEYS})
    if kind == "online_rate" and not isinstance(params.get("rule"), str):
        raise QueryError(f"rule {rule_id}: an online_rate rule names its online evaluator `rule`", field="rule")
    if kind == "drift" and not isinstance(params.get("pool"), str):
        raise QueryError(f"rule {rule_id}: a drift rule names its drift `pool`", field="pool")
    if kind == "threshold" and params.get("metric", "error_rate") not in METRICS:
        raise QueryError(f"rule {rule_id}: `metric` must be one of {', '.join(METRICS)}", field="metric")
    channels = data.get("channels") or []
    for channel in channels:
        if channel.get("type") not in ("webhook", "slack", "log"):
            raise QueryError(f"rule {rule_id}: channel type must be webhook, slack or log", field="channels")
        if channel["type"] != "log" and not channel.get("url"):
            raise QueryError(f"rule {rule_id}: a {channel['type']} channel needs a `url`", field="channels")
    return Rule(id=rule_id, kind=kind, params=params, for_s=float(data.get("for_s", 0.0)),
                cooldown_s=float(data.get("cooldown_s", 300.0)), channels=list(channels),
                project=data.get("project"), enabled=bool(data.get("enabled", True)), source=source)


@dataclass(frozen=True)
class RulesFile:
    rules: list[Rule]
    models: dict[str, int]
    detectors: dict[str, dict[str, Any]] = field(default_factory=dict)  # scheduled detector → params
    online: list[dict[str, Any]] = field(default_factory=list)  # [[online]] evaluator rules (analytics/online.py)


def load_rules_file(path: str | Path) -> RulesFile:
    """Read a TOML (or, with PyYAML installed, YAML) rules file.

    Raises:
        ConfigError: the file is unreadable or a rule is invalid.
    """
    path = Path(path).expanduser()
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml  # optional: only when the user chose YAML

            data = yaml.safe_load(path.read_text()) or {}
        else:
            data = tomllib.loads(path.read_text())
        rules = [rule_from_dict(item, source="file") for item in data.get("rules", [])]
    except ImportError:
        raise ConfigError(f"{path}: YAML rules need PyYAML (pip install pyyaml); or use TOML",
                          setting="TRACEHOUND_ALERT_RULES_FILE") from None
    except (OSError, ValueError, QueryError) as exc:
        raise ConfigError(f"{path}: {exc}", setting="TRACEHOUND_ALERT_RULES_FILE") from None
    detectors = {str(name): dict(params or {}) for name, params in (data.get("detectors") or {}).items()}
    online = [dict(item) for item in data.get("online") or [] if isinstance(item, dict)]
    return RulesFile(rules, {str(k): int(v) for k, v in (data.get("models") or {}).items()}, detectors, online)


def context_window(model: str | None, extra: dict[str, int] | None = None) -> int | None:
    """The context size of a model: exact name, else the longest known prefix (``gpt-4o-2024-08-06``)."""
    if not model:
        return None
    table = {**MODEL_CONTEXT, **(extra or {})}
    if model in table:
        return table[model]
    matches = [name for name in table if model.startswith(name)]
    return table[max(matches, key=len)] if matches else None
