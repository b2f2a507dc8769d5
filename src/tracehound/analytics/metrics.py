"""Metrics over any window: per-group call counts, error rates and latency percentiles from rollups,
and per-run distributions (tokens, cost, steps, interrupts) from the raw spans.

    rows = summary(store, Window.last("24h"), group_by=("name",), filters={"run_type": "tool"})
    rows[0]  # {"name": "search", "calls": 812, "error_rate": 0.02, "p95_ms": 840.1, ...}

Rollup reads cost O(buckets): a window is covered by whole days, then hours, then minutes at its
ragged edges (``store.sqlite.rollups.segments``), and bucket sketches merge by adding counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracehound.errors import QueryError
from tracehound.store.sketch import quantile
from tracehound.store.sqlite.rollups import DIMENSIONS, WIDTHS_US, decode_bins, dimension_where, segments
from tracehound.store.sqlite.spans import SqliteSpanStore
from tracehound.timefmt import now_us, parse_iso_us

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_US = {"s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000, "w": 7 * 86_400_000_000}
QUANTILES = (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99))


def parse_duration_us(text: str, *, field: str = "window") -> int:
    """``"15m"``, ``"24h"``, ``"7d"``, ``"90s"``, ``"1w"`` in microseconds.

    Raises:
        QueryError: naming ``field`` when the text is not a duration.
    """
    match = _DURATION.match(str(text))
    if not match:
        raise QueryError(f"{text!r} is not a duration like 15m, 24h or 7d", field=field)
    return int(float(match.group(1)) * _UNIT_US[match.group(2)])


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time range ``[start_us, end_us)``."""

    start_us: int
    end_us: int

    @classmethod
    def last(cls, duration: str | int, *, end_us: int | None = None) -> Window:
        end = now_us() if end_us is None else end_us
        length = duration if isinstance(duration, int) else parse_duration_us(duration)
        return cls(end - length, end)

    @classmethod
    def parse(cls, window: str | None = None, start: str | None = None, end: str | None = None) -> Window:
        """From API/CLI arguments: ``window`` (a duration ending now or at ``end``) or ``start``/``end``."""
        try:
            end_us = parse_iso_us(end) if end else now_us()
            if start:
                return cls(parse_iso_us(start), end_us)
        except ValueError as exc:
            raise QueryError(str(exc), field="start" if start else "end") from None
        return cls.last(window or "24h", end_us=end_us)


def _check_dimensions(names: Iterable[str]) -> None:
    for name in names:
        if name not in DIMENSIONS:
            raise QueryError(f"cannot group by {name!r}; rollup dimensions are {', '.join(DIMENSIONS)}",
                             field="group_by")


def _bucket_rows(store: SqliteSpanStore, window: Window, filters: Mapping[str, Any],
                 columns: str) -> list[tuple[Any, ...]]:
    """Rows of the buckets covering a window (one indexed range per segment, glued with UNION ALL)."""
    parts, params = [], []
    for width, first, end in segments(window.start_us, window.end_us):
        dims: list[Any] = []
        where = dimension_where(dict(filters), dims)
        parts.append(f"SELECT {columns} FROM rollups WHERE width_us = ? AND bucket_us >= ? AND bucket_us < ?"
                     f" AND {where}")
        params += [width, first, end, *dims]
    if not parts:
        return []
    return store.read_sql(" UNION ALL ".join(parts), params)


def _finish(group: dict[str, Any], bins: dict[int, int]) -> dict[str, Any]:
    calls = group["calls"]
    group["error_rate"] = group["errors"] / calls if calls else None
    group["success_rate"] = 1 - group["error_rate"] if calls else None
    group["avg_ms"] = group.pop("latency_us") / calls / 1000 if calls else None
    group["cost"] = group.pop("cost_nusd") / 1e9
    for key, q in QUANTILES:
        value = quantile(bins, q)
        group[key] = None if value is None else round(value / 1000, 3)
    return group


