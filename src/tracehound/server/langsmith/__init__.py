"""The LangSmith-compatible API: the unmodified ``langsmith`` SDK works against tracehound.

Routes live under ``/-/langsmith/``; ``gateway.LangSmithPaths`` brings the SDK's paths (at ``/`` and
under ``/api/v1/``) there. Every write goes through our ingest pipeline and stores; nothing is kept
twice. Modules: ``info`` (startup negotiation), ``ingest`` (runs in), ``runs`` (runs out),
``sessions`` (projects and experiments), ``datasets``, ``examples``, ``feedback``, ``unsupported``
(501 for the rest), ``translate`` (run ↔ span), ``multipart`` (bodies, zstd). See docs/langsmith.md.
"""

from __future__ import annotations

from fastapi import APIRouter

from tracehound.server.langsmith import datasets, examples, feedback, info, ingest, runs, sessions, unsupported
from tracehound.server.langsmith.gateway import PREFIX, LangSmithPaths

__all__ = ["PREFIX", "ROUTERS", "LangSmithPaths"]


def _prefixed(*routers: APIRouter) -> APIRouter:
    combined = APIRouter(prefix=PREFIX)
    for router in routers:
        combined.include_router(router)
    return combined


# The catch-all goes last so every real route is tried first.
ROUTERS = (_prefixed(info.router, ingest.router, runs.router, sessions.router, datasets.router, examples.router,
                     feedback.router, unsupported.router),)
