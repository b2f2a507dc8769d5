"""The runs page: the filter language in a search box, quick filters, full-text search, cursor paging.

Quick filters and the search box are folded into one filter expression beside the user's own, so the
page shows exactly what ``POST /api/v1/runs/query`` would return for it:

    /runs?project=shop&status=error&tag=prod&q=refund&filter=gt(latency, 2)
      -> and(gt(latency, 2), eq(status, "error"), has(tags, "prod"), search("refund"))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final
from urllib.parse import urlencode

import msgspec

from tracehound.errors import FilterSyntaxError, QueryError
from tracehound.model import RUN_TYPES, STATUSES
from tracehound.query.runs import RunQuery, list_runs, parse_checked
from tracehound.store.base import MetaStore, SpanStore
from tracehound.timefmt import now_us, parse_iso_us

WINDOWS: Final = ("1h", "6h", "24h", "7d", "30d", "all")
PAGE_SIZE: Final = 50
_COLUMNS: Final = ["id", "trace_id", "name", "project", "run_type", "status", "start_time", "latency_s",
                   "total_tokens", "cost", "session_id", "is_root"]
EXAMPLES: Final = ('eq(run_type, "tool")', "gt(latency, 2)", 'and(eq(status, "error"), has(tags, "prod"))',
                   'eq(metadata_key, "channel")', 'search("refund")')


@dataclass(frozen=True, slots=True)
class RunsParams:
    """What the runs page was asked for (its query string); empty strings mean "not set"."""

    project: str = ""
    run_type: str = ""
    status: str = ""
    window: str = "all"
    tag: str = ""
    q: str = ""
    filter: str = ""
    roots: bool = True
    cursor: str = ""

    def query_string(self, **changes: Any) -> str:
        """This page's query string with some values changed (a cursor is dropped unless given)."""
        values = {**asdict(self), "cursor": "", **changes}
        values["roots"] = "1" if values["roots"] else "0"
        return urlencode({key: value for key, value in values.items() if value not in ("", None)})


def export_links(params: RunsParams) -> dict[str, str]:
    """``/api/v1/export`` URLs for what the page shows (whole traces when it lists root runs)."""
    text = combined_filter(params)
    if params.run_type:
        run_type = f"eq(run_type, {_literal(params.run_type)})"
        text = run_type if not text else f"and({text}, {run_type})"
    query = {"project": params.project, "filter": text, "roots": "true" if params.roots else "",
             "traces": "true" if params.roots else "",
             "start": "" if params.window == "all" else f"-{params.window}"}
    shown = {key: value for key, value in query.items() if value}
    return {fmt: "/api/v1/export?" + urlencode({"format": fmt, **shown}) for fmt in ("jsonl", "parquet")}


def combined_filter(params: RunsParams) -> str:
    """The user's filter and the quick filters as one expression (``and(...)`` when several)."""
    parts = [params.filter.strip()] if params.filter.strip() else []
    if params.status:
        parts.append(f"eq(status, {_literal(params.status)})")
    if params.tag:
        parts.append(f"has(tags, {_literal(params.tag)})")
    if params.q.strip():
        parts.append(f"search({_literal(params.q.strip())})")
    if len(parts) > 1:
        return f"and({', '.join(parts)})"
    return parts[0] if parts else ""


def _literal(text: str) -> str:
    return msgspec.json.encode(text).decode()


def filter_error(exc: QueryError, text: str) -> dict[str, Any]:
    """A bad filter as the page shows it: the message, and for a syntax error the text with a caret."""
    if isinstance(exc, FilterSyntaxError) and exc.text == text:
        return {"message": str(exc), "field": exc.field, "position": exc.position, "expected": exc.expected,
                "before": text[: exc.position], "at": text[exc.position : exc.position + 1] or " ",
                "after": text[exc.position + 1 :]}
    return {"message": str(exc), "field": exc.field, "position": None, "expected": None, "before": None,
            "at": None, "after": None}


def runs_context(spans: SpanStore, meta: MetaStore, params: RunsParams) -> dict[str, Any]:
    """One page of runs for the runs table, or the filter's error (with where it went wrong).

    Tokens and cost of a root run are its whole trace's (LLM spans' tokens, every span's cost); a
    child run shows its own.
    """
    context: dict[str, Any] = {
        "params": asdict(params), "windows": WINDOWS, "run_types": RUN_TYPES, "statuses": STATUSES,
        "projects": [project.name for project in meta.list_projects()], "examples": EXAMPLES,
        "filter": combined_filter(params), "runs": [], "next": None, "error": None,
        "first_page": None if not params.cursor else "?" + params.query_string(),
        "export": export_links(params),
    }
    try:
        if params.filter.strip():
            parse_checked(params.filter, now_us())  # errors point into the text the user typed
        query = RunQuery(project=params.project or None, run_type=params.run_type or None,
                         filter=context["filter"] or None, is_root=True if params.roots else None,
                         start_time=None if params.window == "all" else f"-{params.window}",
                         select=_COLUMNS, limit=PAGE_SIZE, cursor=params.cursor or None)
        if params.window not in WINDOWS:
            raise QueryError(f"window must be one of {', '.join(WINDOWS)}", field="window")
        page = list_runs(spans, query)
    except QueryError as exc:
        context["error"] = filter_error(exc, params.filter)
        return context
    totals = spans.trace_totals([run["trace_id"] for run in page.runs if run["is_root"]])
    for run in page.runs:
        found = totals.get(run["trace_id"]) if run["is_root"] else None
        context["runs"].append({
            "id": run["id"], "trace_id": run["trace_id"], "name": run["name"], "project": run["project"],
            "run_type": run["run_type"], "status": run["status"], "start_us": parse_iso_us(run["start_time"]),
            "duration_us": None if run["latency_s"] is None else round(run["latency_s"] * 1e6),
            "total_tokens": found[2] if found else run["total_tokens"],
            "cost": found[3] if found else run["cost"],
            "span_count": found[0] if found else None, "session_id": run["session_id"], "is_root": run["is_root"],
        })
    if page.cursor:
        context["next"] = "?" + params.query_string(cursor=page.cursor)
    return context