_COLUMNS = ("name, model, status, root, project, run_type, calls, prompt_tokens, completion_tokens, total_tokens,"
            " cost_nusd, latency_us, bins")


def summary(store: SqliteSpanStore, window: Window, *, group_by: Sequence[str] = ("name",),
            filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Per group: calls, errors, error/success rate, p50/p95/p99 and mean latency (ms), tokens and cost.

    Args:
        group_by: rollup dimensions (project, run_type, name, model, status, root).
        filters: equality filters on the same dimensions (a list value means any of them).

    Raises:
        QueryError: an unknown dimension.
    """
    _check_dimensions(group_by)
    _check_dimensions((filters or {}).keys())
    groups: dict[tuple[Any, ...], tuple[dict[str, Any], dict[int, int]]] = {}
    for row in _bucket_rows(store, window, filters or {}, _COLUMNS):
        name, model, status, root, project, run_type, calls, pt, ct, tt, cost, latency, blob = row
        dims = {"name": name, "model": model or None, "status": status, "root": bool(root), "project": project,
                "run_type": run_type}
        key = tuple(dims[g] for g in group_by)
        entry = groups.get(key)
        if entry is None:
            entry = groups[key] = ({**{g: dims[g] for g in group_by}, "calls": 0, "errors": 0, "prompt_tokens": 0,
                                    "completion_tokens": 0, "total_tokens": 0, "cost_nusd": 0, "latency_us": 0}, {})
        group, bins = entry
        group["calls"] += calls
        group["errors"] += calls if status == "error" else 0
        group["prompt_tokens"] += pt
        group["completion_tokens"] += ct
        group["total_tokens"] += tt
        group["cost_nusd"] += cost
        group["latency_us"] += latency
        for index, count in decode_bins(blob).items():
            bins[index] = bins.get(index, 0) + count
    rows = [_finish(group, bins) for group, bins in groups.values() if group["calls"]]
    rows.sort(key=lambda r: (-r["calls"], *(str(r[g]) for g in group_by)))
    return rows


def timeseries(store: SqliteSpanStore, window: Window, bucket_us: int, *, group_by: Sequence[str] = (),
               filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """``summary`` per time bucket (a multiple of a minute), oldest first; empty buckets omitted.

    Raises:
        QueryError: a bucket that is not a whole number of minutes, or an unknown dimension.
    """
    if bucket_us <= 0 or bucket_us % WIDTHS_US[0]:
        raise QueryError("bucket must be a whole number of minutes", field="bucket")
    start = window.start_us // bucket_us * bucket_us
    series = []
    for first in range(start, window.end_us, bucket_us):
        # Each bucket is its own window, so an hour bucket reads one hour row, a day bucket one day row.
        for row in summary(store, Window(first, first + bucket_us), group_by=group_by, filters=filters):
            series.append({"bucket_start_us": first, **row})
    return series


def _distribution(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "mean": None, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)
    pick = lambda q: ordered[math.floor(q * (len(ordered) - 1))]  # noqa: E731
    return {"count": len(ordered), "mean": sum(ordered) / len(ordered), "p50": pick(0.5), "p95": pick(0.95),
            "p99": pick(0.99), "max": ordered[-1]}


def run_rows(store: SqliteSpanStore, window: Window, *, project: str | None = None, agent: str | None = None,
             task_key: str | None = None) -> list[dict[str, Any]]:
    """One row per run (root span) started in the window: its trace's tokens, cost, step count, task."""
    where, params = ["r.parent_id IS NULL", "r.start_us >= ?", "r.start_us < ?"], [window.start_us, window.end_us]
    if project:
        where.append("r.project = ?")
        params.append(project)
    if agent:
        where.append("r.name = ?")
        params.append(agent)
    task = "r.session_id" if not task_key or task_key == "session" else "json_extract(r.metadata, ?)"
    task_params = [] if not task_key or task_key == "session" else [f"$.{task_key}"]
    sql = (f"SELECT r.trace_id, r.name, r.status, r.start_us, {task}, r.session_id, count(s.id),"
           " sum(coalesce(s.total_tokens, 0)) FILTER (WHERE s.run_type = 'llm'), sum(coalesce(s.cost, 0)),"
           " coalesce(r.total_tokens, 0)"
           f" FROM spans AS r JOIN spans AS s ON s.trace_id = r.trace_id WHERE {' AND '.join(where)}"
           " GROUP BY r.id ORDER BY r.start_us")
    rows = []
    for trace_id, name, status, start, task_value, session, steps, tokens, cost, own in store.read_sql(
            sql, [*task_params, *params]):
        rows.append({"trace_id": trace_id, "agent": name, "status": status, "start_us": start,
                     "task": task_value, "session_id": session, "steps": steps, "tokens": tokens or own,
                     "cost": cost or 0.0})
    return rows


def run_metrics(store: SqliteSpanStore, window: Window, *, project: str | None = None, agent: str | None = None,
                task_key: str | None = None) -> dict[str, Any]:
    """Distributions per run (tokens, cost, steps), cost per task, success/failure and interrupt-and-resume rates.

    A task is a session unless ``task_key`` names a metadata key. An interrupted run counts as resumed
    when a later run of the same session exists.
    """
    runs = run_rows(store, window, project=project, agent=agent, task_key=task_key)
    per_task: dict[str, dict[str, Any]] = {}
    for run in runs:
        if run["task"] is None:
            continue
        task = per_task.setdefault(str(run["task"]), {"task": str(run["task"]), "runs": 0, "cost": 0.0, "tokens": 0})
        task["runs"] += 1
        task["cost"] += run["cost"]
        task["tokens"] += run["tokens"]
    last_in_session: dict[str, int] = {}
    for run in runs:
        if run["session_id"]:
            last_in_session[run["session_id"]] = max(last_in_session.get(run["session_id"], 0), run["start_us"])
    interrupted = [run for run in runs if run["status"] == "interrupted"]
    resumed = [run for run in interrupted if run["session_id"] and last_in_session[run["session_id"]] > run["start_us"]]
    return {
        "runs": len(runs),
        "succeeded": sum(run["status"] == "ok" for run in runs),
        "failed": sum(run["status"] == "error" for run in runs),
        "tokens_per_run": _distribution([run["tokens"] for run in runs]),
        "cost_per_run": _distribution([run["cost"] for run in runs]),
        "steps_per_run": _distribution([run["steps"] for run in runs]),
        "cost_per_task": _distribution([task["cost"] for task in per_task.values()]),
        "tasks": sorted(per_task.values(), key=lambda t: -t["cost"])[:100],
        "interrupt_rate": len(interrupted) / len(runs) if runs else None,
        "resume_rate": len(resumed) / len(interrupted) if interrupted else None,
    }


def tokens_by(store: SqliteSpanStore, window: Window, key: str, *, project: str | None = None,
              run_type: str = "llm") -> list[dict[str, Any]]:
    """Calls, total tokens and tokens per call grouped by ``model`` or any metadata key (``prompt_version``)."""
    group = "coalesce(model, '')" if key == "model" else "json_extract(metadata, ?)"
    params: list[Any] = [] if key == "model" else [f"$.{key}"]
    where = "run_type = ? AND start_us >= ? AND start_us < ?"
    params += [run_type, window.start_us, window.end_us]
    if project:
        where += " AND project = ?"
        params.append(project)
    rows = store.read_sql(f"SELECT {group} AS k, count(*), sum(coalesce(total_tokens, 0)), sum(coalesce(cost, 0))"
                          f" FROM spans WHERE {where} GROUP BY k ORDER BY k", params)
    return [{key: k if k != "" else None, "calls": n, "total_tokens": tokens, "tokens_per_call": tokens / n,
             "cost": cost} for k, n, tokens, cost in rows]
