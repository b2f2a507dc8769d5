"""Every ``TRACEHOUND_*`` setting, declared once with its default and help.

The CLI's ``--help``, ``docs/settings.md`` and the settings object are all built from ``SETTINGS``;
a test checks each one is documented. An environment value that does not parse raises
``ConfigError`` naming the variable (configuration is code's input: failing loudly beats guessing).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Setting:
    """One configuration knob: environment variable ``TRACEHOUND_<NAME>``."""

    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str

    @property
    def env(self) -> str:
        return f"TRACEHOUND_{self.name.upper()}"


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{text!r} is not a boolean (use true/false)")


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{text!r} is not between 0 and 1")
    return value


def _auth_mode(text: str) -> str:
    mode = text.strip().lower()
    if mode not in ("auto", "on", "off"):
        raise ValueError(f"{text!r} is not one of auto, on, off")
    return mode


SETTINGS: Final[tuple[Setting, ...]] = (
    Setting("data_dir", "~/.tracehound", "Directory holding the embedded store (tracehound.db)."),
    Setting("spans_url", None,
            "Span store (spans, rollups, feedback): sqlite:///path/to/file.db, clickhouse://user:pass@host:8123/db"
            " or chdb:///path (ClickHouse in process). Unset: the SQLite file in the data dir."),
    Setting("meta_url", None,
            "Meta store (projects, datasets, experiments, alert rules and state): sqlite:///path or"
            " postgresql://user:pass@host:5432/db. Unset: the SQLite file in the data dir."),
    Setting("host", "127.0.0.1", "Address the server listens on."),
    Setting("port", 6180, "Port the server listens on.", int),
    Setting("max_request_bytes", 32 * 1024 * 1024, "Largest accepted request body, after decompression (413 above).",
            int),
    Setting("max_spans_per_request", 10_000, "Most spans accepted in one ingest request (413 above).", int),
    Setting("max_payload_bytes", 1024 * 1024,
            "Largest stored inputs/outputs/error value; larger ones are truncated with a marker.", int),
    Setting("sqlite_synchronous", "FULL",
            "SQLite synchronous mode. FULL survives power loss (what a 2xx promises); NORMAL survives crashes."),
    Setting("commit_interval_ms", 0.0,
            "Group commit: extra time the writer waits to gather batches into one transaction. Batches that"
            " arrive while a commit runs always share the next one, so 0 already groups under load.", float),
    Setting("max_pending_spans", 200_000,
            "Spans waiting for the writer before ingest answers 503 with Retry-After (backpressure).", int),
    Setting("endpoint", None, "SDK: server URL to send spans to. Unset: spans go straight into the local store."),
    Setting("api_key", None, "SDK: API key sent as X-API-Key (never logged)."),
    Setting("project", "default", "SDK: project for spans that do not name one."),
    Setting("server_api_key", None,
            "Server: a shared admin key over every project (X-API-Key or Authorization: Bearer); setting it turns"
            " access control on. Prefer per-project keys (tracehound keys create). Compared in constant time,"
            " never logged."),
    Setting("auth", "auto",
            "Server: access control. auto: on once a key or user exists (or TRACEHOUND_SERVER_API_KEY is set);"
            " on: always (nothing but /healthz, /login and static files answer without a credential); off: never.",
            _auth_mode),
    Setting("session_hours", 12.0, "Server: how long a UI sign-in lasts.", float),
    Setting("retention_interval_s", 300.0,
            "Server: how often the retention job applies each project's policy; 0 turns it off.", float),
    Setting("retention_batch_traces", 25,
            "Server: traces the retention job removes per transaction (small, so ingest never waits long).", int),
    Setting("tracing", True, "SDK: set to false to turn tracing off (decorators become pass-through).", _bool),
    Setting("sample_rate", 1.0, "SDK: fraction of traces kept.", _fraction),
    Setting("inherit_metadata", True,
            "SDK: child spans inherit their parents' metadata (as the LangSmith SDK does); false: each keeps its own.",
            _bool),
    Setting("batch_max_spans", 512, "SDK exporter: most spans per request.", int),
    Setting("batch_max_bytes", 4 * 1024 * 1024, "SDK exporter: most bytes per request.", int),
    Setting("batch_interval_ms", 200.0, "SDK exporter: longest wait before a partial batch is sent.", float),
    Setting("queue_max_spans", 20_000, "SDK exporter: spans kept while the server is unreachable; oldest dropped.",
            int),
    Setting("sampling_keep_rate", None,
            "SDK tail sampling: fraction of ordinary traces kept, by session (errors, interrupts, flagged and slow"
            " traces are always kept). Unset: tail sampling off.", _fraction),
    Setting("sampling_slow_ms", None, "SDK tail sampling: keep every trace slower than this.", float),
    Setting("sampling_trace_timeout_s", 300.0, "SDK tail sampling: decide a trace whose root has not ended after this.",
            float),
    Setting("redact", False, "SDK: replace personal data and secrets by keyed-hash tokens before export.", _bool),
    Setting("redaction_key", None,
            "Secret for redaction tokens (SDK and server; never logged). Unset: a random key per process.",),
    Setting("ingest_redact", False, "Server: redact personal data in every ingested span (native, OTLP, LangSmith).",
            _bool),
    Setting("ingest_sampling_keep_rate", None,
            "Server: tail-sample traces whose root arrives in the batch, with the SDK's rules. Unset: off.",
            _fraction),
    Setting("ingest_sampling_slow_ms", None, "Server tail sampling: keep every trace slower than this.", float),
    Setting("alerts", True, "Server: evaluate alert rules as spans arrive.", _bool),
    Setting("alert_rules_file", None, "Server: TOML (or YAML) file of alert rules and model context sizes."),
    Setting("alert_interval_s", 5.0, "Server: how often windowed alert rules (error rate, latency) are evaluated.",
            float),
    Setting("public_url", None, "Server: base URL used in alert links to traces (default http://host:port)."),
    Setting("detect_interval_s", 0.0,
            "Server: run the scheduled detectors (the rules file's [detectors] tables, else all that need no"
            " lists) every this many seconds and save their results; 0 turns scheduling off.", float),
    Setting("online_workers", 2, "Server: threads that run online evaluator rules (judges wait on the network).",
            int),
    Setting("online_queue_limit", 1000,
            "Server: traces waiting for online evaluation or pool filling; past it they are dropped and counted.",
            int),
    Setting("worst_sessions_queue", None,
            "Server: annotation queue the scheduled worst_sessions detector feeds (created on first use)."),
    Setting("grpc_port", None,
            "Server: also accept OTLP/gRPC traces on this port (4317 by convention; needs the grpc extra)."
            " Unset or 0: off.", int),
    Setting("prometheus_max_names", 20,
            "Server: /metrics keeps a series for this many busiest names per project and run type; the rest"
            " are summed under name=\"_other\" (bounds label cardinality).", int),
    Setting("prometheus_max_projects", 50,
            "Server: /metrics keeps this many busiest projects; the rest are summed under project=\"_other\".", int),
    Setting("judge_base_url", None, "Evals: OpenAI-compatible base URL of the LLM judge (e.g. https://api.openai.com/v1)."),
    Setting("judge_model", None, "Evals: the judge's pinned model id (a dated snapshot, not an alias)."),
    Setting("judge_api_key", None, "Evals: API key for the judge endpoint (sent as a Bearer token, never logged)."),
)
BY_NAME: Final = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved configuration: explicit values, else ``TRACEHOUND_*`` variables, else defaults."""

    data_dir: str = "~/.tracehound"
    spans_url: str | None = field(default=None, repr=False)  # may hold a password
    meta_url: str | None = field(default=None, repr=False)
    host: str = "127.0.0.1"
    port: int = 6180
    max_request_bytes: int = 32 * 1024 * 1024
    max_spans_per_request: int = 10_000
    max_payload_bytes: int = 1024 * 1024
    sqlite_synchronous: str = "FULL"
    commit_interval_ms: float = 0.0
    max_pending_spans: int = 200_000
    endpoint: str | None = None
    api_key: str | None = None
    project: str = "default"
    server_api_key: str | None = field(default=None, repr=False)
    auth: str = "auto"
    session_hours: float = 12.0
    retention_interval_s: float = 300.0
    retention_batch_traces: int = 25
    tracing: bool = True
    sample_rate: float = 1.0
    inherit_metadata: bool = True
    batch_max_spans: int = 512
    batch_max_bytes: int = 4 * 1024 * 1024
    batch_interval_ms: float = 200.0
    queue_max_spans: int = 20_000
    sampling_keep_rate: float | None = None
    sampling_slow_ms: float | None = None
    sampling_trace_timeout_s: float = 300.0
    redact: bool = False
    redaction_key: str | None = None
    ingest_redact: bool = False
    ingest_sampling_keep_rate: float | None = None
    ingest_sampling_slow_ms: float | None = None

    alerts: bool = True
    alert_rules_file: str | None = None
    alert_interval_s: float = 5.0
    public_url: str | None = None
    detect_interval_s: float = 0.0
    online_workers: int = 2
    online_queue_limit: int = 1000
    worst_sessions_queue: str | None = None
    grpc_port: int | None = None
    prometheus_max_names: int = 20
    prometheus_max_projects: int = 50
    judge_base_url: str | None = None
    judge_model: str | None = None
    judge_api_key: str | None = None

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings; ``overrides`` that are ``None`` are ignored (unset CLI flags).

        Raises:
            ConfigError: naming the variable whose value does not parse.
        """
        from tracehound.errors import ConfigError

        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = environ.get(setting.env)
            if raw is not None and raw != "":
                try:
                    values[setting.name] = setting.parse(raw)
                except ValueError as exc:
                    raise ConfigError(f"{setting.env}: {exc}", setting=setting.env) from None
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


assert {f.name for f in fields(Settings)} == set(BY_NAME), "Settings and SETTINGS must list the same names"
assert all(f.default == BY_NAME[f.name].default for f in fields(Settings)), "Settings defaults must match SETTINGS"


def settings_markdown() -> str:
    """The settings reference (``docs/settings.md``), generated so it cannot go stale."""
    lines = [
        "# Settings",
        "",
        "Every setting is an environment variable; `tracehound serve` flags override them.",
        "Generated by `python -m tracehound.settings > docs/settings.md`; a test keeps it current.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{s.env}` | `{s.default}` | {s.help} |" for s in SETTINGS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")
