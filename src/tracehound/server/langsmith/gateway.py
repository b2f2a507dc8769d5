"""Which requests reach the LangSmith API: one ASGI middleware deciding by path, then by client.

The LangSmith routes live under ``/-/langsmith/`` (always LangSmith, never ambiguous). The SDK calls
them at the root (``/runs/multipart``) or under ``/api/v1/`` (``/api/v1/runs/multipart``), so those
paths are rewritten to the prefix when their first segment is a LangSmith resource (``runs``,
``sessions``, ``datasets``, ``examples``, ``feedback``, ``info``...). Where a native route answers the
same path (``/api/v1/datasets``, ``/api/v1/feedback``, ``/api/v1/runs/query``,
``/api/v1/sessions/{id}``...), the native route keeps it unless the request comes from a LangSmith
client (``User-Agent: langsmith-py/…`` or ``langsmith-js/…``). Any other path a LangSmith client
calls that no native route serves (``/api/v2/…``, ``/v1/platform/…``) goes to the prefix too, where
the catch-all answers 501 naming it.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

PREFIX: Final = "/-/langsmith"
SEGMENTS: Final = frozenset((
    "info", "runs", "sessions", "datasets", "examples", "feedback", "attachments", "annotation-queues", "repos",
    "commits", "prompts", "public", "settings", "workspaces", "tenants", "orgs", "feedback-configs",
    "feedback-formulas", "api-key", "charts", "ls-sessions",
))


def is_langsmith_client(scope: Scope) -> bool:
    for key, value in scope.get("headers") or ():
        if key == b"user-agent":
            return value.lower().startswith(b"langsmith")
    return False


class LangSmithPaths:
    """Rewrites LangSmith requests at ``/`` and ``/api/v1/`` to ``/-/langsmith/``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            target = self.target(scope)
            if target is not None:
                scope = {**scope, "path": target, "raw_path": target.encode(),
                         "langsmith_original_path": scope["path"]}
        await self.app(scope, receive, send)

    def target(self, scope: Scope) -> str | None:
        """The rewritten path, or ``None`` to leave the request alone."""
        path: str = scope["path"]
        if path.startswith(PREFIX + "/") or path == PREFIX:
            return None
        rest = path[len("/api/v1"):] if path.startswith("/api/v1/") else path
        first = rest.lstrip("/").split("/", 1)[0]
        if first == "otel":  # OTLP stays OTLP, whoever sends it
            return None
        if first in SEGMENTS:
            if self._native(scope) and not is_langsmith_client(scope):
                return None
            return PREFIX + rest
        if is_langsmith_client(scope) and not self._native(scope):
            return PREFIX + rest
        return None

    def _native(self, scope: Scope) -> bool:
        """Does a non-LangSmith route match this path (any method)?"""
        app: Any = scope.get("app")
        routes = getattr(getattr(app, "router", None), "routes", ())
        for route in routes:  # the LangSmith routes cannot match: the path is not under PREFIX yet
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return True
        return False
