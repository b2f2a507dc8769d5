"""The web UI's pages. Each page has a JSON twin: the same path with ``.json`` (``/trace/<id>.json``).

    /                                 projects and recent traces (``?project=``)
    /trace/<id>?span=<id>             waterfall and span detail; a stable deep link for a support ticket
    /trace/<id>/span/<id>             the detail panel alone (fetched when a row is clicked)
    /session/<id>                     a conversation turn by turn, with each turn's feedback
    /runs?filter=&project=&run_type=&status=&window=&tag=&q=&roots=&cursor=
                                      the runs table: filter language, quick filters, search, paging
    /dashboard?project=&window=&end=  tools, latency, tokens, cost, steps, runs per bucket
    /triage?tool=&since=&project=     "tool X is failing": failures by error, users, sessions, since when
    /alerts?rule=                     rules, states, firing alerts with evidence traces, history
    /evals/datasets, /evals/datasets/<name>?version=
                                      datasets; one with its examples, versions and experiments
    /evals/experiments                experiments, and a form to compare two
    /evals/compare?baseline=&candidate=
                                      two experiments side by side, each row linking to both traces
(Datasets and experiments live under /evals/ so the LangSmith-compatible ``GET /datasets`` stays free.)
    /sql?q=&limit=                    the read-only SQL console: results as a table and a bar chart
    /-/patterns                       every UI component on one page
    /-/static/<file>?h=<hash>         CSS and JS, cached forever (the hash changes with the file)

Errors on these routes answer an HTML page; the JSON twins and the API keep JSON (``wants_html``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from tracehound.server import access
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.ui import context as pages
from tracehound.ui.context.runs import RunsParams
from tracehound.ui.patterns import patterns_context
from tracehound.ui.templating import asset, render

router = APIRouter(include_in_schema=False)

JSON_SUFFIX = ".json"
PAGE_MODULES = (__name__, "tracehound.server.routes.review_pages")  # modules whose errors answer an HTML page


def _split(value: str) -> tuple[str, bool]:
    """``abc.json`` -> (``abc``, True): the JSON twin of a page is its path plus ``.json``."""
    if value.endswith(JSON_SUFFIX):
        return value[: -len(JSON_SUFFIX)], True
    return value, False


def _page(template: str, context: dict[str, Any], as_json: bool) -> Response:
    if as_json:
        return FastJSON(context)
    return HTMLResponse(render(template, context))


def _scoped(context: dict[str, Any]) -> dict[str, Any]:
    """The page's project picker narrowed to the projects the caller may see."""
    names = context.get("projects")
    if isinstance(names, list) and all(isinstance(name, str) for name in names):
        context["projects"] = access.visible(names)
    return context


def wants_html(request: Request) -> bool:
    """Whether an error on this request should be an HTML page rather than the JSON error body."""
    path = request.url.path
    if path.endswith(JSON_SUFFIX):
        return False
    endpoint = request.scope.get("endpoint")
    if endpoint is not None:
        return getattr(endpoint, "__module__", None) in PAGE_MODULES
    return "text/html" in request.headers.get("accept", "") and not path.startswith(("/api/", "/v1/"))


def error_page(status: int, code: str, message: str) -> HTMLResponse:
    """The HTML form of an error (``error.html``), with the same status as the JSON form."""
    return HTMLResponse(render("error.html", {"status": status, "code": code, "message": message}),
                        status_code=status)


@router.get("/")
def home(project: str | None = None, svc: Services = Depends(services)) -> Response:
    return _page("index.html", pages.home_context(svc.spans, svc.meta, project, access.current().sees), False)


@router.get("/.json")
def home_json(project: str | None = None, svc: Services = Depends(services)) -> Response:
    return _page("index.html", pages.home_context(svc.spans, svc.meta, project, access.current().sees), True)


@router.get("/trace/{trace_id}")
def trace(trace_id: str, span: str | None = None, svc: Services = Depends(services)) -> Response:
    trace_id, as_json = _split(trace_id)
    return _page("trace.html", pages.trace_context(svc.spans, trace_id, span, svc.meta, access.current().sees), as_json)


@router.get("/trace/{trace_id}/span/{span_id}")
def span_detail(trace_id: str, span_id: str, svc: Services = Depends(services)) -> Response:
    span_id, as_json = _split(span_id)
    return _page("_span_detail.html", pages.span_context(svc.spans, trace_id, span_id, access.current().sees), as_json)


@router.get("/session/{session_id}")
def session(session_id: str, project: str | None = None, svc: Services = Depends(services)) -> Response:
    session_id, as_json = _split(session_id)
    return _page("session.html", pages.session_context(svc.spans, session_id, project, svc.feedback), as_json)


