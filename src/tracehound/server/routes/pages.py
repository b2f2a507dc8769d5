"""The web UI's pages. Each page has a JSON twin: the same path with ``.json`` (``/trace/<id>.json``).

    /                                 projects and recent traces (``?project=``)
    /trace/<id>?span=<id>             waterfall and span detail; a stable deep link for a support ticket
    /trace/<id>/span/<id>             the detail panel alone (fetched when a row is clicked)
    /session/<id>                     a conversation turn by turn
    /-/patterns                       every UI component on one page
    /-/static/<file>?h=<hash>         CSS and JS, cached forever (the hash changes with the file)

Errors on these routes answer an HTML page; the JSON twins and the API keep JSON (``wants_html``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.ui import context as pages
from tracehound.ui.patterns import patterns_context
from tracehound.ui.templating import asset, render

router = APIRouter(include_in_schema=False)

JSON_SUFFIX = ".json"


def _split(value: str) -> tuple[str, bool]:
    """``abc.json`` -> (``abc``, True): the JSON twin of a page is its path plus ``.json``."""
    if value.endswith(JSON_SUFFIX):
        return value[: -len(JSON_SUFFIX)], True
    return value, False


def _page(template: str, context: dict[str, Any], as_json: bool) -> Response:
    if as_json:
        return FastJSON(context)
    return HTMLResponse(render(template, context))


def wants_html(request: Request) -> bool:
    """Whether an error on this request should be an HTML page rather than the JSON error body."""
    path = request.url.path
    if path.endswith(JSON_SUFFIX):
        return False
    endpoint = request.scope.get("endpoint")
    if endpoint is not None:
        return getattr(endpoint, "__module__", None) == __name__
    return "text/html" in request.headers.get("accept", "") and not path.startswith(("/api/", "/v1/"))


def error_page(status: int, code: str, message: str) -> HTMLResponse:
    """The HTML form of an error (``error.html``), with the same status as the JSON form."""
    return HTMLResponse(render("error.html", {"status": status, "code": code, "message": message}),
                        status_code=status)


@router.get("/")
def home(project: str | None = None, svc: Services = Depends(services)) -> Response:
    return _page("index.html", pages.home_context(svc.spans, svc.meta, project), False)


@router.get("/.json")
def home_json(project: str | None = None, svc: Services = Depends(services)) -> Response:
    return _page("index.html", pages.home_context(svc.spans, svc.meta, project), True)


@router.get("/trace/{trace_id}")
def trace(trace_id: str, span: str | None = None, svc: Services = Depends(services)) -> Response:
    trace_id, as_json = _split(trace_id)
    return _page("trace.html", pages.trace_context(svc.spans, trace_id, span), as_json)


@router.get("/trace/{trace_id}/span/{span_id}")
def span_detail(trace_id: str, span_id: str, svc: Services = Depends(services)) -> Response:
    span_id, as_json = _split(span_id)
    return _page("_span_detail.html", pages.span_context(svc.spans, trace_id, span_id), as_json)


@router.get("/session/{session_id}")
def session(session_id: str, project: str | None = None, svc: Services = Depends(services)) -> Response:
    session_id, as_json = _split(session_id)
    return _page("session.html", pages.session_context(svc.spans, session_id, project), as_json)


@router.get("/-/patterns")
def patterns() -> Response:
    return _page("patterns.html", patterns_context(), False)


@router.get("/-/static/{name}")
async def static_file(name: str, h: str | None = None) -> Response:
    found = asset(name)
    if found is None:
        raise HTTPException(404, f"no static file {name}")
    cache = "public, max-age=31536000, immutable" if h == found.digest else "no-cache"
    return Response(found.body, media_type=found.media_type, headers={"Cache-Control": cache, "ETag": found.digest})
