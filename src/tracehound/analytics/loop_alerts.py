"""The review loop's alert kinds: an online evaluator's flag rate above baseline, and drift in a pool.

``online_rate`` is the rollback signal::

    [[rules]]
    id = "refund-judge-regressed"
    kind = "online_rate"
    rule = "refund-accuracy"       # the online evaluator rule
    key = "judge"                  # one of its evaluators (default: each, as its own alert key)
    window = "1h"                  # "now"
    baseline_days = 7              # the trailing days before the latest deploy marker (or before the window)
    # baseline_start = "2026-11-01T00:00:00Z"; baseline_end = "2026-11-08T00:00:00Z"   (a pinned window)
    min_runs = 20

It fires when the window's flag rate is above the baseline's (one-sided z-test, 95%; see
``analytics.baseline``); the evidence is the flagged runs' traces. After a deploy marker, "now" starts
at the marker, so the alert resolves once traffic after the fix is back at the baseline.

``drift`` watches a drift pool: ``pool``, ``window`` (1h), ``baseline`` (7d before the window),
``min_members`` (20) and per-statistic ``thresholds`` (``analytics.drift``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from tracehound.analytics.alerts import Breach
from tracehound.analytics.baseline import compare, rate_of
from tracehound.analytics.drift import compare_windows
from tracehound.analytics.metrics import parse_duration_us
from tracehound.analytics.online import SOURCE_PREFIX
from tracehound.errors import QueryError
from tracehound.store.base import Verdict
from tracehound.timefmt import parse_time_us

DAY_US: Final = 86_400_000_000


def windows(params: dict[str, Any], now: int, deploy_us: int | None) -> tuple[tuple[int, int], tuple[int, int]]:
    """``(baseline, current)`` windows for an online_rate rule at ``now``."""
    window_us = parse_duration_us(params.get("window", "1h"))
    current_start = now - window_us
    if deploy_us is not None and deploy_us > current_start:
        current_start = deploy_us
    if params.get("baseline_start") and params.get("baseline_end"):
        try:
            start = parse_time_us(str(params["baseline_start"]), now=now)
            end = parse_time_us(str(params["baseline_end"]), now=now)
        except ValueError:
            raise QueryError("baseline_start/baseline_end must be ISO-8601 or relative times",
                             field="baseline_start") from None
        return (start, end), (current_start, now)
    anchor = deploy_us if deploy_us is not None else now - window_us
    days = float(params.get("baseline_days", 7))
    return (int(anchor - days * DAY_US), anchor), (current_start, now)


def online_rate_status(params: dict[str, Any], now: int, feedback: Any, online: Any,
                       project: str | None) -> dict[str, dict[str, Any]]:
    """Per evaluator key of the online rule: baseline and current rates, the test, the flagged traces."""
    deploys = online.list_deploys(project=project, end_us=now, limit=1) if project else []
    deploy_us = deploys[0].at_us if deploys else None
    (b_start, b_end), (c_start, c_end) = windows(params, now, deploy_us)
    source = SOURCE_PREFIX + str(params["rule"])
    key = params.get("key")
    grouped: dict[str, tuple[list[Verdict], list[Verdict]]] = defaultdict(lambda: ([], []))
    for verdict in feedback.verdicts(source, b_start, b_end, key=key):
        grouped[verdict.key][0].append(verdict)
    for verdict in feedback.verdicts(source, c_start, c_end, key=key):
        grouped[verdict.key][1].append(verdict)
    found = {}
    for evaluator_key, (base, current) in grouped.items():
        comparison = compare(rate_of(base), rate_of(current), min_runs=int(params.get("min_runs", 20)),
                             min_delta=float(params.get("min_delta", 0.0)))
        flagged = [v.trace_id or v.run_id for v in current if not v.passed]
        found[evaluator_key] = {**comparison.to_dict(), "baseline_window": [b_start, b_end],
                                "current_window": [c_start, c_end], "deploy_us": deploy_us,
                                "evidence": flagged[-20:]}
    return found


def drift_status(params: dict[str, Any], now: int, reviews: Any, feedback: Any = None) -> dict[str, Any]:
    """The drift pool's statistics, current window vs the baseline before it."""
    pool = reviews.get_pool(str(params["pool"]))
    if pool is None:
        return {"error": f"no pool {params['pool']}", "shifts": []}
    window_us = parse_duration_us(params.get("window", "1h"))
    baseline_us = parse_duration_us(params.get("baseline", "7d"), field="baseline")
    current = reviews.list_pool_members(pool.id, start_us=now - window_us, end_us=now, limit=100_000)
    base = reviews.list_pool_members(pool.id, start_us=now - window_us - baseline_us, end_us=now - window_us,
                                     limit=100_000)
    shifts = compare_windows(base, current, thresholds=params.get("thresholds"),
                             min_members=int(params.get("min_members", 20)))
    return {"pool": pool.name, "shifts": [s.to_dict() for s in shifts],
            "evidence": [m.trace_id for m in current[:20]]}


def online_rate_breaches(rule: Any, now: int, feedback: Any, online: Any,
                         project: str | None = None) -> dict[str, Breach]:
    """Per evaluator key: a breach while its rate is above the baseline (the ``online_rate`` kind).

    ``project`` (the online rule's, unless the alert rule names one) picks the deploy markers."""
    params = {name: rule.param(name) for name in ("rule", "key", "window", "baseline_days", "baseline_start",
                                                  "baseline_end", "min_runs", "min_delta")}
    params = {k: v for k, v in params.items() if v is not None}
    found = {}
    for key, status in online_rate_status(params, now, feedback, online, rule.project or project).items():
        if status["above_baseline"]:
            current, baseline = status["current"], status["baseline"]
            found[key] = Breach(current["rate"], f"online rule {params['rule']}: {key} flags {current['rate']:.1%}"
                                f" of {current['n']} runs, baseline {baseline['rate']:.1%} of {baseline['n']}"
                                f" (z={status['z']})", status["evidence"])
    return found


def drift_breaches(rule: Any, now: int, reviews: Any) -> dict[str, Breach]:
    """Per statistic: a breach while the drift pool's recent traffic differs from its baseline."""
    params = {name: rule.param(name) for name in ("pool", "window", "baseline", "min_members", "thresholds")}
    status = drift_status({k: v for k, v in params.items() if v is not None}, now, reviews)
    return {shift["statistic"]: Breach(shift["value"], f"pool {status.get('pool')}: {shift['statistic']} shifted"
                                       f" ({shift['value']} > {shift['threshold']})", status.get("evidence", []))
            for shift in status.get("shifts", []) if shift["shifted"]}
