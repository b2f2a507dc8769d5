"""The client's resources, one small class each; every method is one API call and returns its JSON."""

from __future__ import annotations

import builtins
import urllib.parse
from collections.abc import Sequence
from typing import Any

from tracehound.sdk.client._http import Http


def _q(name: str) -> str:
    return urllib.parse.quote(name, safe="")


class Datasets:
    """``client.datasets``: create, read, list, delete, versions, import and export."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def create(self, name: str, *, description: str | None = None, metadata: dict[str, Any] | None = None) -> Any:
        return self._http.request("POST", "/api/v1/datasets",
                                  json={"name": name, "description": description, "metadata": metadata or {}})

    def get(self, name: str) -> Any:
        return self._http.request("GET", f"/api/v1/datasets/{_q(name)}")

    def list(self) -> list[Any]:
        return self._http.request("GET", "/api/v1/datasets")["datasets"]  # type: ignore[no-any-return]

    def delete(self, name: str) -> None:
        self._http.request("DELETE", f"/api/v1/datasets/{_q(name)}")

    def versions(self, name: str) -> builtins.list[Any]:
        return self._http.request("GET", f"/api/v1/datasets/{_q(name)}/versions")["versions"]  # type: ignore[no-any-return]

    def export(self, name: str, *, format: str = "jsonl", split: str | None = None,
               version: int | None = None) -> str:
        """The examples as JSONL or CSV text."""
        return self._http.request("GET", f"/api/v1/datasets/{_q(name)}/export",  # type: ignore[no-any-return]
                                  params={"format": format, "split": split, "version": version})

    def import_(self, name: str, text: str, *, format: str = "jsonl", keep_ids: bool = False) -> Any:
        """Add the examples of a JSONL or CSV text as one new version."""
        return self._http.request("POST", f"/api/v1/datasets/{_q(name)}/import", body=text.encode(),
                                  params={"format": format, "keep_ids": keep_ids}, content_type="text/plain")


class Examples:
    """``client.examples``: list, add, edit, retire, and promote runs."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def list(self, dataset: str, *, split: str | None = None, version: int | None = None) -> Any:
        """``{"dataset", "version", "examples": [...]}``."""
        return self._http.request("GET", f"/api/v1/datasets/{_q(dataset)}/examples",
                                  params={"split": split, "version": version})

    def add(self, dataset: str, examples: Sequence[dict[str, Any]]) -> Any:
        """Add examples (``{"inputs", "outputs", "metadata", "splits"}``) as one new version."""
        return self._http.request("POST", f"/api/v1/datasets/{_q(dataset)}/examples", json={"examples": list(examples)})

    def get(self, example_id: str, *, version: int | None = None) -> Any:
        return self._http.request("GET", f"/api/v1/examples/{_q(example_id)}", params={"version": version})

    def update(self, example_id: str, **changes: Any) -> Any:
        """Edit ``inputs``, ``outputs``, ``metadata`` or ``splits``; makes a new dataset version."""
        return self._http.request("PATCH", f"/api/v1/examples/{_q(example_id)}", json=changes)

    def retire(self, example_id: str) -> Any:
        return self._http.request("DELETE", f"/api/v1/examples/{_q(example_id)}")

    def promote(self, dataset: str, run_id: str, *, outputs: Any = None, use_run_outputs: bool = False,
                metadata: dict[str, Any] | None = None, splits: Sequence[str] = ()) -> Any:
        """Copy a run's inputs into the dataset with ``outputs`` as the reference; provenance is kept."""
        return self._http.request("POST", f"/api/v1/datasets/{_q(dataset)}/promote", json={
            "run_id": run_id, "outputs": outputs, "use_run_outputs": use_run_outputs, "metadata": metadata or {},
            "splits": list(splits)})

    def promote_filtered(self, dataset: str, *, filter: str | None = None, project: str | None = None,
                         limit: int = 100, splits: Sequence[str] = (), metadata: dict[str, Any] | None = None,
                         **criteria: Any) -> Any:
        """Promote every run a filter (or ``run_type``/``name``/``status``) selects."""
        return self._http.request("POST", f"/api/v1/datasets/{_q(dataset)}/promote_bulk", json={
            "filter": filter, "project": project, "limit": limit, "splits": list(splits),
            "metadata": metadata or {}, **criteria})


class Experiments:
    """``client.experiments``: create, record results, finish, read, compare."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def create(self, name: str, *, project: str | None = None, dataset: str | None = None,
               dataset_version: int | None = None, split: str | None = None,
               metadata: dict[str, Any] | None = None, id: str | None = None) -> Any:
        return self._http.request("POST", "/api/v1/experiments", json={
            "name": name, "project": project, "dataset": dataset, "dataset_version": dataset_version,
            "split": split, "metadata": metadata or {}, "id": id})

    def add_results(self, name: str, results: Sequence[dict[str, Any]]) -> Any:
        return self._http.request("POST", f"/api/v1/experiments/{_q(name)}/results", json={"results": list(results)})

    def finish(self, name: str, summary: dict[str, Any]) -> Any:
        return self._http.request("PATCH", f"/api/v1/experiments/{_q(name)}", json={"summary": summary})

    def get(self, name: str) -> Any:
        """The experiment with its ``results``."""
        return self._http.request("GET", f"/api/v1/experiments/{_q(name)}")

    def list(self, *, dataset: str | None = None) -> list[Any]:
        return self._http.request("GET", "/api/v1/experiments", params={"dataset": dataset})["experiments"]  # type: ignore[no-any-return]

    def compare(self, baseline: str, candidate: str, *, confidence: float = 0.95) -> Any:
        """Fixed/regressed/unchanged examples and metric deltas with bootstrap intervals."""
        return self._http.request("GET", "/api/v1/experiments/compare",
                                  params={"baseline": baseline, "candidate": candidate, "confidence": confidence})


class Feedback:
    """``client.feedback``: scores on runs from users (thumbs, CSAT, resolution), reviewers and evaluators."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def create(self, run_id: str, key: str, *, score: float | None = None, value: Any = None,
               comment: str | None = None, source: str = "api", source_info: dict[str, Any] | None = None) -> Any:
        return self._http.request("POST", "/api/v1/feedback", json={
            "run_id": run_id, "key": key, "score": score, "value": value, "comment": comment, "source": source,
            "source_info": source_info or {}})

    def create_many(self, items: Sequence[dict[str, Any]]) -> Any:
        return self._http.request("POST", "/api/v1/feedback", json={"feedback": list(items)})

    def list(self, *, run_id: str | None = None, key: str | None = None, source: str | None = None) -> list[Any]:
        return self._http.request("GET", "/api/v1/feedback",  # type: ignore[no-any-return]
                                  params={"run_id": run_id, "key": key, "source": source})["feedback"]

    def delete(self, feedback_id: str) -> None:
        self._http.request("DELETE", f"/api/v1/feedback/{_q(feedback_id)}")


class Runs:
    """``client.runs``: read one stored run (span) or a whole trace."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def get(self, run_id: str) -> Any:
        return self._http.request("GET", f"/api/v1/spans/{_q(run_id)}")

    def trace(self, trace_id: str) -> Any:
        return self._http.request("GET", f"/api/v1/traces/{_q(trace_id)}")
