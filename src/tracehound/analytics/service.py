"""Starting and stopping alert evaluation and scheduled detectors (kept out of ``server/services.py``)."""

from __future__ import annotations

from typing import Any

from tracehound.analytics.alerts import AlertStore
from tracehound.analytics.detectors.results import DetectorResultStore
from tracehound.analytics.detectors.schedule import DetectorScheduler, default_plan
from tracehound.analytics.evaluator import Evaluator
from tracehound.analytics.loop_alerts import drift_breaches, online_rate_breaches
from tracehound.analytics.loop_service import Loop
from tracehound.analytics.rules import load_rules_file


def start_alerts(services: Any) -> Evaluator | None:
    """Open the alert store, load the rules file, hook the evaluator onto the pipeline's commits."""
    settings = services.settings
    services.alerts = AlertStore(services.meta.alerts)
    rules_file = load_rules_file(settings.alert_rules_file) if settings.alert_rules_file else None
    evaluator = Evaluator(services.spans, services.alerts, file_rules=rules_file.rules if rules_file else [],
                          models=rules_file.models if rules_file else {}, interval_s=settings.alert_interval_s,
                          public_url=settings.public_url or f"http://{settings.host}:{settings.port}")
    if settings.alerts:
        services.pipeline.on_commit.append(evaluator.notify)
        evaluator.start()
    services.detector_results = DetectorResultStore(services.meta.detector_results)
    plan = (rules_file.detectors if rules_file and rules_file.detectors
            else default_plan(settings.detect_interval_s))
    services.detector_scheduler = DetectorScheduler(services.spans, services.detector_results, plan,
                                                    settings.detect_interval_s)
    services.detector_scheduler.start()
    services.loop = start_loop(services, evaluator, rules_file.online if rules_file else [])
    return evaluator


def start_loop(services: Any, evaluator: Evaluator, online_rules: list[dict[str, Any]]) -> Loop:
    """The review loop: online rules and pools fed by commits, and their alert kinds on the evaluator."""
    settings = services.settings
    loop = Loop(services.spans, services.meta, services.feedback, file_rules=online_rules, settings=settings,
                workers=settings.online_workers, queue_limit=settings.online_queue_limit)
    services.pipeline.on_commit.append(loop.notify)
    services.detector_scheduler.on_result.append(loop.on_detector)

    def online_rate(rule: Any, now: int) -> Any:
        watched = next((r for r in loop.rules() if r.id == rule.param("rule")), None)
        return online_rate_breaches(rule, now, services.feedback, services.meta.online,
                                    watched.project if watched else None)

    evaluator.extra_kinds["online_rate"] = online_rate
    evaluator.extra_kinds["drift"] = lambda rule, now: drift_breaches(rule, now, services.meta.reviews)
    loop.start()
    return loop


def stop_alerts(services: Any) -> None:
    loop = getattr(services, "loop", None)
    if loop is not None:
        loop.stop()
    scheduler = getattr(services, "detector_scheduler", None)
    if scheduler is not None:
        scheduler.stop()
    results = getattr(services, "detector_results", None)
    if results is not None:
        results.close()
    evaluator = getattr(services, "evaluator", None)
    if evaluator is not None:
        evaluator.stop()
    alerts = getattr(services, "alerts", None)
    if alerts is not None:
        alerts.close()
