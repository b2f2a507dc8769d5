"""LangSmith's v2 run reads, what SDK 0.15's ``Client.runs.query`` / ``Client.runs.retrieve`` call.

* ``POST /api/v2/runs/query``: ``project_ids``, ``filter``/``trace_filter``/``tree_filter`` (the one
  filter language), ``is_root``, ``has_error``, ``ids``, ``trace_id``, ``run_type``,
  ``reference_examples``, ``min_start_time`` (default: a day ago) / ``max_start_time``, ``page_size``
  (1–1000, default 100), ``cursor`` and ``selects``; answers ``{"items": [...], "next_cursor"}``. The
  body is mapped onto the v1 query (``runs.to_run_query``), so paging uses the same snapshot cursors.
* ``GET /api/v2/runs/{run_id}?project_id=&selects=``: one run.

As in LangSmith, a run carries only the ``selects`` asked for, and always its ``id``; field names in
lower case; statuses are ``SUCCESS``/``ERROR``/``PENDING``. Selects tracehound has no data for
(``MANIFEST``, ``SHARE_URL``, ``PRICE_MODEL_ID``...) come back as ``null``. ``ai_search`` and
``sem_filter`` (LangSmith's natural-language search) answer 501.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from tracehound.errors import NotFound, QueryError
from tracehound.query.runs import list_runs
from tracehound.server.langsmith.bodies import json_object
from tracehound.server.langsmith.runs import to_run_query, to_runs
from tracehound.server.langsmith.unsupported import NotSupported
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

router = APIRouter()
MAX_PAGE: Final = 1000
_STATUS: Final = {"success": "SUCCESS", "error": "ERROR", "pending": "PENDING"}
_PREVIEW_CHARS: Final = 200
_DERIVED_FROM: Final = ("end_time", "parent_run_id", "session_id", "extra", "status", "error", "inputs", "outputs")


@router.post("/api/v2/runs/query")
async def query_runs_v2(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """One page of runs: ``{"items": [...], "next_cursor": <cursor or null>}``."""
    body = await json_object(request, 256 * 1024, empty=b"{}")
    for unsupported in ("ai_search", "sem_filter"):
        if body.get(unsupported):
            raise NotSupported(f"`POST /api/v2/runs/query` with `{unsupported}` (natural-language search)")
    selects = _selects(body.get("selects"))
    page_size = body.get("page_size", 100)
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE:
        raise QueryError(f"page_size must be an integer from 1 to {MAX_PAGE}", field="page_size")
    if not body.get("project_ids") and not body.get("reference_dataset_id"):
        raise QueryError("set `project_ids` (or `reference_dataset_id`)", field="project_ids")
    if body.get("reference_dataset_id"):
        raise NotSupported("`POST /api/v2/runs/query` with `reference_dataset_id` (pass `project_ids`)")
    v1: dict[str, Any] = {
        "session": body.get("project_ids"), "filter": body.get("filter"), "trace_filter": body.get("trace_filter"),
        "tree_filter": body.get("tree_filter"), "is_root": body.get("is_root"), "run_type": body.get("run_type"),
        "id": body.get("ids"), "trace": body.get("trace_id"), "reference_example": body.get("reference_examples"),
        "error": body.get("has_error"), "cursor": body.get("cursor"),
        # relative, so it resolves against the cursor's snapshot "now" and every page is the same query
        "start_time": body.get("min_start_time") or "-24h",
        "end_time": body.get("max_start_time"),
    }
    query, _ = await run_in_threadpool(to_run_query, svc, {key: value for key, value in v1.items()
                                                           if value is not None})
    query.limit = page_size
    page = await run_in_threadpool(list_runs, svc.spans, query)
    # the v1 fields the v2 ones are computed from; feedback stats (a second read) only when selected
    wanted = None if "feedback_stats" in selects else [*selects, *_DERIVED_FROM]
    runs = await run_in_threadpool(to_runs, svc, page.runs, wanted)
    return FastJSON({"items": [_v2(run, selects) for run in runs], "next_cursor": page.cursor})


@router.get("/api/v2/runs/{run_id}")
def retrieve_run_v2(run_id: str, project_id: str | None = None, selects: list[str] | None = Query(None),
                    svc: Services = Depends(services)) -> FastJSON:
    """One run with the selected fields; 404 when it is not stored (or not in ``project_id``)."""
    span = svc.spans.get_span(run_id.lower())
    if span is None:
        raise NotFound(f"no run with id {run_id}")
    run = to_runs(svc, [span.to_api()], None)[0]
    if project_id and run.get("session_id") not in (project_id, None):
        raise NotFound(f"run {run_id} is not in project {project_id}")
    return FastJSON(_v2(run, _selects(selects)))


def _selects(value: Any) -> list[str]:
    if value is None:
        return ["id"]
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise QueryError("`selects` must be a list of field names", field="selects")
    return list(dict.fromkeys(["id", *(name.lower() for name in value)]))  # the id always comes back


def _v2(run: dict[str, Any], selects: list[str]) -> dict[str, Any]:
    """A v1-shaped run (``translate.to_run``) as a v2 ``Run`` with only the selected fields."""
    extra = run.get("extra") or {}
    start, end = run.get("start_time"), run.get("end_time")
    full: dict[str, Any] = {
        **run, "status": _STATUS.get(str(run.get("status")), "PENDING"), "project_id": run.get("session_id"),
        "metadata": extra.get("metadata"), "is_root": run.get("parent_run_id") is None,
        "latency_seconds": _latency(start, end), "error_preview": _preview(run.get("error")),
        "inputs_preview": _preview(run.get("inputs")), "outputs_preview": _preview(run.get("outputs")),
        "ls_user_id": None,
    }
    return {name: full.get(name) for name in selects}


def _latency(start: Any, end: Any) -> float | None:
    if not start or not end:
        return None
    return (_parse(end) - _parse(start)).total_seconds()


def _parse(text: Any) -> datetime:
    return text if isinstance(text, datetime) else datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def _preview(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text[:_PREVIEW_CHARS]
