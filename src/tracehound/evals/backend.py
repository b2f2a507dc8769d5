"""Where evaluation reads examples and writes experiments: a server (``RemoteBackend``) or the local file.

``evaluate()``, the gate and replay use one of these, chosen by ``open_backend``: an explicit
``tracehound.Client``, else ``TRACEHOUND_ENDPOINT``, else the embedded store in the data directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from tracehound.errors import NotFound
from tracehound.evals.records import example_from_record, experiment_from_record, result_record
from tracehound.evals.records import result_from_record as _result
from tracehound.model import Span
from tracehound.store.base import Dataset, Example, Experiment, ExperimentResult, Feedback


class EvalBackend(Protocol):
    def load_examples(self, dataset: str, *, split: str | None = None,
                      version: int | None = None) -> tuple[Dataset, list[Example]]:
        """The dataset (at its latest version unless ``version``) and its examples. Raises ``NotFound``."""

    def create_experiment(self, experiment: Experiment, dataset_name: str | None) -> Experiment: ...

    def record(self, results: Sequence[ExperimentResult], feedback: Sequence[Feedback]) -> None: ...

    def finish(self, experiment: Experiment, summary: dict[str, Any]) -> Experiment: ...

    def get_experiment(self, name: str) -> tuple[Experiment, list[ExperimentResult]]:
        """The experiment and its results. Raises ``NotFound``."""

    def get_run(self, run_id: str) -> Span:
        """A stored run (for replay). Raises ``NotFound``."""

    def close(self) -> None: ...


class LocalBackend:
    """The embedded store in ``data_dir`` (no server), opened through the store factory."""

    def __init__(self, data_dir: str) -> None:
        from tracehound.store.factory import StoreConfig, open_stores

        # NORMAL: survives a crash of this process; nobody was promised more than that.
        self.stores = open_stores(StoreConfig.local(data_dir, synchronous="NORMAL"))
        self.meta = self.stores.meta
        self.feedback = self.stores.feedback

    def load_examples(self, dataset: str, *, split: str | None = None,
                      version: int | None = None) -> tuple[Dataset, list[Example]]:
        from tracehound.evals.datasets import require_dataset

        found = require_dataset(self.meta.datasets, dataset)
        return found, self.meta.datasets.list_examples(found.id, version=version or found.version, split=split)

    def create_experiment(self, experiment: Experiment, dataset_name: str | None) -> Experiment:
        self.meta.ensure_projects([experiment.project])
        return self.meta.experiments.create_experiment(experiment)

    def record(self, results: Sequence[ExperimentResult], feedback: Sequence[Feedback]) -> None:
        self.meta.experiments.add_results(results)
        if feedback:
            self.feedback.add_feedback(feedback)

    def finish(self, experiment: Experiment, summary: dict[str, Any]) -> Experiment:
        return self.meta.experiments.finish_experiment(experiment.id, summary)

    def get_experiment(self, name: str) -> tuple[Experiment, list[ExperimentResult]]:
        experiment = self.meta.experiments.get_experiment(name)
        if experiment is None:
            raise NotFound(f"no experiment named {name!r}")
        return experiment, self.meta.experiments.list_results(experiment.id)

    def get_run(self, run_id: str) -> Span:
        span = self.stores.spans.get_span(run_id.lower())
        if span is None:
            raise NotFound(f"no run with id {run_id}")
        return span

    def close(self) -> None:
        self.stores.close()


class RemoteBackend:
    """A tracehound server, through ``tracehound.Client``."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def load_examples(self, dataset: str, *, split: str | None = None,
                      version: int | None = None) -> tuple[Dataset, list[Example]]:
        from tracehound.errors import ApiError
        from tracehound.timefmt import parse_iso_us

        try:
            info = self.client.datasets.get(dataset)
            listed = self.client.examples.list(dataset, split=split, version=version or info["version"])
        except ApiError as exc:
            if exc.status == 404:
                raise NotFound(str(exc)) from None
            raise
        found = Dataset(info["id"], info["name"], listed["version"], parse_iso_us(info["created_at"]),
                        parse_iso_us(info["updated_at"]), info.get("description"), info.get("metadata") or {},
                        info.get("example_count", 0))
        return found, [example_from_record(record) for record in listed["examples"]]

    def create_experiment(self, experiment: Experiment, dataset_name: str | None) -> Experiment:
        created = self.client.experiments.create(
            experiment.name, project=experiment.project, dataset=dataset_name,
            dataset_version=experiment.dataset_version, split=experiment.split, metadata=experiment.metadata,
            id=experiment.id)
        return experiment_from_record(created)

    def record(self, results: Sequence[ExperimentResult], feedback: Sequence[Feedback]) -> None:
        if results:
            by_experiment: dict[str, list[dict[str, Any]]] = {}
            for result in results:
                by_experiment.setdefault(result.experiment_id, []).append(result_record(result))
            for experiment_id, records in by_experiment.items():
                self.client.experiments.add_results(experiment_id, records)
        if feedback:
            self.client.feedback.create_many([
                {"id": f.id, "run_id": f.run_id, "trace_id": f.trace_id, "key": f.key, "score": f.score,
                 "value": f.value, "comment": f.comment, "source": f.source, "source_info": f.source_info}
                for f in feedback])

    def finish(self, experiment: Experiment, summary: dict[str, Any]) -> Experiment:
        return experiment_from_record(self.client.experiments.finish(experiment.id, summary))

    def get_experiment(self, name: str) -> tuple[Experiment, list[ExperimentResult]]:
        from tracehound.errors import ApiError

        try:
            record = self.client.experiments.get(name)
        except ApiError as exc:
            if exc.status == 404:
                raise NotFound(str(exc)) from None
            raise
        return experiment_from_record(record), [_result(record["id"], r) for r in record["results"]]

    def get_run(self, run_id: str) -> Span:
        import msgspec

        from tracehound.errors import ApiError

        try:
            record = self.client.runs.get(run_id)
        except ApiError as exc:
            if exc.status == 404:
                raise NotFound(str(exc)) from None
            raise
        fields = {name: record[name] for name in Span.__struct_fields__ if name in record}
        return msgspec.convert(fields, Span)

    def close(self) -> None:
        pass


def open_backend(client: Any = None, data_dir: str | None = None) -> EvalBackend:
    """The backend to use: ``client``, else the configured endpoint, else the local file."""
    if client is not None:
        return RemoteBackend(client)
    from tracehound.sdk.config import STATE

    if data_dir is None and STATE.values.get("endpoint"):
        from tracehound.sdk.client import Client

        return RemoteBackend(Client(STATE.values["endpoint"], STATE.values.get("api_key")))
    return LocalBackend(data_dir or STATE.values["data_dir"])
