"""The ClickHouse engine (chDB) served over ClickHouse's HTTP query interface on 127.0.0.1, for tests.

No ClickHouse server package recent enough installs on these machines, so the multi-node tests run
this instead: a small HTTP server that turns each request of the HTTP interface into a chDB call,
enough for an unmodified ``clickhouse-connect`` HTTP client (queries with ``param_*`` bindings and
a ``FORMAT`` clause, ``INSERT … FORMAT Native`` with the data in the body, ``database``, errors as
HTTP 500 with ``X-ClickHouse-Exception-Code``). Requests are serialized on one chDB connection.

    python -m tests.chdb_http --path /tmp/ch --port 0      # prints "listening on <port>"
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import re
import sys
import tempfile
import threading
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*;?\s*$", re.IGNORECASE)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(.+?)\s+FORMAT\s+(\w+)\s*$", re.IGNORECASE | re.DOTALL)
_CODE = re.compile(r"Code: (\d+)")
# Settings the HTTP transport consumes itself (never engine settings).
_TRANSPORT = {"query", "database", "session_id", "session_timeout", "session_check", "query_id", "compress",
              "decompress", "wait_end_of_query", "default_format", "user", "password", "quota_key",
              "enable_http_compression", "send_progress_in_http_headers", "http_headers_progress_interval_ms",
              "client_protocol_version", "buffer_size", "role"}
_SETTING = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Engine:
    """One chDB connection, used by one request at a time."""

    def __init__(self, path: str) -> None:
        import chdb

        self.conn = chdb.connect(path)
        self.lock = threading.Lock()

    def run(self, sql: str, fmt: str, params: dict[str, str], database: str | None,
            settings: dict[str, str]) -> bytes:
        with self.lock:
            if database:
                self.conn.query(f"USE `{database}`", "TabSeparated")
            if settings:
                clause = ", ".join(f"{k} = '{_quote(v)}'" for k, v in settings.items())
                self.conn.query(f"SET {clause}", "TabSeparated")
            result = self.conn.query(sql, fmt, params=params)
            return result.bytes() or b""


def _form_fields(body: bytes, boundary: str) -> dict[str, str]:
    fields = {}
    for part in body.split(b"--" + boundary.encode()):
        head, sep, content = part.partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]+)"', head)
        if sep and name:
            fields[name.group(1).decode()] = content.removesuffix(b"\r\n").decode()
    return fields


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


class Handler(http.server.BaseHTTPRequestHandler):
    engine: Engine
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if urlparse(self.path).path in ("/ping", "/"):
            self._send(200, b"Ok.\n", {})
            return
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        self._handle(body)

    def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int(self.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _handle(self, body: bytes) -> None:
        query = {k: v[-1] for k, v in parse_qs(urlparse(self.path).query, keep_blank_values=True).items()}
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            # Large bindings travel as form fields (query and param_* parts) instead of the URL.
            query.update(_form_fields(body, content_type.split("boundary=", 1)[1].strip('"')))
            body = b""
        params = {k[6:]: v for k, v in query.items() if k.startswith("param_")}
        settings = {k: v for k, v in query.items() if not k.startswith("param_") and k not in _TRANSPORT
                    and _SETTING.match(k) and k not in ("async_insert", "wait_for_async_insert")}
        database = query.get("database")
        sql = query.get("query")
        if sql is None and body[:6].upper() == b"INSERT":
            # clickhouse-connect sends "INSERT INTO t (cols) FORMAT Native\n" and the data in one body
            head, _, body = body.partition(b"\n")
            sql = head.decode()
        try:
            if sql is not None and _INSERT.match(sql) and body:
                self._insert(sql, body, database, settings)
                return
            text = (sql + "\n" + body.decode()) if sql is not None and body else (sql or body.decode())
            match = _FORMAT.search(text)
            fmt = match.group(1) if match else query.get("default_format", "TabSeparated")
            if match:
                text = text[:match.start()]
            data = self.engine.run(text, fmt, params, database, settings)
            self._send(200, data, {"X-ClickHouse-Format": fmt})
        except Exception as exc:  # the engine's error, as a server's HTTP interface reports it
            message = str(exc)
            code = _CODE.search(message)
            self._send(500, message.encode(), {"X-ClickHouse-Exception-Code": code.group(1) if code else "1000"})

    def _insert(self, sql: str, body: bytes, database: str | None, settings: dict[str, str]) -> None:
        match = _INSERT.match(sql)
        assert match is not None
        path = os.path.join(tempfile.gettempdir(), f"chdb-http-{uuid.uuid4().hex}.bin")
        with open(path, "wb") as file:
            file.write(body)
        try:
            self.engine.run(f"INSERT INTO {match.group(1)} FROM INFILE '{_quote(path)}' FORMAT {match.group(2)}",
                            "TabSeparated", {}, database, settings)
        finally:
            os.unlink(path)
        self._send(200, b"", {})

    def _send(self, status: int, data: bytes, headers: dict[str, Any]) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("X-ClickHouse-Timezone", "UTC")
        self.send_header("X-ClickHouse-Server-Display-Name", "chdb-http")
        self.send_header("X-ClickHouse-Summary", json.dumps({"read_rows": "0", "written_rows": "0"}))
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.end_headers()
        self.wfile.write(data)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", required=True, help="the chDB engine directory")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    Handler.engine = Engine(args.path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
