"""``POST /api/v1/runs/query`` (filtered, paginated run listing) and ``GET /api/v1/search`` (full text)."""

from __future__ import annotations

import msgspec
from fastapi import APIRouter, Depends, Request

from tracehound.errors import MalformedRequest, QueryError
from tracehound.query.runs import DEFAULT_LIMIT, RunQuery, list_runs
from tracehound.server import access
from tracehound.server.body import read_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

router = APIRouter()
_MAX_QUERY_BYTES = 256 * 1024


@router.post("/api/v1/runs/query", response_class=FastJSON)
async def query_runs(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """One page of runs matching the body's filters; pass the returned ``cursor`` back for the next page."""
    body = await read_body(request, _MAX_QUERY_BYTES)
    try:
        query = msgspec.json.decode(body or b"{}", type=RunQuery)
    except msgspec.ValidationError as exc:
        raise QueryError(f"invalid query: {exc}", field=_field_of(str(exc))) from None
    except msgspec.DecodeError as exc:
        raise MalformedRequest(f"malformed JSON: {exc}") from None
    narrowed = access.narrow_projects(query.project)
    if narrowed is not query.project:
        query = msgspec.structs.replace(query, project=narrowed)
    return await _run_in_thread(svc, query)


@router.get("/api/v1/search", response_class=FastJSON)
async def search(q: str, project: str | None = None, limit: int = DEFAULT_LIMIT, cursor: str | None = None,
                 svc: Services = Depends(services)) -> FastJSON:
    """Runs whose inputs, outputs, error or metadata contain every word of ``q``, newest first.

    The same as ``POST /api/v1/runs/query`` with ``filter = search(q)``; ``q`` travels as a JSON string
    literal, which the filter language reads unchanged.
    """
    if not q.strip():
        raise QueryError("q must contain some text", field="q")
    query = RunQuery(project=project, filter=f"search({msgspec.json.encode(q).decode()})", limit=limit,
                     cursor=cursor)
    return await _run_in_thread(svc, query)


async def _run_in_thread(svc: Services, query: RunQuery) -> FastJSON:
    from starlette.concurrency import run_in_threadpool

    page = await run_in_threadpool(list_runs, svc.spans, query)
    return FastJSON(page.to_api())


def _field_of(message: str) -> str | None:
    marker = "at `$."
    if marker in message:
        return message.split(marker, 1)[1].split("`", 1)[0].split("[", 1)[0] or None
    return None
