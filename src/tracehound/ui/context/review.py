"""The review loop's pages: online rules against baseline, pools, annotation queues, the review screen."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Final

from tracehound.analytics.baseline import series
from tracehound.analytics.loop_alerts import drift_status, online_rate_status
from tracehound.analytics.metrics import parse_duration_us
from tracehound.analytics.online import evaluator_key
from tracehound.errors import NotFound
from tracehound.evals import review
from tracehound.timefmt import iso, now_us
from tracehound.ui.rate_chart import rate_chart

DAY_US: Final = 86_400_000_000
_BUCKETS: Final = {"24h": "1h", "7d": "6h", "30d": "1d"}


def online_context(loop: Any, feedback: Any, online: Any) -> dict[str, Any]:
    """Each online rule with its evaluators' current rate against baseline and the worker's counters."""
    now = now_us()
    stats = loop.online.stats()
    rows = []
    for rule in loop.rules():
        status = online_rate_status({"rule": rule.id, "window": "1h"}, now, feedback, online, rule.project)
        rows.append({**rule.to_dict(), "counts": stats["rules"].get(rule.id, {}),
                     "evaluator_keys": [evaluator_key(s) for s in rule.evaluators],
                     "status": {key: {"current": value["current"], "baseline": value["baseline"],
                                      "above_baseline": value["above_baseline"]} for key, value in status.items()}})
    return {"rules": rows, "queue_depth": stats["queue_depth"], "queue_limit": stats["queue_limit"],
            "workers": stats["workers"]}


def online_rule_context(loop: Any, feedback: Any, online: Any, rule_id: str, window: str = "7d",
                        key: str | None = None) -> dict[str, Any]:
    """One rule: the flag rate per bucket with its 95% band, the baseline band, deploys, flagged traces."""
    from tracehound.analytics.loop_service import rule_by_id

    rule = rule_by_id(loop, rule_id)
    now = now_us()
    window = window if window in _BUCKETS else "7d"
    start = now - parse_duration_us(window)
    bucket_us = parse_duration_us(_BUCKETS[window])
    verdicts = feedback.verdicts(rule.feedback_source, start, now)
    keys = [evaluator_key(s) for s in rule.evaluators]
    status = online_rate_status({"rule": rule.id, "window": "1h"}, now, feedback, online, rule.project)
    deploys = online.list_deploys(project=rule.project, start_us=start, end_us=now) if rule.project else []
    deploy_rows = [{"version": d.version, "at_us": d.at_us, "at": iso(d.at_us), "description": d.description}
                   for d in deploys]
    charts = []
    for evaluator in keys if key is None else [key]:
        rows = series([v for v in verdicts if v.key == evaluator], start, now, bucket_us)
        base = (status.get(evaluator) or {}).get("baseline")
        chart = rate_chart(rows, start, now, baseline=base, deploys=deploy_rows)
        flagged = [v for v in verdicts if v.key == evaluator and not v.passed][-20:]
        charts.append({"key": evaluator, "chart": asdict(chart), "status": status.get(evaluator),
                       "flagged": [{"run_id": v.run_id, "trace_id": v.trace_id, "at_us": v.at_us, "score": v.score}
                                   for v in reversed(flagged)]})
    return {"rule": rule.to_dict(), "window": window, "windows": list(_BUCKETS), "start_us": start, "end_us": now,
            "charts": charts, "deploys": deploy_rows}


def pools_context(reviews: Any, filler: Any) -> dict[str, Any]:
    return {"pools": [{**asdict(p), "members": reviews.count_pool_members(p.id)} for p in reviews.list_pools()],
            "filler": {"dropped": 0, **filler.stats()}}  # "dropped" appears only once one was


def pool_context(reviews: Any, pool_name: str) -> dict[str, Any]:
    pool = reviews.get_pool(pool_name)
    if pool is None:
        raise NotFound(f"no pool {pool_name}")
    members = reviews.list_pool_members(pool.id, limit=200)
    drift = drift_status({"pool": pool.id}, now_us(), reviews) if pool.kind == "drift" else None
    return {"pool": asdict(pool), "members": [asdict(m) for m in members],
            "count": reviews.count_pool_members(pool.id), "drift": drift}


def queues_context(reviews: Any) -> dict[str, Any]:
    return {"queues": [asdict(q) for q in reviews.list_queues()]}


def queue_context(reviews: Any, feedback: Any, queue_name: str) -> dict[str, Any]:
    queue = reviews.get_queue(queue_name)
    if queue is None:
        raise NotFound(f"no annotation queue {queue_name}")
    annotations = reviews.list_annotations(queue_id=queue.id)
    items = reviews.list_queue_items(queue.id, limit=200)
    label = next((item["key"] for item in queue.rubric if isinstance(item, dict) and "key" in item), "correct")
    run_ids = sorted({a.run_id for a in annotations})
    judged = [f for f in feedback.list_feedback(run_ids=run_ids, key="judge", limit=100_000)
              if f.source.startswith("online:")] if run_ids else []
    calibration = review.judge_agreement(judged, annotations, judge_key="judge", label_key=label)
    return {"queue": asdict(queue), "dataset": queue.dataset or f"{queue.name}-golden",
            "items": [asdict(i) for i in items], "annotations": [asdict(a) for a in annotations[-50:]],
            "agreement": [row.to_dict() for row in review.agreement(annotations)],
            "calibration": calibration.to_dict()}


def review_context(reviews: Any, spans: Any, queue_name: str, reviewer: str | None,
                   skip: list[str] | None = None) -> dict[str, Any]:
    """The review screen: the reviewer's claimed (or next) item with its trace, or "nothing left"."""
    queue = reviews.get_queue(queue_name)
    if queue is None:
        raise NotFound(f"no annotation queue {queue_name}")
    context: dict[str, Any] = {"queue": asdict(queue), "reviewer": reviewer, "item": None, "run": None,
                               "steps": [], "session_id": None}
    if not reviewer:
        return context
    item = reviews.claim_next(queue.id, reviewer, now_us(), review.LEASE_US, skip=skip or [])
    if item is None:
        return context
    context["item"] = asdict(item)
    nodes = spans.get_trace(item.trace_id) if item.trace_id else []
    root = next((n.span for n in nodes if n.span.id == item.run_id), None) or spans.get_span(item.run_id)
    if root is not None:
        context["run"] = root.to_api()
        context["session_id"] = root.session_id
        context["steps"] = [{"id": n.span.id, "name": n.span.name, "run_type": n.span.run_type, "depth": n.depth,
                             "status": n.span.status, "latency_s": n.span.latency_s, "error": n.span.error,
                             "inputs": n.span.inputs, "outputs": n.span.outputs}
                            for n in nodes if n.span.id != root.id][:200]
    context["previous"] = [asdict(a) for a in reviews.list_annotations(queue_id=queue.id, run_id=item.run_id)]
    return context
