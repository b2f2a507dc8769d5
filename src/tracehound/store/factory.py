"""The one place a store engine is chosen: from a data directory or store URLs, by URL scheme.

    stores = open_stores(settings)            # TRACEHOUND_SPANS_URL / _META_URL, else the data dir
    stores.spans.get_trace(trace_id)          # a SpanStore; stores.meta, stores.feedback likewise
    stores.close()

=============================================  =============================  ==========================
URL                                            engine                         holds
=============================================  =============================  ==========================
(unset) — the SQLite file in ``data_dir``      ``store.sqlite``               everything
``sqlite:///path/to/file.db``                  ``store.sqlite``               spans and/or meta
``clickhouse://user:pass@host:8123/db``        ``store.clickhouse``           spans, rollups, feedback
``chdb:///path`` (ClickHouse in process)       ``store.clickhouse``           spans, rollups, feedback
``postgresql://user:pass@host:5432/db``        ``store.postgres``             meta
=============================================  =============================  ==========================

Feedback lives with the spans (the filter language joins them), so it follows the spans URL.
Engine packages are imported lazily, here only: nothing else in tracehound imports one (a test
enforces it). An engine package provides ``open_span_store(url, options)`` and
``open_feedback_store(url, options)`` (span engines) or ``open_meta_store(url, options)`` (meta
engines), each returning an object that implements the protocol in ``store.base``.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from tracehound.errors import ConfigError
from tracehound.settings import Settings
from tracehound.store.base import FeedbackStore, MetaStore, SpanStore

DB_FILENAME: Final = "tracehound.db"
_SPAN_ENGINES: Final = {"sqlite": "sqlite", "clickhouse": "clickhouse", "clickhouses": "clickhouse",
                        "chdb": "clickhouse"}
_META_ENGINES: Final = {"sqlite": "sqlite", "postgresql": "postgres", "postgres": "postgres"}
_EXTRAS: Final = {"clickhouse": "clickhouse-connect and chdb (pip install 'tracehound[clickhouse]')",
                  "postgres": "psycopg (pip install 'tracehound[postgres]')"}


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """What every engine is opened with besides its URL."""

    synchronous: str = "FULL"  # SQLite durability (FULL survives power loss); other engines ignore it
    payload_cap_bytes: int = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """Resolved store URLs: ``sqlite:///…`` when a store lives in the data directory's file."""

    spans_url: str
    meta_url: str
    options: StoreOptions = StoreOptions()

    @classmethod
    def from_settings(cls, settings: Settings) -> StoreConfig:
        """``settings.spans_url``/``meta_url``, each defaulting to the data directory's SQLite file."""
        local = sqlite_url(settings.data_dir) if not (settings.spans_url and settings.meta_url) else ""
        return cls(settings.spans_url or local, settings.meta_url or local,
                   StoreOptions(settings.sqlite_synchronous, settings.max_payload_bytes))

    @classmethod
    def local(cls, data_dir: str | Path, *, synchronous: str = "FULL",
              payload_cap_bytes: int = 1024 * 1024) -> StoreConfig:
        """Everything in the SQLite file of ``data_dir`` (SDK local mode, the CLI's offline commands)."""
        url = sqlite_url(data_dir)
        return cls(url, url, StoreOptions(synchronous, payload_cap_bytes))


def db_path(data_dir: str | Path) -> Path:
    """The SQLite file inside a data directory (the directory is created if missing)."""
    directory = Path(data_dir).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    return directory / DB_FILENAME


def sqlite_url(data_dir: str | Path) -> str:
    """``sqlite:///<absolute data_dir>/tracehound.db``."""
    return f"sqlite://{db_path(data_dir).resolve().as_posix()}"


def scheme_of(url: str) -> str:
    """The URL's scheme, lower-cased (``postgresql+psycopg`` is ``postgresql``); ``""`` for a bare path."""
    head, sep, _ = url.partition("://")
    return head.split("+", 1)[0].lower() if sep else ""


def sqlite_file(url: str) -> str:
    """The file a ``sqlite:///path`` URL names (``sqlite:///tmp/x.db`` is ``/tmp/x.db``)."""
    path = url.partition("://")[2]
    if not path or path == "/":
        raise ConfigError(f"{redact(url)}: a sqlite URL names a file, as in sqlite:///var/lib/tracehound.db")
    return path


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    head, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{head}://{userinfo.split(':', 1)[0]}:***@{host}"


def _engine(url: str, engines: dict[str, str], role: str, setting: str) -> str:
    scheme = scheme_of(url)
    engine = engines.get(scheme)
    if engine is None:
        known = ", ".join(f"{name}://" for name in engines)
        raise ConfigError(f"{setting}: {redact(url)!r} is not a {role} store URL; use one of {known}", setting=setting)
    return engine


