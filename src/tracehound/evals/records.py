"""Experiments and results as JSON-ready dicts and back: the API's shape, shared by server and client."""

from __future__ import annotations

from typing import Any

from tracehound.store.base import Example, Experiment, ExperimentResult
from tracehound.timefmt import iso, parse_iso_us

RESULT_FIELDS = ("example_id", "run_id", "repetition", "trace_id", "outputs", "error", "latency_us", "scores",
                 "errors", "passed")


def experiment_record(experiment: Experiment) -> dict[str, Any]:
    return {"id": experiment.id, "name": experiment.name, "project": experiment.project,
            "dataset_id": experiment.dataset_id, "dataset_version": experiment.dataset_version,
            "split": experiment.split, "metadata": experiment.metadata, "summary": experiment.summary,
            "created_at": iso(experiment.created_us), "ended_at": iso(experiment.ended_us)}


def experiment_from_record(record: dict[str, Any]) -> Experiment:
    ended = record.get("ended_at")
    return Experiment(id=record["id"], name=record["name"], project=record["project"],
                      dataset_id=record.get("dataset_id"), dataset_version=record.get("dataset_version"),
                      created_us=parse_iso_us(record["created_at"]), split=record.get("split"),
                      metadata=record.get("metadata") or {}, ended_us=parse_iso_us(ended) if ended else None,
                      summary=record.get("summary") or {})


def result_record(result: ExperimentResult) -> dict[str, Any]:
    return {name: getattr(result, name) for name in RESULT_FIELDS}


def result_from_record(experiment_id: str, record: dict[str, Any]) -> ExperimentResult:
    return ExperimentResult(experiment_id=experiment_id, **{name: record[name] for name in RESULT_FIELDS
                                                           if name in record})


def example_from_record(record: dict[str, Any]) -> Example:
    return Example(id=record["id"], dataset_id=record.get("dataset_id", ""), inputs=record.get("inputs"),
                   outputs=record.get("outputs"), metadata=record.get("metadata") or {},
                   splits=record.get("splits") or [], source_run_id=record.get("source_run_id"),
                   version=record.get("version") or 0)
