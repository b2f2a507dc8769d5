"""API keys: when the server has one (``TRACEHOUND_SERVER_API_KEY``), API requests must carry it.

Checked on the native API (``/api/``), OTLP (``/v1/``) and the LangSmith routes (``/-/langsmith/``,
which the LangSmith paths at ``/`` and ``/api/v1/`` are rewritten to), sent as ``X-API-Key`` (what
our SDK and the LangSmith SDK send) or ``Authorization: Bearer``. The comparison is constant-time and
the key is never logged. Left open: ``/healthz``, the UI pages, and attachment downloads by content
hash (the LangSmith SDK fetches those without a key).
"""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from tracehound.server.responses import FastJSON

_PROTECTED = ("/api/", "/v1/", "/-/langsmith/")
_OPEN = ("/-/langsmith/attachments/",)


def _given_key(scope: Scope) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key == b"x-api-key":
            return value
        if key == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].strip()
    return None


class ApiKeyAuth:
    """Answers 401 to API requests without the server's key (a no-op when no key is configured)."""

    def __init__(self, app: ASGIApp, *, api_key: str | None) -> None:
        self.app = app
        self.api_key = api_key.encode() if api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.api_key is not None and scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith(_PROTECTED) and not path.startswith(_OPEN):
                given = _given_key(scope)
                if given is None or not hmac.compare_digest(given, self.api_key):
                    message = "missing API key (send X-API-Key)" if given is None else "wrong API key"
                    response = FastJSON({"error": {"code": "unauthorized", "message": message, "field": None}},
                                        status_code=401)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
