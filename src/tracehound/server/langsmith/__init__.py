"""The LangSmith-compatible API: the unmodified ``langsmith`` SDK works against tracehound.

Routes live under ``/-/langsmith/``; ``gateway.LangSmithPaths`` brings the SDK's paths (at ``/`` and
under ``/api/v1/``) there. Every write goes through our ingest pipeline and stores; nothing is kept
twice. Modules: ``info`` (startup negotiation), ``ingest`` (runs in), ``runs`` (runs out),
``sessions`` (projects and experiments), ``datasets``, ``examples``, ``feedback``, ``unsupported``
(501 for the rest), ``translate`` (run ↔ span), ``multipart`` (bodies, zstd). See docs/langsmith.md.

The sub-application is built on its first request (``build_app``): its ~150 routes cost FastAPI a
quarter of a second to set up, which a server that never sees a LangSmith client should not pay at
start-up.
"""

from __future__ import annotations

from fastapi import FastAPI

from tracehound.server.langsmith.gateway import PREFIX, LangSmithPaths

__all__ = ["PREFIX", "LangSmithPaths", "build_app"]


def build_app(parent: FastAPI) -> FastAPI:
    """The LangSmith API as an app to mount at ``PREFIX``, sharing ``parent``'s state and error handlers."""
    from tracehound.server.langsmith import (
        datasets,
        examples,
        examples_multipart,
        feedback,
        info,
        ingest,
        queues,
        runs,
        runs_v2,
        sessions,
        unsupported,
    )
    from tracehound.server.responses import FastJSON

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, default_response_class=FastJSON)
    app.state = parent.state
    # The catch-all goes last so every real route is tried first.
    for module in (info, ingest, runs, runs_v2, sessions, datasets, examples, examples_multipart, queues, feedback,
                   unsupported):
        app.include_router(module.router)
    for exc_class, handler in parent.exception_handlers.items():
        app.add_exception_handler(exc_class, handler)
    return app
