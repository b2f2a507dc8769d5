"""Real HTTP servers on 127.0.0.1 for tests: the peers our code talks to (model APIs, webhooks).

    with serving(MyHandler) as base_url:
        httpx.get(base_url + "/health")
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler with JSON and server-sent-event helpers, and no access log on stderr."""

    def read_json(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")

    def send_json(self, status: int, data: Any) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def send_event(self, text: str) -> None:
        """One server-sent event; a client that already closed the stream is not an error."""
        try:
            self.wfile.write(text.encode())
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler] | None = None, *,
            server: http.server.HTTPServer | None = None) -> Iterator[str]:
    """Serve ``handler`` (or run a ready ``server``) in a thread; yields ``http://127.0.0.1:<port>``."""
    if server is None:
        assert handler is not None, "serving() needs a handler or a server"
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
