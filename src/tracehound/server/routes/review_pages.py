"""The review loop's pages, each with its ``.json`` twin (see ``pages.py`` for the conventions).

    /online                           online rules: evaluators' rate now vs baseline, worker counters
    /online/<rule>?window=7d          one rule: rate per bucket with its 95% band, baseline band, deploys
    /pools, /pools/<name>             pools and their members; a drift pool's distribution monitor
    /queues, /queues/<name>           annotation queues; one with items, agreement and judge calibration
    /queues/<name>/review?reviewer=   the keyboard-first review screen (claims the reviewer's next item)
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tracehound.server.routes.pages import _page, _split
from tracehound.server.services import Services, services
from tracehound.ui.context import review as context

router = APIRouter(include_in_schema=False)


@router.get("/online")
def online(svc: Services = Depends(services)) -> Response:
    return _page("online.html", context.online_context(svc.loop, svc.feedback, svc.meta.online), False)


@router.get("/online.json")
def online_json(svc: Services = Depends(services)) -> Response:
    return _page("online.html", context.online_context(svc.loop, svc.feedback, svc.meta.online), True)


@router.get("/online/{rule_id}")
def online_rule(rule_id: str, window: str = "7d", key: str | None = None,
                svc: Services = Depends(services)) -> Response:
    rule_id, as_json = _split(rule_id)
    return _page("online_rule.html", context.online_rule_context(svc.loop, svc.feedback, svc.meta.online, rule_id,
                                                                 window, key), as_json)


@router.get("/pools")
def pools(svc: Services = Depends(services)) -> Response:
    return _page("pools.html", context.pools_context(svc.meta.reviews, svc.loop.pools), False)


@router.get("/pools.json")
def pools_json(svc: Services = Depends(services)) -> Response:
    return _page("pools.html", context.pools_context(svc.meta.reviews, svc.loop.pools), True)


@router.get("/pools/{name}")
def pool(name: str, svc: Services = Depends(services)) -> Response:
    name, as_json = _split(name)
    return _page("pool.html", context.pool_context(svc.meta.reviews, name), as_json)


@router.get("/queues")
def queues(svc: Services = Depends(services)) -> Response:
    return _page("queues.html", context.queues_context(svc.meta.reviews), False)


@router.get("/queues.json")
def queues_json(svc: Services = Depends(services)) -> Response:
    return _page("queues.html", context.queues_context(svc.meta.reviews), True)


@router.get("/queues/{name}")
def queue(name: str, svc: Services = Depends(services)) -> Response:
    name, as_json = _split(name)
    return _page("queue.html", context.queue_context(svc.meta.reviews, svc.feedback, name), as_json)


@router.get("/queues/{name}/review")
def review(name: str, request: Request, reviewer: str | None = None, svc: Services = Depends(services)) -> Response:
    skip = request.query_params.getlist("skip")
    return _page("review.html", context.review_context(svc.meta.reviews, svc.spans, name, reviewer, skip), False)


@router.get("/queues/{name}/review.json")
def review_json(name: str, request: Request, reviewer: str | None = None,
                svc: Services = Depends(services)) -> Response:
    skip = request.query_params.getlist("skip")
    return _page("review.html", context.review_context(svc.meta.reviews, svc.spans, name, reviewer, skip), True)
