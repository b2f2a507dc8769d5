"""The SDK's process-wide configuration: whether to trace, and which exporter gets finished spans.

Values come from ``configure(...)`` arguments, else ``TRACEHOUND_*`` variables, else defaults
(``tracehound.settings``). The exporter is built on the first finished span, so ``import tracehound``
starts no thread and opens no file::

    tracehound.configure(endpoint="http://127.0.0.1:6180", project="support-bot")
    tracehound.configure(exporter=InMemoryExporter())   # in tests

A bad environment value is logged and replaced by its default: configuration read from the
environment must not crash the traced program. A bad argument to ``configure`` raises ``ValueError``.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from tracehound.settings import BY_NAME

if TYPE_CHECKING:
    from tracehound.sdk.exporter import SpanExporter
    from tracehound.sdk.guards import Guards
    from tracehound.sdk.redaction import Redactor
    from tracehound.sdk.sampling import Sampling

log = logging.getLogger("tracehound.sdk")

SDK_SETTINGS: Final = (
    "data_dir", "endpoint", "api_key", "project", "tracing", "sample_rate", "inherit_metadata",
    "batch_max_spans", "batch_max_bytes", "batch_interval_ms", "queue_max_spans",
    "sampling_keep_rate", "sampling_slow_ms", "sampling_trace_timeout_s", "redact", "redaction_key",
)
EXIT_FLUSH_TIMEOUT_S: Final = 5.0


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def resolve(environ: Mapping[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
    """SDK settings from ``overrides`` (``UNSET`` or ``None`` = not given), the environment and defaults.

    Raises:
        ValueError: an override is out of range (bad code fails loudly; bad environment does not).
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name in SDK_SETTINGS:
        setting = BY_NAME[name]
        values[name] = setting.default
        raw = environ.get(setting.env)
        if raw:
            try:
                values[name] = setting.parse(raw)
                _check(name, values[name])
            except ValueError as exc:
                values[name] = setting.default
                log.error("tracehound: ignoring %s=%r (%s); using %r", setting.env, raw, exc, setting.default)
    for name, value in overrides.items():
        if name not in BY_NAME:
            raise ValueError(f"unknown setting {name!r}")
        if value is UNSET or value is None:
            continue
        _check(name, value)
        values[name] = value
    return values


def _check(name: str, value: Any) -> None:
    if name == "sample_rate" and not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"sample_rate: {value!r} is not between 0 and 1")
    if name in ("batch_max_spans", "batch_max_bytes", "queue_max_spans") and int(value) < 1:
        raise ValueError(f"{name}: {value!r} must be at least 1")
    if name == "batch_interval_ms" and float(value) <= 0:
        raise ValueError(f"batch_interval_ms: {value!r} must be positive")
    if name == "sampling_keep_rate" and not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"sampling_keep_rate: {value!r} is not between 0 and 1")
    if name in ("sampling_slow_ms", "sampling_trace_timeout_s") and float(value) < 0:
        raise ValueError(f"{name}: {value!r} must not be negative")


class State:
    """What every wrapper reads on each call; plain attributes so a read is one dictionary-free lookup."""

    __slots__ = ("_atexit_registered", "_lock", "enabled", "exporter", "guards", "inherit_metadata", "project",
                 "random", "redactor", "sample_rate", "sampling", "values")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._atexit_registered = False
        self.exporter: SpanExporter | None = None
        self.random: Callable[[], float] = random.random
        self.apply(resolve())

    def apply(self, values: dict[str, Any], sampling: Sampling | None = None, redactor: Redactor | None = None,
              guards: Guards | None = None) -> None:
        """Take resolved settings; sampling and redaction given as objects win over the settings."""
        self.values = values
        self.enabled: bool = bool(values["tracing"])
        self.sample_rate: float = float(values["sample_rate"])
        self.project: str = str(values["project"])
        self.inherit_metadata: bool = bool(values["inherit_metadata"])
        if sampling is None and values["sampling_keep_rate"] is not None:
            from tracehound.sdk.sampling import Sampling

            slow_ms = values["sampling_slow_ms"]
            sampling = Sampling(keep_rate=float(values["sampling_keep_rate"]),
                                slow_s=None if slow_ms is None else float(slow_ms) / 1000.0,
                                trace_timeout_s=float(values["sampling_trace_timeout_s"]))
        self.sampling: Sampling | None = sampling
        if redactor is None and values["redact"]:
            from tracehound.sdk.redaction import Redactor

            redactor = Redactor(key=values["redaction_key"])
        self.redactor: Redactor | None = redactor
        self.guards: Guards | None = guards

    def create_exporter(self) -> SpanExporter:
        """The exporter the settings ask for, built once (on the first finished span)."""
        with self._lock:
            if self.exporter is None:
                self.exporter = _exporter_for(self.values)
                self._register_atexit()
            return self.exporter

    def replace_exporter(self, exporter: SpanExporter | None) -> SpanExporter | None:
        with self._lock:
            old, self.exporter = self.exporter, exporter
            if exporter is not None:
                self._register_atexit()
            return old

    def _register_atexit(self) -> None:
        if not self._atexit_registered:
            self._atexit_registered = True
            atexit.register(_flush_at_exit)


