"""``POST /api/v1/sql``: read-only SQL over the documented views (``store/sql.py``), scoped to the caller.

Body: ``{"sql": "...", "limit": 1000, "timeout_s": 10, "projects": ["a", "b"]}`` (only ``sql`` is
required). Answer: ``{"columns", "rows", "row_count", "truncated", "elapsed_ms", "projects"}``. The
rows come from the caller's projects only: every project for an unscoped credential, else the key's
projects (``request.state.principal.projects``, set by access control); ``projects`` narrows further,
and naming a project outside the scope answers 404 like a missing one. A refused or invalid statement,
or one past the time limit, answers 400 with the engine's message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from tracehound.errors import NotFound
from tracehound.server.decode import json_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.sql import DEFAULT_LIMIT, DEFAULT_TIMEOUT_S

router = APIRouter()


class SqlBody(msgspec.Struct, forbid_unknown_fields=True):
    sql: str
    limit: int = DEFAULT_LIMIT
    timeout_s: float = DEFAULT_TIMEOUT_S
    projects: list[str] | None = None


def caller_projects(request: Request, requested: Sequence[str] | None) -> list[str] | None:
    """The projects a read may cover: ``requested`` within the caller's scope (``None``: every project).

    Raises:
        NotFound: a requested project outside the caller's scope (the same answer as a missing project).
    """
    principal: Any = getattr(request.state, "principal", None)
    scope = getattr(principal, "projects", None)
    if requested is not None:
        for name in requested:
            if scope is not None and name not in scope:
                raise NotFound(f"no project named {name!r}")
        return list(requested)
    return None if scope is None else sorted(scope)


@router.post("/api/v1/sql", response_class=FastJSON)
async def run_sql(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Run one read-only SELECT over spans, traces, sessions and feedback."""
    body = await json_body(request, SqlBody, 256 * 1024)
    projects = caller_projects(request, body.projects)
    result = await run_in_threadpool(svc.spans.sql, body.sql, projects=projects, limit=body.limit,
                                     timeout_s=body.timeout_s)
    return FastJSON({**result.to_api(), "projects": projects})
