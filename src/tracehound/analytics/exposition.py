"""Agent metrics as running totals with bounded labels: what ``/metrics`` exposes to Prometheus.

Totals are read from the rollups over all time (a handful of day buckets per group), so they count
each span once on every write path and survive server restarts — Prometheus sees true counters.
Label values are bounded: per project and run type only the ``max_names`` busiest names keep their own
series and the rest fold into ``_other``; likewise projects (``max_projects``) and models. A scrape
therefore costs O(groups) and the series count is at most projects × run types × names × statuses.

    groups = agent_totals(store, max_names=20, max_projects=50)
    groups[0]  # {"project": "support", "run_type": "tool", "name": "search", "status": "ok", "calls": 812,
               #  "buckets": [(0.1, 700), ..., (inf, 812)], "latency_s": 91.5, ...}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

from tracehound.analytics.metrics import Window, summary
from tracehound.store.sketch import bin_value
from tracehound.timefmt import now_us

OTHER: Final = "_other"
LATENCY_BOUNDS_S: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def agent_totals(store: Any, *, max_names: int = 20, max_projects: int = 50,
                 bounds_s: Sequence[float] = LATENCY_BOUNDS_S) -> list[dict[str, Any]]:
    """Per (project, run_type, name, status): calls, kept calls, latency histogram, tokens, cost — all time.

    Returns:
        One dict per group with ``calls`` (sampled-out included), ``buckets`` (cumulative counts of kept
        calls per upper bound in seconds, the last bound infinite), ``latency_s``, token sums and ``cost``.
    """
    rows = summary(store, Window(0, now_us() + 60_000_000), group_by=("project", "run_type", "name", "status"),
                   keep_bins=True)
    keep_project = _top({row["project"]: row["calls"] for row in rows}, max_projects)
    per_name: Counter[tuple[str, str, str]] = Counter()
    for row in rows:
        per_name[(row["project"], row["run_type"], row["name"])] += row["calls"]
    kept_names: set[tuple[str, str, str]] = set()
    by_kind: dict[tuple[str, str], Counter[str]] = {}
    for (project, run_type, name), calls in per_name.items():
        by_kind.setdefault((project, run_type), Counter())[name] = calls
    for (project, run_type), names in by_kind.items():
        kept_names.update((project, run_type, name) for name, _ in names.most_common(max_names))

    merged: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        project = row["project"] if row["project"] in keep_project else OTHER
        name = row["name"] if (row["project"], row["run_type"], row["name"]) in kept_names else OTHER
        key = (project, row["run_type"], name, row["status"])
        group = merged.get(key)
        if group is None:
            group = merged[key] = {"project": project, "run_type": row["run_type"], "name": name,
                                   "status": row["status"], "calls": 0, "prompt_tokens": 0, "completion_tokens": 0,
                                   "cost": 0.0, "latency_s": 0.0, "bins": Counter()}
        for field in ("calls", "prompt_tokens", "completion_tokens", "cost", "latency_s"):
            group[field] += row[field]
        group["bins"].update(row["bins"])
    out = []
    for group in merged.values():
        group["buckets"] = _cumulative(group.pop("bins"), bounds_s)
        out.append(group)
    return out


def _top(counts: dict[str, int], limit: int) -> set[str]:
    return {key for key, _ in Counter(counts).most_common(limit)}


def _cumulative(bins: Counter[int], bounds_s: Sequence[float]) -> list[tuple[float, int]]:
    """Sketch bins → cumulative counts at each bound (a bin counts where its reported value falls)."""
    values = sorted((bin_value(index) / 1e6, count) for index, count in bins.items())
    out, running, position = [], 0, 0
    for bound in (*bounds_s, float("inf")):
        while position < len(values) and values[position][0] <= bound:
            running += values[position][1]
            position += 1
        out.append((bound, running))
    return out
