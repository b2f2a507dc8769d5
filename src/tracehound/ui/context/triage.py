"""The triage page, for "tool X is failing": failures grouped by error, who and what they hit, since when.

Without a tool it lists the tools failing in the window (from rollups), each linking to its report.
"""

from __future__ import annotations

from typing import Any, Final

from tracehound.analytics import metrics
from tracehound.analytics.metrics import Window
from tracehound.query.lookups import since_us, triage
from tracehound.store.base import SpanStore
from tracehound.timefmt import now_us, parse_iso_us

SINCE: Final = ("15m", "1h", "6h", "24h", "7d", "30d")


def triage_context(spans: SpanStore, tool: str | None = None, since: str = "24h",
                   project: str | None = None) -> dict[str, Any]:
    """The failing tools of the window, and for ``tool`` its report (``query.lookups.triage``).

    Raises:
        QueryError: ``since`` is neither relative ("1h") nor ISO-8601.
    """
    start = since_us(since)
    scope: dict[str, Any] = {"run_type": "tool", "status": "error", **({"project": project} if project else {})}
    failing = metrics.summary(spans, Window(start, now_us() + 1), group_by=("name",), filters=scope)
    context: dict[str, Any] = {
        "tool": tool, "since": since, "since_choices": SINCE, "project": project, "since_us": start,
        "failing_tools": [{"name": row["name"], "failures": row["calls"]} for row in failing],
        "report": None,
    }
    if tool:
        report = triage(spans, tool=tool, since_us=start, project=project).to_api()
        for group in report["groups"]:
            group["first_us"] = parse_iso_us(group["first_failure"])
            group["last_us"] = parse_iso_us(group["last_failure"])
        for failure in report["recent"]:
            failure["time_us"] = parse_iso_us(failure["time"])
        report["first_us"] = parse_iso_us(report["first_failure"]) if report["first_failure"] else None
        report["last_us"] = parse_iso_us(report["last_failure"]) if report["last_failure"] else None
        context["report"] = report
    return context
