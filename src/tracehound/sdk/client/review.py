"""The client's review-loop resources: deploy markers, online rules, pools and annotation queues."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from tracehound.sdk.client._http import Http
from tracehound.sdk.client.resources import _q


class Deploys:
    """``client.deploys``: mark a deploy (drawn on every time chart, the anchor of online baselines)."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def mark(self, version: str, *, project: str, description: str | None = None, at: str | None = None) -> Any:
        return self._http.request("POST", "/api/v1/deploys", json={"project": project, "version": version,
                                                                    "description": description, "at": at})

    def list(self, *, project: str | None = None, start: str | None = None, end: str | None = None) -> Any:
        return self._http.request("GET", "/api/v1/deploys", params={"project": project, "start": start, "end": end})


class OnlineRules:
    """``client.online``: online evaluator rules, their rate against baseline, backfill."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def list(self) -> Any:
        return self._http.request("GET", "/api/v1/online-rules")

    def put(self, rule_id: str, *, evaluators: Sequence[dict[str, Any]], project: str | None = None,
            filter: str | None = None, sample_rate: float = 0.05, enabled: bool = True) -> Any:
        return self._http.request("PUT", f"/api/v1/online-rules/{_q(rule_id)}",
                                  json={"project": project, "filter": filter, "sample_rate": sample_rate,
                                        "evaluators": list(evaluators), "enabled": enabled})

    def delete(self, rule_id: str) -> None:
        self._http.request("DELETE", f"/api/v1/online-rules/{_q(rule_id)}")

    def series(self, rule_id: str, *, start: str = "-7d", end: str | None = None, bucket: str = "1h",
               key: str | None = None) -> Any:
        return self._http.request("GET", f"/api/v1/online-rules/{_q(rule_id)}/series",
                                  params={"start": start, "end": end, "bucket": bucket, "key": key})

    def backfill(self, rule_id: str, *, start: str = "-24h", end: str | None = None, limit: int = 1000) -> Any:
        return self._http.request("POST", f"/api/v1/online-rules/{_q(rule_id)}/backfill",
                                  json={"start": start, "end": end, "limit": limit})


class Pools:
    """``client.pools``: failure and drift pools."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def create(self, name: str, *, project: str, kind: str = "failure", reasons: Sequence[str] = (),
               filter: str | None = None, sample_rate: float = 0.05, queue: str | None = None) -> Any:
        return self._http.request("POST", "/api/v1/pools", json={
            "name": name, "project": project, "kind": kind, "reasons": list(reasons), "filter": filter,
            "sample_rate": sample_rate, "queue": queue})

    def list(self) -> Any:
        return self._http.request("GET", "/api/v1/pools")

    def members(self, pool: str, *, limit: int = 100) -> Any:
        return self._http.request("GET", f"/api/v1/pools/{_q(pool)}/members", params={"limit": limit})

    def drift(self, pool: str, *, window: str = "1h", baseline: str = "7d") -> Any:
        return self._http.request("GET", f"/api/v1/pools/{_q(pool)}/drift",
                                  params={"window": window, "baseline": baseline})

    def delete(self, pool: str) -> None:
        self._http.request("DELETE", f"/api/v1/pools/{_q(pool)}")


class Queues:
    """``client.queues``: annotation queues, their items, annotations, agreement and judge calibration."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def create(self, name: str, *, project: str | None = None, rubric: Sequence[dict[str, Any]] = (),
               reviewers_per_item: int = 1, dataset: str | None = None, description: str | None = None,
               rubric_instructions: str | None = None) -> Any:
        return self._http.request("POST", "/api/v1/queues", json={
            "name": name, "project": project, "rubric": list(rubric), "reviewers_per_item": reviewers_per_item,
            "dataset": dataset, "description": description, "rubric_instructions": rubric_instructions})

    def list(self) -> builtins.list[Any]:
        return self._http.request("GET", "/api/v1/queues")["queues"]  # type: ignore[no-any-return]

    def get(self, queue: str) -> Any:
        return self._http.request("GET", f"/api/v1/queues/{_q(queue)}")

    def delete(self, queue: str) -> None:
        self._http.request("DELETE", f"/api/v1/queues/{_q(queue)}")

    def add(self, queue: str, run_ids: Sequence[str]) -> Any:
        return self._http.request("POST", f"/api/v1/queues/{_q(queue)}/items", json={"run_ids": list(run_ids)})

    def items(self, queue: str, *, status: str | None = None, limit: int = 100) -> Any:
        return self._http.request("GET", f"/api/v1/queues/{_q(queue)}/items", params={"status": status,
                                                                                     "limit": limit})

    def claim(self, queue: str, reviewer: str) -> Any:
        """The reviewer's next item, or ``None`` when nothing is left for them."""
        item = self._http.request("POST", f"/api/v1/queues/{_q(queue)}/claim", json={"reviewer": reviewer})
        return item or None

    def annotate(self, queue: str, run_id: str, *, reviewer: str, labels: dict[str, Any] | None = None,
                 reference_output: Any = None, comment: str | None = None, promote: bool = False) -> Any:
        return self._http.request("POST", f"/api/v1/queues/{_q(queue)}/items/{_q(run_id)}/annotations", json={
            "reviewer": reviewer, "labels": labels or {}, "reference_output": reference_output, "comment": comment,
            "promote": promote})

    def agreement(self, queue: str) -> Any:
        return self._http.request("GET", f"/api/v1/queues/{_q(queue)}/agreement")

    def calibration(self, queue: str, *, judge_key: str = "judge", label_key: str | None = None) -> Any:
        return self._http.request("GET", f"/api/v1/queues/{_q(queue)}/calibration",
                                  params={"judge_key": judge_key, "label_key": label_key})
