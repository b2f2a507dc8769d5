"""LangSmith run reads: ``POST /runs/query`` (``Client.list_runs``), ``GET /runs/{id}`` (``read_run``).

The LangSmith body maps onto our run listing (``query.runs.list_runs``: same filter language, same
snapshot cursors): ``session``/``session_id`` → projects by id, ``run_type``, ``is_root``,
``start_time``, ``order``, ``cursor``, and the rest (``id``, ``trace``, ``parent_run``,
``reference_example``, ``error``, ``query``) folded into the filter as ``and(...)`` terms;
``filter``, ``trace_filter`` and ``tree_filter`` pass through unchanged. ``limit`` is a page size
(at most 100; the SDK pages on ``cursors.next`` and truncates itself).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Final

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from tracehound.errors import NotFound
from tracehound.query.runs import RunQuery, list_runs
from tracehound.server import access
from tracehound.server.langsmith.bodies import json_object
from tracehound.server.langsmith.experiments import score_of
from tracehound.server.langsmith.projects import ids_by_name, project_names
from tracehound.server.langsmith.state import LangSmithState, langsmith_state
from tracehound.server.langsmith.translate import to_run
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

router = APIRouter()
PAGE_LIMIT: Final = 100
_NATIVE_SELECT: Final = ("id", "trace_id", "parent_id", "dotted_order", "project", "session_id", "run_type", "name",
                         "start_time", "end_time", "status", "error", "metadata", "tags", "prompt_tokens",
                         "completion_tokens", "total_tokens", "cost", "cost_details", "model", "reference_example_id")
_PAYLOADS: Final = ("inputs", "outputs", "events")
_ALWAYS: Final = ("id", "name", "run_type", "start_time", "trace_id", "dotted_order")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _lit(value: Any) -> str:
    return msgspec.json.encode(str(value)).decode()


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def to_run_query(svc: Services, body: dict[str, Any]) -> tuple[RunQuery, list[str] | None]:
    """Our ``RunQuery`` for a LangSmith query body, and the LangSmith ``select`` (``None``: everything)."""
    sessions = _as_list(body.get("session")) + _as_list(body.get("session_id"))
    terms = [str(body["filter"])] if body.get("filter") else []
    ids = _as_list(body.get("id"))
    if ids:
        terms.append(f"in(id, [{', '.join(map(_lit, ids))}])")
    for key, field in (("trace", "trace_id"), ("parent_run", "parent_run_id")):
        if body.get(key):
            terms.append(f"eq({field}, {_lit(body[key])})")
    examples = _as_list(body.get("reference_example"))
    if examples:
        terms.append(f"in(reference_example_id, [{', '.join(map(_lit, examples))}])")
    if body.get("error") is not None:
        terms.append(f"eq(error, {'true' if body['error'] else 'false'})")
    if body.get("query"):
        terms.append(f"search({_lit(body['query'])})")
    text = None if not terms else terms[0] if len(terms) == 1 else f"and({', '.join(terms)})"
    select = body.get("select")
    wanted = None if not isinstance(select, list) else [str(name) for name in select]
    native = list(_NATIVE_SELECT) + [p for p in _PAYLOADS if wanted is None or p in wanted]
    limit = body.get("limit")
    query = RunQuery(
        project=project_names(svc, sessions) if sessions else None,
        run_type=body.get("run_type"), filter=text, trace_filter=body.get("trace_filter"),
        tree_filter=body.get("tree_filter"), is_root=body.get("is_root"),
        start_time=body.get("start_time"), end_time=body.get("end_time"), select=native,
        order="asc" if str(body.get("order", "desc")).lower() == "asc" else "desc",
        limit=max(1, min(int(limit), PAGE_LIMIT)) if isinstance(limit, int) else PAGE_LIMIT,
        cursor=body.get("cursor"),
    )
    return query, wanted


def feedback_stats(svc: Services, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per run: ``{key: {n, avg}}`` of its feedback."""
    if not run_ids:
        return {}
    scores: dict[str, dict[str, list[float | None]]] = defaultdict(lambda: defaultdict(list))
    for item in svc.feedback.list_feedback(run_ids=run_ids, limit=100_000):
        scores[item.run_id][item.key].append(score_of(item))
    stats = {}
    for run_id, by_key in scores.items():
        stats[run_id] = {}
        for key, values in by_key.items():
            numbers = [v for v in values if v is not None]
            stats[run_id][key] = {"n": len(values), "avg": sum(numbers) / len(numbers) if numbers else None}
    return stats


def to_runs(svc: Services, rows: list[dict[str, Any]], wanted: list[str] | None) -> list[dict[str, Any]]:
    """Native rows as LangSmith runs, restricted to ``wanted`` (plus the keys the SDK's schema requires)."""
    projects = ids_by_name(svc, {row["project"] for row in rows})
    stats = feedback_stats(svc, [row["id"] for row in rows]) if wanted is None or "feedback_stats" in wanted else {}
    runs = [to_run(row, projects.get(row["project"]), stats.get(row["id"]), "attachments") for row in rows]
    if wanted is not None:
        keep = set(wanted) | set(_ALWAYS)
        runs = [{key: value for key, value in run.items() if key in keep} for run in runs]
    return runs


@router.post("/runs/query")
async def query_runs(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """One page: ``{"runs": [...], "cursors": {"next": <cursor or null>}}``."""
    body = await json_object(request, 256 * 1024, empty=b"{}")
    query, wanted = await run_in_threadpool(to_run_query, svc, body)
    page = await run_in_threadpool(list_runs, svc.spans, query)
    runs = await run_in_threadpool(to_runs, svc, page.runs, wanted)
    return FastJSON({"runs": runs, "cursors": {"next": page.cursor}})


@router.get("/runs/{run_id}")
def read_run(run_id: str, svc: Services = Depends(services)) -> FastJSON:
    span = svc.spans.get_span(run_id.lower())
    if span is None or not access.current().sees(span.project):
        raise NotFound(f"no run with id {run_id}")
    return FastJSON(to_runs(svc, [span.to_api()], None)[0])


@router.get("/attachments/{digest}")
def read_attachment(digest: str, state: LangSmithState = Depends(langsmith_state)) -> FileResponse:
    """An attachment's bytes by content hash (the ``presigned_url`` of a run's ``s3_urls``)."""
    path: Path = state.attachments_dir / digest
    if not _SHA256.match(digest) or not path.exists():
        raise NotFound(f"no attachment {digest[:64]}")
    return FileResponse(path)
