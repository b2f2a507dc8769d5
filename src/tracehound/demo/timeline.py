"""The demo's week: a healthy baseline, then the incidents, each with when it happened and what finds it.

Times are hours before the end of the backfill ("now"). ``agent_state(hours_ago)`` says which
model, prompt version and faults the agent had at that moment; ``rate_per_h(hours_ago)`` how many
sessions started per hour (denser around incidents, so their windows have enough calls to judge).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracehound.demo.agent import Faults

BACKFILL_H = 7 * 24.0
BASELINE_END_H = 100.0  # the healthy baseline: BACKFILL_H → BASELINE_END_H hours ago
MODEL_SWAP_H = 44.0  # gpt-4o-mini → gpt-4.1-mini, to the end
ORDER_OUTAGE_H = 0.15  # the order API's HTML error pages start 9 minutes before the end, and stay (live)


@dataclass(frozen=True)
class Incident:
    """One injected incident: its window (hours ago), what the platform finds it with, and the faults."""

    name: str
    title: str
    start_h: float  # hours before the end
    end_h: float
    found_by: tuple[str, ...]  # alert rule ids ("alert:…") and detectors ("detector:…")
    faults: dict[str, Any] = field(default_factory=dict)
    rate_per_h: float = 0.0  # session density during the incident (0: the baseline's)
    prompt_version: str | None = None
    model: str | None = None
    sessions: int = 0  # scripted sessions instead of faults (injection, contradiction)


INCIDENTS: tuple[Incident, ...] = (
    Incident("slow_history", "fetch_account_history grows a slow tail (p99 ≫ p50)", 90.0, 88.5,
             ("alert:tool-latency", "detector:slow_subtool"), {"slow_history": 0.25}, rate_per_h=400),
    Incident("retry_loop", "the agent re-checks a pending account 3-6 times in one run", 80.0, 79.0,
             ("alert:tool-loops", "guard:loop"), {"retry_loop": 0.5}, rate_per_h=200),
    Incident("kb_empty", "the knowledge-base index is empty; answers go ahead anyway", 70.0, 69.0,
             ("alert:empty-retrievals", "detector:silent_retrieval_miss"), {"kb_empty": True}, rate_per_h=200),
    Incident("prompt_v117", "prompt v117 adds ~800 tokens to every call", 60.0, 52.0,
             ("detector:cost_spike",), prompt_version="v117"),
    Incident("model_swap", "after the swap to gpt-4.1-mini the planner rarely fetches account history",
             MODEL_SWAP_H, 0.0, ("detector:tool_drift",), model="gpt-4.1-mini"),
    Incident("injection", "a refused prompt injection reaches issue_refund a turn later", 30.0, 29.9,
             ("detector:prompt_injection_leak",), sessions=1),
    Incident("contradiction", "the agent says 'suspended', then 'active', in one conversation", 20.0, 19.9,
             ("detector:contradiction", "detector:worst_sessions"), {"stale_account": True}, sessions=1),
    Incident("order_api_html", "the order API answers an HTML error page for 40% of lookups", ORDER_OUTAGE_H, 0.0,
             ("alert:tool-errors", "triage:lookup_order"), {"order_api_html": True}, rate_per_h=600),
)
BY_NAME = {incident.name: incident for incident in INCIDENTS}
BASELINE_RATE_PER_H = 8.0


def active(hours_ago: float) -> list[Incident]:
    """Incidents under way at that moment (scripted-session incidents excluded)."""
    hours_ago = max(hours_ago, 0.0)  # live traffic is "0 hours ago"
    return [i for i in INCIDENTS if not i.sessions and i.end_h <= hours_ago <= i.start_h]


def agent_state(hours_ago: float) -> tuple[str, str, Faults]:
    """``(model, prompt_version, faults)`` of the agent at that moment."""
    model, version, faults = "gpt-4o-mini", "v116", Faults()
    for incident in active(hours_ago):
        model = incident.model or model
        version = incident.prompt_version or version
        for name, value in incident.faults.items():
            setattr(faults, name, value)
    return model, version, faults


def rate_per_h(hours_ago: float) -> float:
    return max([BASELINE_RATE_PER_H, *(i.rate_per_h for i in active(hours_ago))])
