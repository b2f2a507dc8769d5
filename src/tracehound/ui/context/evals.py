"""Datasets (with examples and versions), experiments, and the side-by-side comparison of two experiments."""

from __future__ import annotations

from typing import Any, Final

from tracehound.errors import NotFound
from tracehound.evals.compare import compare_experiments
from tracehound.evals.datasets import require_dataset
from tracehound.store.base import Experiment, ExperimentResult, MetaStore

MAX_EXAMPLES: Final = 500
STATUS_ORDER: Final = {"regressed": 0, "fixed": 1, "added": 2, "removed": 3, "unchanged": 4}


def datasets_context(meta: MetaStore) -> dict[str, Any]:
    """Every dataset with its current version and example count."""
    return {"datasets": [{"id": d.id, "name": d.name, "description": d.description, "version": d.version,
                          "example_count": d.example_count, "created_us": d.created_us, "updated_us": d.updated_us}
                         for d in meta.datasets.list_datasets()]}


def dataset_context(meta: MetaStore, name: str, version: int | None = None) -> dict[str, Any]:
    """One dataset: its examples at ``version`` (the current one by default), its versions, its experiments.

    Raises:
        NotFound: no such dataset.
    """
    dataset = require_dataset(meta.datasets, name)
    shown = dataset.version if version is None else version
    examples = meta.datasets.list_examples(dataset.id, version=shown)
    return {
        "dataset": {"id": dataset.id, "name": dataset.name, "description": dataset.description,
                    "version": dataset.version, "example_count": dataset.example_count,
                    "created_us": dataset.created_us, "updated_us": dataset.updated_us},
        "version": shown,
        "example_count": len(examples),
        "examples": [{"id": e.id, "inputs": e.inputs, "outputs": e.outputs, "metadata": e.metadata,
                      "splits": e.splits, "source_run_id": e.source_run_id, "version": e.version,
                      "created_us": e.created_us} for e in examples[:MAX_EXAMPLES]],
        "versions": [{"version": v.version, "created_us": v.created_us, "change": v.change}
                     for v in reversed(meta.datasets.list_versions(dataset.id))],
        "experiments": [_experiment(e, {}) for e in meta.experiments.list_experiments(dataset.id)],
    }


def _experiment(experiment: Experiment, dataset_names: dict[str, str]) -> dict[str, Any]:
    summary = experiment.summary or {}
    examples, passed = summary.get("examples"), summary.get("passed")
    return {"id": experiment.id, "name": experiment.name, "project": experiment.project,
            "dataset": dataset_names.get(experiment.dataset_id or "", experiment.dataset_id),
            "dataset_version": experiment.dataset_version, "created_us": experiment.created_us,
            "ended_us": experiment.ended_us, "pass_rate": None if not examples or passed is None else passed / examples,
            "examples": examples, "metadata": experiment.metadata}


def experiments_context(meta: MetaStore) -> dict[str, Any]:
    """Every experiment, newest first, with its dataset and pass rate (from its summary)."""
    names = {d.id: d.name for d in meta.datasets.list_datasets()}
    experiments = sorted(meta.experiments.list_experiments(), key=lambda e: e.created_us, reverse=True)
    return {"experiments": [_experiment(e, names) for e in experiments]}


def _require(meta: MetaStore, name: str) -> Experiment:
    experiment = meta.experiments.get_experiment(name)
    if experiment is None:
        raise NotFound(f"no experiment named {name!r}")
    return experiment


def _first_traces(results: list[ExperimentResult]) -> dict[str, str | None]:
    """Per example, the trace of its first repetition (what a row links to)."""
    traces: dict[str, str | None] = {}
    for result in sorted(results, key=lambda r: r.repetition):
        traces.setdefault(result.example_id, result.trace_id or result.run_id)
    return traces


def compare_context(meta: MetaStore, baseline: str, candidate: str) -> dict[str, Any]:
    """Candidate against baseline: counts of fixed/regressed/unchanged, per-metric deltas, and one row per
    example linking to both traces (regressions first).

    Raises:
        NotFound: either experiment does not exist.
    """
    a, b = _require(meta, baseline), _require(meta, candidate)
    a_results, b_results = meta.experiments.list_results(a.id), meta.experiments.list_results(b.id)
    comparison = compare_experiments(a, a_results, b, b_results).to_dict()
    a_traces, b_traces = _first_traces(a_results), _first_traces(b_results)
    inputs = {}
    for example_id in {row["example_id"] for row in comparison["examples"]}:
        example = meta.datasets.get_example(example_id)
        inputs[example_id] = None if example is None else example.inputs
    rows = [{**row, "baseline_trace_id": a_traces.get(row["example_id"]),
             "candidate_trace_id": b_traces.get(row["example_id"]), "inputs": inputs.get(row["example_id"])}
            for row in comparison["examples"]]
    rows.sort(key=lambda row: STATUS_ORDER.get(row["status"], 9))
    return {**comparison, "examples": rows,
            "experiments": [e.name for e in sorted(meta.experiments.list_experiments(),
                                                   key=lambda e: e.created_us, reverse=True)]}
