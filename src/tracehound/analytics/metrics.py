"""Metrics over any window: per-group call counts, error rates and latency percentiles from rollups,
and per-run distributions (tokens, cost, steps, interrupts) from the raw spans.

    rows = summary(store, Window.last("24h"), group_by=("name",), filters={"run_type": "tool"})
    rows[0]  # {"name": "search", "calls": 812, "error_rate": 0.02, "p95_ms": 840.1, "sampled_out": 700, ...}

Rollup reads cost O(buckets): a window is covered by whole days, then hours, then minutes at its
ragged edges (the SQLite engine's ``segments``), and bucket sketches merge by adding counts.
Reads go through the store protocols only: ``spans.rollups`` (buckets, dropped counts) and
``spans.analytics`` (per-run totals, token groups).

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
from tracehound.store.base import SpanStore
from tracehound.store.rollups import DIMENSIONS, WIDTHS_US
from tracehound.store.sketch import quantile
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


def summary(store: SpanStore, window: Window, *, group_by: Sequence[str] = ("name",),
            filters: Mapping[str, Any] | None = None, keep_bins: bool = False) -> list[dict[str, Any]]:
    """Per group: calls, errors, error/success rate, p50/p95/p99 and mean latency (ms), tokens and cost.

    ``calls`` and ``errors`` include the spans tail sampling dropped (``sampled_out`` of the calls);
    latency, tokens and cost are those of the kept spans (``latency_from_kept_only`` when any was dropped).

    Args:
        group_by: rollup dimensions (project, run_type, name, model, status, root).
        filters: equality filters on the same dimensions (a list value means any of them).
        keep_bins: also return each group's latency sketch bins (``bins``: index → count, see
            ``store.sketch.bin_value``) and ``latency_s`` (the sum), for exporters building histograms.

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

    for row in store.rollups.buckets(window.start_us, window.end_us, filters or {}):
        group, bins = group_of(row.name, row.model, row.status, row.root, row.project, row.run_type)
        calls = row.calls
        group["calls"] += calls
        group["errors"] += calls if row.status == "error" else 0
        group["prompt_tokens"] += row.prompt_tokens
        group["completion_tokens"] += row.completion_tokens
        group["total_tokens"] += row.total_tokens
        group["cost_nusd"] += row.cost_nusd
        group["latency_us"] += row.latency_us
        for index, count in row.bins.items():
            bins[index] = bins.get(index, 0) + count
    for dropped in store.rollups.dropped(window.start_us, window.end_us, filters or {}):
        group, _ = group_of(dropped.name, dropped.model, dropped.status, dropped.root, dropped.project,
                            dropped.run_type)
        group["calls"] += dropped.calls
        group["sampled_out"] += dropped.calls
        group["errors"] += dropped.calls if dropped.status == "error" else 0
    rows = []
    for group, bins in groups.values():
        if group["calls"]:
            latency_s = group["latency_us"] / 1e6
            rows.append(_finish(group, bins))
            if keep_bins:
                rows[-1].update(bins=bins, latency_s=latency_s)
    rows.sort(key=lambda r: (-r["calls"], *(str(r[g]) for g in group_by)))
    return rows


def timeseries(store: SpanStore, window: Window, bucket_us: int, *, group_by: Sequence[str] = (),
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


def run_rows(store: SpanStore, window: Window, *, project: str | None = None, agent: str | None = None,
             task_key: str | None = None) -> list[dict[str, Any]]:
    """One row per run (root span) started in the window: its trace's tokens, cost, step count, task."""
    return [{"trace_id": run.trace_id, "agent": run.name, "status": run.status, "start_us": run.start_us,
             "task": run.task, "session_id": run.session_id, "steps": run.steps,
             "tokens": run.tokens or run.own_tokens, "cost": run.cost or 0.0}
            for run in store.analytics.run_totals(window.start_us, window.end_us, project=project, agent=agent,
                                                  task_key=task_key)]


def run_metrics(store: SpanStore, window: Window, *, project: str | None = None, agent: str | None = None,
                task_key: str | None = None) -> dict[str, Any]:
    """Distributions per run (tokens, cost, steps), cost per task, success/failure and interrupt-and-resume rates.

    A task is a session unless ``task_key`` names a metadata key. An interrupted run counts as resumed
    when a later run of the same session exists. ``runs``, ``succeeded``, ``failed`` and
    ``interrupt_rate`` include the runs tail sampling dropped (``sampled_out``, counted per minute);
    the distributions, tasks and ``resume_rate`` come from the kept runs (``per_run_from_kept_only``).
    """
    runs = run_rows(store, window, project=project, agent=agent, task_key=task_key)
    dropped = store.rollups.dropped_runs(window.start_us, window.end_us, project=project, agent=agent)
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


def tokens_by(store: SpanStore, window: Window, key: str, *, project: str | None = None,
              run_type: str = "llm") -> list[dict[str, Any]]:
    """Calls, total tokens and tokens per call grouped by ``model`` or any metadata key (``prompt_version``)."""
    return [{key: group.key, "calls": group.calls, "total_tokens": group.total_tokens,
             "tokens_per_call": group.total_tokens / group.calls, "cost": group.cost}
            for group in store.analytics.tokens_by(window.start_us, window.end_us, key, project=project,
                                                   run_type=run_type)]
