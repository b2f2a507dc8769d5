"""Where a batch goes: a tracehound server over HTTP, or the local SQLite store in this process.

A transport sends one batch once and says what happened (``Outcome``); the ``BatchExporter`` owns
retries, backoff and dropping. Both run only on the exporter's thread.
"""

from __future__ import annotations

import email.utils
import gzip
import http.client
import logging
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import msgspec

log = logging.getLogger("tracehound.sdk")

GZIP_ABOVE_BYTES: Final = 32 * 1024
MAX_RETRY_AFTER_S: Final = 60.0
SPANS_PATH: Final = "/api/v1/spans"
DROPPED_PATH: Final = "/api/v1/sampling/dropped"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one attempt to send a batch."""

    ok: bool
    retry: bool = False  # worth sending again later (unreachable, 5xx, 429, 408, store busy)
    retry_after_s: float | None = None  # the server said when (Retry-After)
    split: bool = False  # too large (413): send it again in halves
    reason: str = ""


DELIVERED: Final = Outcome(True)


def batch_body(parts: list[bytes]) -> bytes:
    """``{"spans": [...]}`` from spans already encoded one by one."""
    return b'{"spans":[' + b",".join(parts) + b"]}"


class Transport(Protocol):
    def send(self, parts: list[bytes]) -> Outcome:
        """Deliver one batch (each part is one span's JSON) once."""

    def close(self) -> None: ...

    def after_fork(self) -> None:
        """Forget connections inherited from the parent process (they belong to it)."""


class HttpTransport:
    """``POST {endpoint}/api/v1/spans`` on one kept-alive connection (standard library only)."""

    def __init__(self, endpoint: str, *, api_key: str | None = None, timeout_s: float = 10.0) -> None:
        url = urllib.parse.urlsplit(endpoint.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"endpoint: {endpoint!r} is not an http(s) URL")
        self.url = f"{url.scheme}://{url.netloc}{url.path}{SPANS_PATH}"
        self._https = url.scheme == "https"
        self._host = url.hostname
        self._port = url.port
        self._path = f"{url.path}{SPANS_PATH}"
        self._dropped_path = f"{url.path}{DROPPED_PATH}"
        self._timeout_s = timeout_s
        self._headers = {"Content-Type": "application/json", "User-Agent": "tracehound-python"}
        if api_key:
            self._headers["X-API-Key"] = api_key
        self._conn: http.client.HTTPConnection | None = None

    def send(self, parts: list[bytes]) -> Outcome:
        return self._post(self._path, batch_body(parts))

    def send_dropped(self, rows: list[dict[str, Any]]) -> Outcome:
        """Report per-minute counts of spans tail sampling dropped (``POST /api/v1/sampling/dropped``)."""
        return self._post(self._dropped_path, msgspec.json.encode({"dropped": rows}))

    def _post(self, path: str, body: bytes) -> Outcome:
        headers = dict(self._headers)
        if len(body) > GZIP_ABOVE_BYTES:
            body = gzip.compress(body, compresslevel=1)  # level 5 costs twice the CPU for ~5% smaller
            headers["Content-Encoding"] = "gzip"
        for _ in range(2):
            reused = self._conn is not None
            conn = self._conn or self._connect()
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self._conn = None
                if reused:  # the server closed a kept-alive connection: try once on a fresh one
                    continue
                return Outcome(False, retry=True, reason=f"cannot reach {self.url}: {exc or type(exc).__name__}")
            if response.will_close:
                conn.close()
                self._conn = None
            else:
                self._conn = conn
            return _outcome(response.status, response.getheader("Retry-After"), data)
        return Outcome(False, retry=True, reason=f"cannot reach {self.url}")

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout_s)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout_s)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def after_fork(self) -> None:
        self._conn = None


def _outcome(status: int, retry_after: str | None, body: bytes) -> Outcome:
    if 200 <= status < 300:
        return DELIVERED
    detail = body[:300].decode("utf-8", "replace")
    reason = f"HTTP {status}: {detail}"
    if status in (408, 429) or status >= 500:
        return Outcome(False, retry=True, retry_after_s=parse_retry_after(retry_after), reason=reason)
    if status == 413:
        return Outcome(False, split=True, reason=reason)
    return Outcome(False, reason=reason)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), capped; ``None`` if absent."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


class LocalStoreTransport:
    """Write batches straight into ``tracehound.db`` in a data directory: tracing with no server.

    The store factory is imported on first use, so ``import tracehound`` never loads the store.
    """

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = data_dir
        self._stores: Any = None

    def send(self, parts: list[bytes]) -> Outcome:
        from tracehound.errors import StoreError, TracehoundError
        from tracehound.model import decode_batch

        try:
            spans = decode_batch(batch_body(parts))
        except TracehoundError:  # one bad span must not lose its neighbours
            spans = []
            for part in parts:
                try:
                    spans.extend(decode_batch(batch_body([part])))
                except TracehoundError as exc:
                    log.warning("tracehound: dropped an invalid span: %s", exc)
        if not spans:
            return DELIVERED
        try:
            stores = self._open()
            stores.spans.upsert(spans)
            stores.meta.ensure_projects(sorted({span.project for span in spans}))
        except StoreError as exc:
            return Outcome(False, retry=True, reason=f"local store {self.data_dir}: {exc}")
        return DELIVERED

    def send_dropped(self, rows: list[dict[str, Any]]) -> Outcome:
        """Add dropped-span counts to the local store (``spans.dropped``)."""
        from tracehound.errors import StoreError

        try:
            self._open().spans.dropped.add_dropped(rows)
        except StoreError as exc:
            return Outcome(False, retry=True, reason=f"local store {self.data_dir}: {exc}")
        return DELIVERED

    def _open(self) -> Any:
        if self._stores is None:
            from tracehound.store.factory import StoreConfig, open_stores

            # NORMAL: survives a crash of this process; nobody was promised more than that.
            self._stores = open_stores(StoreConfig.local(self.data_dir, synchronous="NORMAL"))
        return self._stores

    def close(self) -> None:
        if self._stores is not None:
            self._stores.close()
        self._stores = None

    def after_fork(self) -> None:
        # A SQLite connection must not be used across fork; drop (do not close) the parent's.
        self._stores = None
