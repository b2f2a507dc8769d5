"""``/api/v1/alerts/*``: rule CRUD, current states, history, silences, a manual evaluation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from tracehound.errors import MalformedRequest, QueryError
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.timefmt import now_us, parse_iso_us

router = APIRouter()


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise MalformedRequest("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise MalformedRequest("the body must be a JSON object")
    return body


@router.get("/api/v1/alerts/rules", response_class=FastJSON)
def list_rules(svc: Services = Depends(services)) -> FastJSON:
    """Every rule: those of the rules file (read-only) and those created through the API."""
    return FastJSON({"rules": [rule.to_dict() for rule in [*svc.evaluator.file_rules, *svc.alerts.rules()]]})


@router.put("/api/v1/alerts/rules/{rule_id}", response_class=FastJSON)
async def put_rule(rule_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Create or replace an API rule (same shape as a rules-file entry)."""
    body = await _json(request)
    if any(rule.id == rule_id for rule in svc.evaluator.file_rules):
        raise QueryError(f"rule {rule_id} comes from the rules file; edit it there", field="id")
    rule = svc.alerts.put_rule({**body, "id": rule_id}, now_us())
    return FastJSON(rule.to_dict())


@router.delete("/api/v1/alerts/rules/{rule_id}", response_class=FastJSON)
def delete_rule(rule_id: str, svc: Services = Depends(services)) -> FastJSON:
    svc.alerts.delete_rule(rule_id)
    return FastJSON({"deleted": rule_id})


@router.get("/api/v1/alerts", response_class=FastJSON)
def list_alerts(svc: Services = Depends(services)) -> FastJSON:
    """Current state of every alert (rule × key) that has left ``ok``."""
    return FastJSON({"alerts": [{"rule_id": s.rule_id, "key": s.key, "state": s.state, "since_us": s.since_us,
                                 "value": s.value, "traces": s.traces} for s in svc.alerts.states().values()]})


@router.get("/api/v1/alerts/history", response_class=FastJSON)
def alert_history(rule_id: str | None = None, limit: int = 100, svc: Services = Depends(services)) -> FastJSON:
    return FastJSON({"events": svc.alerts.history(rule_id, limit)})


@router.post("/api/v1/alerts/silences", response_class=FastJSON)
async def add_silence(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Silence notifications for a rule and/or key until ``until`` (ISO-8601)."""
    body = await _json(request)
    try:
        until = parse_iso_us(str(body.get("until")))
    except ValueError:
        raise QueryError("`until` must be an ISO-8601 time", field="until") from None
    return FastJSON(svc.alerts.add_silence(body.get("rule_id"), body.get("key"), until, body.get("comment"),
                                           now_us()))


@router.get("/api/v1/alerts/silences", response_class=FastJSON)
def list_silences(svc: Services = Depends(services)) -> FastJSON:
    return FastJSON({"silences": svc.alerts.silences(now_us())})


@router.delete("/api/v1/alerts/silences/{silence_id}", response_class=FastJSON)
def delete_silence(silence_id: str, svc: Services = Depends(services)) -> FastJSON:
    svc.alerts.delete_silence(silence_id)
    return FastJSON({"deleted": silence_id})


@router.post("/api/v1/alerts/evaluate", response_class=FastJSON)
def evaluate(svc: Services = Depends(services)) -> FastJSON:
    """Evaluate every rule now (windowed rules included) and return the transitions taken."""
    svc.evaluator._last_windowed_us = 0
    return FastJSON({"transitions": svc.evaluator.evaluate([])})


@router.post("/api/v1/alerts/backtest", response_class=FastJSON)
async def backtest(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Run the rules over stored history (``start``, ``end``: ISO-8601 or ``-6h``; ``step``: ``1m``;
    ``rules``: ids, default all) and return breach episodes; live alert state is not touched."""
    from fastapi.concurrency import run_in_threadpool

    from tracehound.analytics.backtest import backtest as run_backtest
    from tracehound.analytics.metrics import parse_duration_us
    from tracehound.timefmt import parse_time_us

    body = await _json(request)
    try:
        now = now_us()
        start = parse_time_us(str(body.get("start", "-1h")), now=now)
        end = parse_time_us(str(body["end"]), now=now) if body.get("end") else now
        step = parse_duration_us(str(body.get("step", "1m")))
    except (ValueError, QueryError) as exc:
        raise QueryError(f"backtest: {exc}", field="start") from None
    wanted = body.get("rules")
    rules = [r for r in svc.evaluator.rules() if not wanted or r.id in wanted]
    episodes = await run_in_threadpool(run_backtest, svc.spans, rules, start_us=start, end_us=end, step_us=step,
                                       models=svc.evaluator.models)
    return FastJSON({"episodes": [episode.to_dict() for episode in episodes]})