def _engine_module(engine: str, setting: str) -> ModuleType:
    package = f"tracehound.store.{engine}"
    try:
        return importlib.import_module(package)
    except ImportError as exc:
        if exc.name == package:
            raise ConfigError(f"{setting}: this tracehound has no {engine} engine ({package} is missing)",
                              setting=setting) from None
        raise ConfigError(f"{setting}: the {engine} engine is not available ({exc}); it needs {_EXTRAS[engine]}",
                          setting=setting) from None


def open_span_store(config: StoreConfig) -> SpanStore:
    """The span store ``config.spans_url`` names.

    Raises:
        ConfigError: an unknown scheme, or an engine whose package or driver is missing.
        StoreError: the store cannot be opened.
    """
    engine = _engine(config.spans_url, _SPAN_ENGINES, "span", "TRACEHOUND_SPANS_URL")
    if engine == "sqlite":
        from tracehound.store.sqlite import SqliteSpanStore

        return SqliteSpanStore(sqlite_file(config.spans_url), synchronous=config.options.synchronous,
                               payload_cap_bytes=config.options.payload_cap_bytes)
    return _opener(engine, "open_span_store", "TRACEHOUND_SPANS_URL")(config.spans_url, config.options)


def open_feedback_store(config: StoreConfig) -> FeedbackStore:
    """The feedback store, beside the spans (``config.spans_url``)."""
    engine = _engine(config.spans_url, _SPAN_ENGINES, "span", "TRACEHOUND_SPANS_URL")
    if engine == "sqlite":
        from tracehound.store.sqlite import SqliteFeedbackStore

        return SqliteFeedbackStore(sqlite_file(config.spans_url), synchronous=config.options.synchronous)
    return _opener(engine, "open_feedback_store", "TRACEHOUND_SPANS_URL")(config.spans_url, config.options)


def open_meta_store(config: StoreConfig) -> MetaStore:
    """The meta store ``config.meta_url`` names (same errors as ``open_span_store``)."""
    engine = _engine(config.meta_url, _META_ENGINES, "meta", "TRACEHOUND_META_URL")
    if engine == "sqlite":
        from tracehound.store.sqlite import SqliteMetaStore

        return SqliteMetaStore(sqlite_file(config.meta_url), synchronous=config.options.synchronous)
    return _opener(engine, "open_meta_store", "TRACEHOUND_META_URL")(config.meta_url, config.options)


def _opener(engine: str, name: str, setting: str) -> Any:
    module = _engine_module(engine, setting)
    opener = getattr(module, name, None)
    if opener is None:
        raise ConfigError(f"{setting}: the {engine} engine does not provide {name} yet", setting=setting)
    return opener


class Stores:
    """The stores of one configuration, each opened on first use and closed together.

    Opening lazily lets a command that needs only the meta store (``tracehound alerts``) skip the
    span store; ``open_all`` opens every one up front (servers, to fail at start-up).
    """

    def __init__(self, config: StoreConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._open: dict[str, Any] = {}

    def _get(self, name: str, opener: Any) -> Any:
        store = self._open.get(name)
        if store is None:
            with self._lock:
                store = self._open.get(name)
                if store is None:
                    store = self._open[name] = opener(self.config)
        return store

    @property
    def spans(self) -> SpanStore:
        return self._get("spans", open_span_store)  # type: ignore[no-any-return]

    @property
    def meta(self) -> MetaStore:
        return self._get("meta", open_meta_store)  # type: ignore[no-any-return]

    @property
    def feedback(self) -> FeedbackStore:
        return self._get("feedback", open_feedback_store)  # type: ignore[no-any-return]

    def open_all(self) -> Stores:
        """Open every store now (errors surface here rather than on a first request)."""
        self.spans, self.meta, self.feedback  # noqa: B018
        return self

    def close(self) -> None:
        """Close what was opened (feedback, then meta, then spans); safe to call twice."""
        with self._lock:
            opened, self._open = self._open, {}
        for name in ("feedback", "meta", "spans"):
            store = opened.get(name)
            if store is not None:
                store.close()


def open_stores(source: Settings | StoreConfig | str | Path | None = None) -> Stores:
    """The stores for ``source``: settings (``TRACEHOUND_SPANS_URL``/``_META_URL``, else the data dir),
    a ``StoreConfig``, or a data directory. ``None`` loads settings from the environment.

    Stores open on first use (``Stores.open_all`` to open them now).

    Raises:
        ConfigError: an unknown URL scheme or a missing engine (when a store is first opened).
    """
    if source is None:
        source = Settings.load()
    if isinstance(source, Settings):
        config = StoreConfig.from_settings(source)
    elif isinstance(source, StoreConfig):
        config = source
    else:
        config = StoreConfig.local(source)
    return Stores(config)
