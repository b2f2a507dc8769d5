"""``GET /metrics``: agent metrics and the server's own health in the Prometheus text format.

Agent series come from ``analytics.exposition`` (all-time rollup totals, labels bounded to the busiest
names and projects; ``TRACEHOUND_PROMETHEUS_MAX_NAMES``/``_MAX_PROJECTS``); health from the ingest
pipeline's counters, the store file and the alert states. Built per scrape by a custom collector, so
nothing is counted twice and no series outlives its data. Protected like the API (``server/auth.py``).
The metric names are listed in ``docs/prometheus.md``; ``docs/grafana-dashboard.json`` uses them.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Request, Response

import tracehound
from tracehound.analytics.exposition import agent_totals
from tracehound.errors import TracehoundError
from tracehound.server.services import Services, services

try:  # prometheus-client comes with the [server] extra; without it /metrics says how to get it
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    _MISSING: str | None = None
except ImportError as _exc:  # pragma: no cover - exercised only on a slim install
    _MISSING = str(_exc)

router = APIRouter()
_AGENT_LABELS = ["project", "run_type", "name"]


class PrometheusUnavailable(TracehoundError):
    status = 501
    code = "prometheus_unavailable"


class TracehoundCollector:
    """Reads the services at scrape time and yields the metric families."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def collect(self) -> Iterator[Any]:
        yield from self._agent()
        yield from self._health()
        yield from self._alerts()

    def _agent(self) -> Iterator[Any]:
        settings = self.svc.settings
        groups = agent_totals(self.svc.spans, max_names=settings.prometheus_max_names,
                              max_projects=settings.prometheus_max_projects)
        runs = CounterMetricFamily("tracehound_runs", "Finished runs (spans) by project, run type, name and status,"
                                   " all time; sampled-out spans included.", labels=[*_AGENT_LABELS, "status"])
        errors = CounterMetricFamily("tracehound_run_errors", "Runs that ended in error.", labels=_AGENT_LABELS)
        latency = HistogramMetricFamily("tracehound_run_latency_seconds", "Run latency of stored runs.",
                                        labels=_AGENT_LABELS)
        tokens = CounterMetricFamily("tracehound_tokens", "LLM and embedding tokens.", labels=[*_AGENT_LABELS, "kind"])
        cost = CounterMetricFamily("tracehound_cost_usd", "Reported or computed cost in USD.", labels=_AGENT_LABELS)
        error_counts: Counter[tuple[str, ...]] = Counter()
        merged: dict[tuple[str, ...], dict[str, Any]] = {}
        for group in groups:
            labels = (group["project"], group["run_type"], group["name"])
            runs.add_metric([*labels, group["status"]], group["calls"])
            if group["status"] == "error":
                error_counts[labels] += group["calls"]
            entry = merged.setdefault(labels, {"buckets": Counter(), "latency_s": 0.0, "prompt": 0, "completion": 0,
                                               "cost": 0.0})
            for bound, count in group["buckets"]:
                entry["buckets"][bound] += count
            entry["latency_s"] += group["latency_s"]
            entry["prompt"] += group["prompt_tokens"]
            entry["completion"] += group["completion_tokens"]
            entry["cost"] += group["cost"]
        for labels, entry in merged.items():
            error_counts.setdefault(labels, 0)
            buckets = [(_le(bound), count) for bound, count in sorted(entry["buckets"].items())]
            latency.add_metric(list(labels), buckets, entry["latency_s"])
            if entry["prompt"] or entry["completion"]:
                tokens.add_metric([*labels, "prompt"], entry["prompt"])
                tokens.add_metric([*labels, "completion"], entry["completion"])
            if entry["cost"]:
                cost.add_metric(list(labels), entry["cost"])
        for labels, count in error_counts.items():
            errors.add_metric(list(labels), count)
        yield from (runs, errors, latency, tokens, cost)

    def _health(self) -> Iterator[Any]:
        pipeline = self.svc.pipeline
        yield CounterMetricFamily("tracehound_ingest_spans", "Spans committed by this server process.",
                                  value=pipeline.committed_spans)
        yield CounterMetricFamily("tracehound_ingest_commits", "Shared write transactions committed.",
                                  value=pipeline.commits)
        yield GaugeMetricFamily("tracehound_ingest_queue_spans", "Spans accepted but not yet committed.",
                                value=pipeline.pending_spans)
        yield CounterMetricFamily("tracehound_ingest_backpressure_responses",
                                  "Ingest requests refused with 503 because the writer was behind.",
                                  value=pipeline.backpressure_refusals)
        commit = HistogramMetricFamily("tracehound_ingest_commit_seconds", "Time of each shared write transaction.")
        tally = pipeline.commit_seconds.cumulative()
        commit.add_metric([], [(_le(bound), count) for bound, count in tally], pipeline.commit_seconds.sum_s)
        yield commit
        size = GaugeMetricFamily("tracehound_store_bytes", "Size of the embedded store's files.", labels=["file"])
        path = getattr(self.svc.spans, "path", None)
        if path is not None:
            for suffix, label in (("", "db"), ("-wal", "wal")):
                with contextlib.suppress(OSError):  # no WAL file between checkpoints
                    size.add_metric([label], os.path.getsize(f"{path}{suffix}"))
        yield size
        info = GaugeMetricFamily("tracehound_build_info", "The server's version.", labels=["version"])
        info.add_metric([tracehound.__version__], 1)
        yield info

    def _alerts(self) -> Iterator[Any]:
        states = GaugeMetricFamily("tracehound_alerts", "Alerts (rule × key) per state; ok ones are not kept.",
                                   labels=["state"])
        firing = GaugeMetricFamily("tracehound_alert_rule_firing", "Keys firing per alert rule.", labels=["rule"])
        alerts = getattr(self.svc, "alerts", None)
        per_state: Counter[str] = Counter({"pending": 0, "firing": 0})
        per_rule: Counter[str] = Counter()
        if alerts is not None:
            rules = {rule.id for rule in alerts.rules()}
            per_rule.update({rule_id: 0 for rule_id in rules})
            for state in alerts.states().values():
                per_state[state.state] += 1
                if state.state == "firing" and state.rule_id in rules:  # rules bound the label values
                    per_rule[state.rule_id] += 1
        for state, count in sorted(per_state.items()):
            states.add_metric([state], count)
        for rule, count in sorted(per_rule.items()):
            firing.add_metric([rule], count)
        yield states
        yield firing


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


def render(svc: Services) -> bytes:
    """The exposition text for one scrape (a fresh registry: the collector reads live state)."""
    if _MISSING is not None:
        raise PrometheusUnavailable(f"/metrics needs prometheus-client: pip install 'tracehound[server]' ({_MISSING})")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TracehoundCollector(svc))  # type: ignore[arg-type]
    return generate_latest(registry)


@router.get("/metrics")
async def metrics(request: Request, svc: Services = Depends(services)) -> Response:
    """Prometheus scrape endpoint."""
    body = await anyio.to_thread.run_sync(render, svc)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
