"""Cost spike by prompt version: tokens per llm call grouped by a metadata key, versions in the order they appeared.

Each version is compared with the one before it; a jump of ``threshold`` times or more in tokens
per call (both versions with at least ``min_calls`` calls) is flagged, with the new version's most
expensive calls as evidence.
"""

from __future__ import annotations

import itertools
from typing import Any

from tracehound.analytics.detectors.base import MAX_EVIDENCE, DetectorResult, Finding, Param, scope_of, window_of
from tracehound.store.base import SpanStore

NAME = "cost_spike"
DESCRIPTION = "Tokens per llm call by prompt_version (or another metadata key); flags the version that jumped."
PARAMS = {
    "key": Param("prompt_version", "Metadata key naming the version."),
    "threshold": Param(1.5, "Flag a version whose tokens per call is this many times its predecessor's.", float),
    "min_calls": Param(20, "Least calls of each version compared.", int),
    "run_type": Param("llm", "Run type of the calls counted."),
}


def detect(store: SpanStore, params: dict[str, Any]) -> DetectorResult:
    window = window_of(params)
    scope = scope_of(params, window)
    rows = store.detectors.metadata_versions(scope, params["key"], params["run_type"])
    versions = [{"version": str(v), "calls": n, "tokens_per_call": tokens / n, "cost_per_call": cost / n,
                 "first_seen_us": first} for v, n, tokens, cost, first in rows]
    findings = []
    eligible = [v for v in versions if v["calls"] >= params["min_calls"]]
    for previous, current in itertools.pairwise(eligible):
        before, after = previous["tokens_per_call"], current["tokens_per_call"]
        if before and after >= params["threshold"] * before:
            ratio = current["tokens_per_call"] / previous["tokens_per_call"]
            traces = store.detectors.costliest_traces(scope, params["key"], current["version"], params["run_type"],
                                                      MAX_EVIDENCE)
            findings.append(Finding(
                current["version"], f"{params['key']} {current['version']}: {current['tokens_per_call']:.0f} tokens"
                f" per call, {ratio:.1f}x {previous['version']} ({previous['tokens_per_call']:.0f})", value=ratio,
                traces=list(dict.fromkeys(traces)), details={"previous": previous, "current": current}))
    return DetectorResult(NAME, params, findings, f"{len(versions)} version(s) of {params['key']};"
                          f" {len(findings)} jump(s)", scanned=sum(v["calls"] for v in versions),
                          details={"versions": versions})
