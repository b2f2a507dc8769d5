"""An ASGI app built on its first request, for parts of the server most deployments never call."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send


class LazyApp:
    """Calls ``build`` once, on the first request, and serves every request with what it returned."""

    def __init__(self, build: Callable[[], ASGIApp]) -> None:
        self._build = build
        self._app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:  # one event loop thread: no lock needed
            self._app = self._build()
        await self._app(scope, receive, send)
