"""Experiments: ``/api/v1/experiments``, their per-example results, and comparison with a baseline.

    POST  /api/v1/experiments                        create {name, project, dataset, dataset_version, split, metadata}
    GET   /api/v1/experiments                        ?dataset=
    GET   /api/v1/experiments/compare                ?baseline=A&candidate=B  (per example and per metric)
    GET   /api/v1/experiments/{name}                 with its results
    POST  /api/v1/experiments/{name}/results         {results: [...]}
    PATCH /api/v1/experiments/{name}                 {summary}: marks it finished
    DELETE /api/v1/experiments/{name}
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request

from tracehound.errors import NotFound
from tracehound.evals.compare import compare_experiments
from tracehound.evals.datasets import require_dataset
from tracehound.evals.records import experiment_record, result_record
from tracehound.server.decode import json_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.base import Experiment, ExperimentResult
from tracehound.timefmt import now_us

router = APIRouter()


class ExperimentBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    project: str | None = None
    dataset: str | None = None
    dataset_version: int | None = None
    split: str | None = None
    metadata: dict[str, Any] = {}
    id: str | None = None


class ResultBody(msgspec.Struct, forbid_unknown_fields=True):
    example_id: str
    run_id: str
    repetition: int = 0
    trace_id: str | None = None
    outputs: Any = None
    error: str | None = None
    latency_us: int | None = None
    scores: dict[str, float | None] = {}
    errors: dict[str, str] = {}
    passed: bool = False


class ResultsBody(msgspec.Struct, forbid_unknown_fields=True):
    results: list[ResultBody]


class FinishBody(msgspec.Struct, forbid_unknown_fields=True):
    summary: dict[str, Any] = {}


def _require(svc: Services, name: str) -> Experiment:
    experiment = svc.meta.experiments.get_experiment(name)
    if experiment is None:
        raise NotFound(f"no experiment named {name!r}")
    return experiment


@router.post("/api/v1/experiments", response_class=FastJSON, status_code=201)
async def create_experiment(request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, ExperimentBody, svc.settings.max_request_bytes)
    dataset_id, version = None, body.dataset_version
    if body.dataset is not None:
        dataset = require_dataset(svc.meta.datasets, body.dataset)
        dataset_id, version = dataset.id, dataset.version if version is None else version
    experiment = svc.meta.experiments.create_experiment(Experiment(
        id=body.id or str(uuid.uuid4()), name=body.name, project=body.project or body.name, dataset_id=dataset_id,
        dataset_version=version, created_us=now_us(), split=body.split, metadata=body.metadata))
    return FastJSON(experiment_record(experiment), status_code=201)


@router.get("/api/v1/experiments", response_class=FastJSON)
def list_experiments(dataset: str | None = None, svc: Services = Depends(services)) -> FastJSON:
    dataset_id = None if dataset is None else require_dataset(svc.meta.datasets, dataset).id
    return FastJSON({"experiments": [experiment_record(e)
                                     for e in svc.meta.experiments.list_experiments(dataset_id)]})


@router.get("/api/v1/experiments/compare", response_class=FastJSON)
def compare(baseline: str, candidate: str, confidence: float = 0.95, svc: Services = Depends(services)) -> FastJSON:
    """Candidate against baseline: fixed / regressed / unchanged examples, metric deltas with bootstrap CIs."""
    a, b = _require(svc, baseline), _require(svc, candidate)
    comparison = compare_experiments(a, svc.meta.experiments.list_results(a.id), b,
                                     svc.meta.experiments.list_results(b.id), confidence=confidence)
    return FastJSON(comparison.to_dict())


@router.get("/api/v1/experiments/{name}", response_class=FastJSON)
def get_experiment(name: str, svc: Services = Depends(services)) -> FastJSON:
    experiment = _require(svc, name)
    record = experiment_record(experiment)
    record["results"] = [result_record(r) for r in svc.meta.experiments.list_results(experiment.id)]
    return FastJSON(record)


@router.post("/api/v1/experiments/{name}/results", response_class=FastJSON, status_code=201)
async def add_results(name: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, ResultsBody, svc.settings.max_request_bytes)
    experiment = _require(svc, name)
    svc.meta.experiments.add_results([ExperimentResult(experiment_id=experiment.id, **msgspec.structs.asdict(r))
                                      for r in body.results])
    return FastJSON({"stored": len(body.results)}, status_code=201)


@router.patch("/api/v1/experiments/{name}", response_class=FastJSON)
async def finish_experiment(name: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, FinishBody, svc.settings.max_request_bytes)
    experiment = svc.meta.experiments.finish_experiment(_require(svc, name).id, body.summary)
    return FastJSON(experiment_record(experiment))


@router.delete("/api/v1/experiments/{name}", response_class=FastJSON)
def delete_experiment(name: str, svc: Services = Depends(services)) -> FastJSON:
    if not svc.meta.experiments.delete_experiment(name):
        raise NotFound(f"no experiment named {name!r}")
    return FastJSON({"deleted": name})
