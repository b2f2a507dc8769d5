"""Slow sub-tool: which tool accounts for the slowest turns (p99 attribution).

Turns are root spans. The slowest ``1 - quantile`` of them (the top 1% at 0.99) are the slow ones; each
tool's time inside them is summed and compared with its time in all turns of the window. A tool is
flagged when it takes at least ``min_share`` of the slow turns' time and that share is ``min_lift``
times its share in turns overall, so a tool that is always most of the time is not blamed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from tracehound.analytics.detectors.base import MAX_EVIDENCE, DetectorResult, Finding, Param, scope_of, window_of
from tracehound.store.base import SpanStore

NAME = "slow_subtool"
DESCRIPTION = "The tool that accounts for the slowest turns (time share in p99 turns vs all turns)."
PARAMS = {
    "quantile": Param(0.99, "The slowest (1 - quantile) of turns are the slow ones (0.99: the top 1%).", float),
    "min_share": Param(0.4, "Least share of the slow turns' time a tool must take.", float),
    "min_lift": Param(1.5, "Least ratio of that share to the tool's share over all turns.", float),
    "min_turns": Param(50, "Least turns in the window to look at all.", int),
}


def detect(store: SpanStore, params: dict[str, Any]) -> DetectorResult:
    window = window_of(params)
    scope = scope_of(params, window)
    turns = store.detectors.turn_latencies(scope)
    if len(turns) < params["min_turns"]:
        return DetectorResult(NAME, params, [], f"{len(turns)} turns; need {params['min_turns']}",
                              scanned=len(turns))
    ordered = sorted(turns, key=lambda item: -item[1])
    count = max(1, math.ceil(round((1 - params["quantile"]) * len(ordered), 6)))  # the slowest 1% at q=0.99
    slow = dict(ordered[:count])
    threshold = ordered[count - 1][1]
    slow_total = sum(slow.values())
    per_tool: dict[str, int] = defaultdict(int)
    per_trace: dict[str, dict[str, int]] = defaultdict(dict)
    for trace_id, name, total in store.detectors.tool_time_in(sorted(slow)):
        per_tool[name] += total
        per_trace[trace_id][name] = total
    overall = store.detectors.tool_time(scope)
    all_total = sum(latency for _, latency in turns)
    findings = []
    for name, spent in sorted(per_tool.items(), key=lambda item: -item[1]):
        share = spent / slow_total if slow_total else 0.0
        base = (overall.get(name) or 0) / all_total if all_total else 0.0
        lift = share / base if base else math.inf
        if share >= params["min_share"] and lift >= params["min_lift"]:
            worst = sorted(slow, key=lambda t: -per_trace[t].get(name, 0))
            findings.append(Finding(
                name, f"{name} takes {share:.0%} of the time of the {len(slow)} slowest turns"
                      f" (>= {threshold / 1000:.0f} ms) against {base:.0%} over all turns", value=share,
                traces=[t for t in worst if per_trace[t].get(name)][:MAX_EVIDENCE],
                details={"share_slow": share, "share_all": base, "lift": None if math.isinf(lift) else lift,
                         "slow_turns": len(slow), "threshold_ms": threshold / 1000}))
    top = max(per_tool.items(), key=lambda item: item[1], default=(None, 0))
    summary = (f"{len(slow)} turn(s) at or above p{params['quantile'] * 100:g} = {threshold / 1000:.0f} ms;"
               f" top tool {top[0]} with {top[1] / slow_total:.0%} of their time" if top[0] and slow_total
               else f"{len(slow)} slow turn(s) with no tool time")
    return DetectorResult(NAME, params, findings, summary, scanned=len(turns),
                          details={"threshold_ms": threshold / 1000, "slow_turns": len(slow)})
