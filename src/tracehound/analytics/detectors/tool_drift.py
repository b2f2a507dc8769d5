"""Tool-selection drift: did the agent's choice of tools change between two windows (before/after a model swap)?

The tool-call counts of the two windows (from the rollups) form a 2×k table. Pearson's chi-square
test of homogeneity says whether the distribution moved at all; each tool is then tested on its own
(its calls against all others, 2×2, Bonferroni-corrected over the k tools) and flagged when that is
significant and its share moved by at least ``min_share_change``.
"""

from __future__ import annotations

from typing import Any

from tracehound.analytics import metrics
from tracehound.analytics.detectors._stats import chi2_homogeneity
from tracehound.analytics.detectors.base import MAX_EVIDENCE, DetectorResult, Finding, Param, window_of
from tracehound.analytics.metrics import Window
from tracehound.store.base import SpanStore
from tracehound.store.detector_queries import DetectorScope
from tracehound.timefmt import iso, parse_time_us

NAME = "tool_drift"
DESCRIPTION = "Tools whose share of tool calls moved significantly between two windows (chi-square)."
PARAMS = {
    "split": Param(None, "Where the 'before' window ends and 'after' begins (ISO-8601 or -12h); default the middle."),
    "alpha": Param(0.01, "Significance level (per-tool tests are Bonferroni-corrected).", float),
    "min_share_change": Param(0.05, "Least absolute change of a tool's share to flag it (0.05 = 5 points).", float),
    "min_calls": Param(30, "Least tool calls in each window to test at all.", int),
}


def _counts(store: SpanStore, window: Window, project: str | None) -> dict[str, int]:
    filters: dict[str, Any] = {"run_type": "tool", **({"project": project} if project else {})}
    return {row["name"]: row["calls"] for row in metrics.summary(store, window, group_by=("name",), filters=filters)}


def _evidence(store: SpanStore, tool: str, window: Window, project: str | None) -> list[str]:
    return store.detectors.tool_traces(DetectorScope(window.start_us, window.end_us, project or None), tool,
                                       MAX_EVIDENCE)


def detect(store: SpanStore, params: dict[str, Any]) -> DetectorResult:
    whole = window_of(params)
    split = parse_time_us(params["split"], now=whole.end_us) if params["split"] else \
        (whole.start_us + whole.end_us) // 2
    before, after = Window(whole.start_us, split), Window(split, whole.end_us)
    project = params["project"]
    counts_before, counts_after = _counts(store, before, project), _counts(store, after, project)
    tools = sorted(set(counts_before) | set(counts_after))
    n_before, n_after = sum(counts_before.values()), sum(counts_after.values())
    shown = {**params, "before": [iso(before.start_us), iso(before.end_us)], "after": [iso(after.start_us),
                                                                                      iso(after.end_us)]}
    if min(n_before, n_after) < params["min_calls"] or len(tools) < 2:
        return DetectorResult(NAME, shown, [], f"not enough tool calls to compare ({n_before} before,"
                              f" {n_after} after; need {params['min_calls']} each and two tools)",
                              scanned=n_before + n_after)
    table = [[counts_before.get(t, 0) for t in tools], [counts_after.get(t, 0) for t in tools]]
    statistic, df, p_value = chi2_homogeneity(table)
    findings = []
    if p_value < params["alpha"]:
        for tool in tools:
            b, a = counts_before.get(tool, 0), counts_after.get(tool, 0)
            _, _, p_tool = chi2_homogeneity([[b, n_before - b], [a, n_after - a]])
            share_b, share_a = b / n_before, a / n_after
            change = share_a - share_b
            if p_tool * len(tools) < params["alpha"] and abs(change) >= params["min_share_change"]:
                evidence_window = after if a else before
                findings.append(Finding(
                    tool, f"{tool}: {share_b:.1%} of tool calls before, {share_a:.1%} after (p={p_tool:.2g})",
                    value=change, traces=_evidence(store, tool, evidence_window, project),
                    details={"calls_before": b, "calls_after": a, "share_before": share_b, "share_after": share_a,
                             "p_value": p_tool}))
    findings.sort(key=lambda f: -abs(f.value or 0))
    summary = (f"chi-square {statistic:.1f} on {df} df, p={p_value:.3g} over {len(tools)} tools"
               f" ({n_before} calls before, {n_after} after); {len(findings)} tool(s) drifted")
    return DetectorResult(NAME, shown, findings, summary, scanned=n_before + n_after,
                          details={"statistic": statistic, "df": df, "p_value": p_value})