def _runs(request: Request, svc: Services, as_json: bool) -> Response:
    query = request.query_params
    params = RunsParams(**{name: query.get(name, "") for name in ("project", "run_type", "status", "tag", "q",
                                                                   "filter", "cursor")},
                        window=query.get("window") or "all", roots=query.get("roots", "1") not in ("0", ""))
    context = _scoped(pages.runs_context(svc.spans, svc.meta, params))
    response = _page("runs.html", context, as_json)
    if context["error"] is not None:
        response.status_code = 400
    return response


@router.get("/runs")
def runs(request: Request, svc: Services = Depends(services)) -> Response:
    return _runs(request, svc, False)


@router.get("/runs.json")
def runs_json(request: Request, svc: Services = Depends(services)) -> Response:
    return _runs(request, svc, True)


@router.get("/dashboard")
def dashboard(project: str | None = None, window: str = "24h", end: str | None = None,
              svc: Services = Depends(services)) -> Response:
    return _page("dashboard.html", _scoped(pages.dashboard_context(svc.spans, svc.meta, project or None, window,
                                                                   end)), False)


@router.get("/dashboard.json")
def dashboard_json(project: str | None = None, window: str = "24h", end: str | None = None,
                   svc: Services = Depends(services)) -> Response:
    return _page("dashboard.html", _scoped(pages.dashboard_context(svc.spans, svc.meta, project or None, window,
                                                                   end)), True)


@router.get("/triage")
def triage(tool: str | None = None, since: str = "24h", project: str | None = None,
           svc: Services = Depends(services)) -> Response:
    return _page("triage.html", pages.triage_context(svc.spans, tool or None, since, project or None), False)


@router.get("/triage.json")
def triage_json(tool: str | None = None, since: str = "24h", project: str | None = None,
                svc: Services = Depends(services)) -> Response:
    return _page("triage.html", pages.triage_context(svc.spans, tool or None, since, project or None), True)


def _alerts(svc: Services, rule: str | None) -> dict[str, Any]:
    return pages.alerts_context(getattr(svc, "alerts", None), getattr(svc, "evaluator", None), rule or None)


@router.get("/alerts")
def alerts(rule: str | None = None, svc: Services = Depends(services)) -> Response:
    return _page("alerts.html", _alerts(svc, rule), False)


@router.get("/alerts.json")
def alerts_json(rule: str | None = None, svc: Services = Depends(services)) -> Response:
    return _page("alerts.html", _alerts(svc, rule), True)


@router.get("/evals/datasets")
def datasets(svc: Services = Depends(services)) -> Response:
    return _page("datasets.html", pages.datasets_context(svc.meta), False)


@router.get("/evals/datasets.json")
def datasets_json(svc: Services = Depends(services)) -> Response:
    return _page("datasets.html", pages.datasets_context(svc.meta), True)


@router.get("/evals/datasets/{name}")
def dataset(name: str, version: int | None = None, svc: Services = Depends(services)) -> Response:
    name, as_json = _split(name)
    return _page("dataset.html", pages.dataset_context(svc.meta, name, version), as_json)


@router.get("/evals/experiments")
def experiments(svc: Services = Depends(services)) -> Response:
    return _page("experiments.html", pages.experiments_context(svc.meta), False)


@router.get("/evals/experiments.json")
def experiments_json(svc: Services = Depends(services)) -> Response:
    return _page("experiments.html", pages.experiments_context(svc.meta), True)


@router.get("/evals/compare")
def compare(baseline: str, candidate: str, svc: Services = Depends(services)) -> Response:
    return _page("compare.html", pages.compare_context(svc.meta, baseline, candidate), False)


@router.get("/evals/compare.json")
def compare_json(baseline: str, candidate: str, svc: Services = Depends(services)) -> Response:
    return _page("compare.html", pages.compare_context(svc.meta, baseline, candidate), True)


def _sql(request: Request, svc: Services, q: str | None, limit: int, project: list[str] | None) -> dict[str, Any]:
    from tracehound.server.routes.sql import caller_projects

    return pages.sql_context(svc.spans, q, caller_projects(request, project or None), max(1, min(limit, 100_000)))


@router.get("/sql")
def sql_console(request: Request, q: str | None = None, limit: int = 500, project: list[str] | None = Query(None),
                svc: Services = Depends(services)) -> Response:
    return _page("sql.html", _sql(request, svc, q, limit, project), False)


@router.get("/sql.json")
def sql_console_json(request: Request, q: str | None = None, limit: int = 500,
                     project: list[str] | None = Query(None), svc: Services = Depends(services)) -> Response:
    return _page("sql.html", _sql(request, svc, q, limit, project), True)


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
