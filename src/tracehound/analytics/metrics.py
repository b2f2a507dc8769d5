"""Metrics over any window: per-group call counts, error rates and latency percentiles from rollups,
and per-run distributions (tokens, cost, steps, interrupts) from the raw spans.

    rows = summary(store, Window.last("24h"), group_by=("name",), filters={"run_type": "tool"})
    rows[0]  # {"name": "search", "calls": 812, "error_rate": 0.02, "p95_ms": 840.1, "sampled_out": 700, ...}

Rollup reads cost O(buckets): a window is covered by whole days, then hours, then minutes at its
ragged edges (``store.sqlite.rollups.segments``), and bucket sketches merge by adding counts.

Spans that tail sampling dropped are not stored, but their per-minute counts are (``sampling_dropped``,
keyed like the rollups minus ``root``: a row's ``traces`` are its root spans). Counts (calls, errors,
runs) add them back so rates and throughput stay true; latency, tokens and cost come from the kept
spans only, and each row says so (``sampled_out``, ``latency_from_kept_only``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracehound.errors import QueryError
from tracehound.store.sketch import quantile
from tracehound.store.sqlite.rollups import (
    DIMENSIONS,
    MINUTE_US,
    WIDTHS_US,
    decode_bins,
    dimension_where,
    segments,
)
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


def _dropped_rows(store: SqliteSpanStore, window: Window, filters: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Counts sampling dropped in the window's minutes, as ``(name, model, status, root, project, run_type, calls)``.

    The window is rounded outward to whole minutes, as the rollups round it (``segments``). A dropped
    row's ``traces`` are its root spans, so it splits into a root part and a non-root part.
    """
    start = window.start_us // MINUTE_US * MINUTE_US
    end = -(-window.end_us // MINUTE_US) * MINUTE_US
    if end <= start:
        return []
    root = filters.get("root")
    params: list[Any] = [start, end]
    where = dimension_where({k: v for k, v in filters.items() if k != "root"}, params)
    found = store.read_sql("SELECT name, model, status, project, run_type, sum(spans), sum(traces)"
                           " FROM sampling_dropped WHERE minute_us >= ? AND minute_us < ?"
                           f" AND {where} GROUP BY project, run_type, name, model, status", params)
    rows = []
    for name, model, status, project, run_type, spans, traces in found:
        for is_root, calls in ((True, traces), (False, spans - traces)):
            if calls > 0 and (root is None or bool(root) == is_root):
                rows.append((name, model, status, is_root, project, run_type, calls))
    return rows


def _finish(group: dict[str, Any], bins: dict[int, int]) -> dict[str, Any]:
    calls = group["calls"]
    kept = calls - group["sampled_out"]
    group["error_rate"] = group["errors"] / calls if calls else None
    group["success_rate"] = 1 - group["error_rate"] if calls else None
    group["latency_from_kept_only"] = group["sampled_out"] > 0
    group["avg_ms"] = group.pop("latency_us") / kept / 1000 if kept else None
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

    ``calls`` and ``errors`` include the spans tail sampling dropped (``sampled_out`` of the calls);
    latency, tokens and cost are those of the kept spans (``latency_from_kept_only`` when any was dropped).

    Args:
        group_by: rollup dimensions (project, run_type, name, model, status, root).
        filters: equality filters on the same dimensions (a list value means any of them).

    Raises:
        QueryError: an unknown dimension.
    """
    _check_dimensions(group_by)
    _check_dimensions((filters or {}).keys())
    groups: dict[tuple[Any, ...], tuple[dict[str, Any], dict[int, int]]] = {}

    def group_of(name: str, model: str, status: str, root: Any, project: str,
                 run_type: str) -> tuple[dict[str, Any], dict[int, int]]:
        dims = {"name": name, "model": model or None, "status": status, "root": bool(root), "project": project,
                "run_type": run_type}
        key = tuple(dims[g] for g in group_by)
        entry = groups.get(key)
        if entry is None:
            entry = groups[key] = ({**{g: dims[g] for g in group_by}, "calls": 0, "errors": 0, "sampled_out": 0,
                                    "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "cost_nusd": 0,
                                    "latency_us": 0}, {})
        return entry

    for row in _bucket_rows(store, window, filters or {}, _COLUMNS):
        name, model, status, root, project, run_type, calls, pt, ct, tt, cost, latency, blob = row
        group, bins = group_of(name, model, status, root, project, run_type)
        group["calls"] += calls
        group["errors"] += calls if status == "error" else 0
        group["prompt_tokens"] += pt
        group["completion_tokens"] += ct
        group["total_tokens"] += tt
        group["cost_nusd"] += cost
        group["latency_us"] += latency
        for index, count in decode_bins(blob).items():
            bins[index] = bins.get(index, 0) + count
    for name, model, status, root, project, run_type, calls in _dropped_rows(store, window, filters or {}):
        group, _ = group_of(name, model, status, root, project, run_type)
        group["calls"] += calls
        group["sampled_out"] += calls
        group["errors"] += calls if status == "error" else 0
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


def _dropped_runs(store: SqliteSpanStore, window: Window, *, project: str | None = None,
                  agent: str | None = None) -> dict[str, int]:
    """Root spans sampling dropped in the window's minutes (rounded outward), per status."""
    where, params = ["minute_us >= ?", "minute_us < ?", "traces > 0"], [
        window.start_us // MINUTE_US * MINUTE_US, window.end_us]
    for column, value in (("project", project), ("name", agent)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    rows = store.read_sql(f"SELECT status, sum(traces) FROM sampling_dropped WHERE {' AND '.join(where)}"
                          " GROUP BY status", params)
    return {status: count for status, count in rows}


def run_metrics(store: SqliteSpanStore, window: Window, *, project: str | None = None, agent: str | None = None,
                task_key: str | None = None) -> dict[str, Any]:
    """Distributions per run (tokens, cost, steps), cost per task, success/failure and interrupt-and-resume rates.

    A task is a session unless ``task_key`` names a metadata key. An interrupted run counts as resumed
    when a later run of the same session exists. ``runs``, ``succeeded``, ``failed`` and
    ``interrupt_rate`` include the runs tail sampling dropped (``sampled_out``, counted per minute);
    the distributions, tasks and ``resume_rate`` come from the kept runs (``per_run_from_kept_only``).
    """
    runs = run_rows(store, window, project=project, agent=agent, task_key=task_key)
    dropped = _dropped_runs(store, window, project=project, agent=agent)
    sampled_out = sum(dropped.values())
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
    total = len(runs) + sampled_out
    return {
        "runs": total,
        "succeeded": sum(run["status"] == "ok" for run in runs) + dropped.get("ok", 0),
        "failed": sum(run["status"] == "error" for run in runs) + dropped.get("error", 0),
        "sampled_out": sampled_out,
        "per_run_from_kept_only": sampled_out > 0,
        "tokens_per_run": _distribution([run["tokens"] for run in runs]),
        "cost_per_run": _distribution([run["cost"] for run in runs]),
        "steps_per_run": _distribution([run["steps"] for run in runs]),
        "cost_per_task": _distribution([task["cost"] for task in per_task.values()]),
        "tasks": sorted(per_task.values(), key=lambda t: -t["cost"])[:100],
        "interrupt_rate": (len(interrupted) + dropped.get("interrupted", 0)) / total if total else None,
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