def _exporter_for(values: Mapping[str, Any]) -> SpanExporter:
    from tracehound.sdk.exporter import BatchExporter, LocalStoreExporter

    options = dict(
        max_batch_spans=values["batch_max_spans"],
        max_batch_bytes=values["batch_max_bytes"],
        interval_s=values["batch_interval_ms"] / 1000.0,
        max_queue_spans=values["queue_max_spans"],
    )
    if values["endpoint"]:
        return BatchExporter(values["endpoint"], api_key=values["api_key"], **options)
    return LocalStoreExporter(values["data_dir"], **options)


STATE: Final = State()


def configure(
    *,
    endpoint: str | _Unset | None = UNSET,
    api_key: str | _Unset | None = UNSET,
    project: str | None = None,
    tracing: bool | None = None,
    sample_rate: float | None = None,
    inherit_metadata: bool | None = None,
    data_dir: str | None = None,
    batch_max_spans: int | None = None,
    batch_max_bytes: int | None = None,
    batch_interval_ms: float | None = None,
    queue_max_spans: int | None = None,
    exporter: SpanExporter | None = None,
    sampling: Sampling | None = None,
    redaction: Redactor | None = None,
    guards: Guards | None = None,
) -> None:
    """Set how the SDK traces. Anything not given comes from ``TRACEHOUND_*`` variables or defaults.

    Each call starts from the environment again (it does not add to the previous call). The previous
    exporter is flushed and shut down.

    Args:
        endpoint: server URL; ``None`` (or unset everywhere) writes to the local store in ``data_dir``.
        api_key: sent as ``X-API-Key``.
        project: project of every span.
        tracing: ``False`` turns every decorator into a plain call.
        sample_rate: fraction of traces kept, decided at the root.
        inherit_metadata: child spans take their ancestors' metadata under their own (default ``True``,
            as the LangSmith SDK does); ``False`` (or ``TRACEHOUND_INHERIT_METADATA=false``) opts out.
        data_dir: where the local store lives when there is no endpoint.
        batch_max_spans, batch_max_bytes, batch_interval_ms, queue_max_spans: exporter limits.
        exporter: use this exporter instead of building one (``InMemoryExporter`` in tests).
        sampling: tail-sampling rules (``Sampling``); default from ``TRACEHOUND_SAMPLING_*``, else off.
        redaction: a ``Redactor`` run on every span before export; default: ``TRACEHOUND_REDACT``.
        guards: runtime guards (``Guards``: loop, step and token budgets, context window); default none.

    Raises:
        ValueError: a value is out of range.
    """
    values = resolve(
        endpoint=endpoint, api_key=api_key, project=project, tracing=tracing, sample_rate=sample_rate,
        inherit_metadata=inherit_metadata, data_dir=data_dir, batch_max_spans=batch_max_spans,
        batch_max_bytes=batch_max_bytes,
        batch_interval_ms=batch_interval_ms, queue_max_spans=queue_max_spans,
    )
    if endpoint is None:
        values["endpoint"] = None
    STATE.apply(values, sampling, redaction, guards)
    old = STATE.replace_exporter(exporter)
    if old is not None and old is not exporter:
        old.shutdown(timeout_s=EXIT_FLUSH_TIMEOUT_S)


def flush(timeout_s: float = 10.0) -> bool:
    """Send every finished span now and wait (for tests and short scripts).

    Returns:
        ``True`` when everything was delivered (or dropped for a logged reason) within the timeout.
    """
    exporter = STATE.exporter
    return True if exporter is None else exporter.flush(timeout_s)


def shutdown(timeout_s: float = 10.0) -> bool:
    """Flush and stop the exporter; the next finished span builds a new one."""
    old = STATE.replace_exporter(None)
    return True if old is None else old.shutdown(timeout_s)


def _flush_at_exit() -> None:
    exporter = STATE.exporter
    if exporter is not None:
        try:
            exporter.shutdown(EXIT_FLUSH_TIMEOUT_S)
        except Exception:
            log.exception("tracehound: flushing spans at exit failed")
