"""``PostgresExperimentStore``: experiments and their per-example results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import msgspec

from tracehound.errors import Conflict, NotFound, StoreError
from tracehound.store.base import Experiment, ExperimentResult
from tracehound.store.postgres.connection import Postgres
from tracehound.timefmt import now_us

_EXPERIMENT_COLUMNS: Final = ("id, name, project, dataset_id, dataset_version, created_us, split, metadata, ended_us,"
                              " summary")
_RESULT_COLUMNS: Final = ("experiment_id, example_id, run_id, repetition, trace_id, outputs, error, latency_us, scores,"
                          " errors, passed")


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


def _load(text: str | None, default: Any = None) -> Any:
    return default if text is None else msgspec.json.decode(text)


class PostgresExperimentStore:
    def __init__(self, db: Postgres) -> None:
        self._db = db

    def create_experiment(self, experiment: Experiment) -> Experiment:
        try:
            with self._db.transaction() as cur:
                cur.execute(
                    f"INSERT INTO experiments ({_EXPERIMENT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (experiment.id, experiment.name, experiment.project, experiment.dataset_id,
                     experiment.dataset_version, experiment.created_us, experiment.split, _json(experiment.metadata),
                     experiment.ended_us, _json(experiment.summary)))
        except StoreError as exc:
            if self._db.is_unique_violation(exc):
                raise Conflict(f"an experiment named {experiment.name!r} exists already", field="name") from None
            raise
        return experiment

    def get_experiment(self, name_or_id: str) -> Experiment | None:
        rows = self._db.rows(f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments WHERE id = %s OR name = %s"
                             " ORDER BY id = %s DESC LIMIT 1", (name_or_id, name_or_id, name_or_id))
        return _experiment(rows[0]) if rows else None

    def list_experiments(self, dataset_id: str | None = None) -> list[Experiment]:
        sql = f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments"
        params: tuple[Any, ...] = ()
        if dataset_id is not None:
            sql += " WHERE dataset_id = %s"
            params = (dataset_id,)
        return [_experiment(row) for row in self._db.rows(sql + " ORDER BY created_us DESC, name", params)]

    def add_results(self, results: Sequence[ExperimentResult]) -> None:
        if not results:
            return
        with self._db.transaction() as cur:
            cur.executemany(
                f"INSERT INTO experiment_results ({_RESULT_COLUMNS}) VALUES ({', '.join(['%s'] * 11)})"
                " ON CONFLICT (experiment_id, example_id, repetition) DO UPDATE SET run_id = excluded.run_id,"
                " seq = nextval(pg_get_serial_sequence('experiment_results', 'seq')),"
                " trace_id = excluded.trace_id, outputs = excluded.outputs, error = excluded.error,"
                " latency_us = excluded.latency_us, scores = excluded.scores, errors = excluded.errors,"
                " passed = excluded.passed",
                [(r.experiment_id, r.example_id, r.run_id, r.repetition, r.trace_id, _json(r.outputs), r.error,
                  r.latency_us, _json(r.scores), _json(r.errors), bool(r.passed)) for r in results])

    def list_results(self, experiment_id: str) -> list[ExperimentResult]:
        rows = self._db.rows(f"SELECT {_RESULT_COLUMNS} FROM experiment_results WHERE experiment_id = %s"
                             " ORDER BY seq", (experiment_id,))
        return [_result(row) for row in rows]

    def finish_experiment(self, experiment_id: str, summary: dict[str, Any]) -> Experiment:
        with self._db.transaction() as cur:
            cur.execute("UPDATE experiments SET summary = %s, ended_us = %s WHERE id = %s",
                        (_json(summary), now_us(), experiment_id))
        experiment = self.get_experiment(experiment_id)
        if experiment is None:
            raise NotFound(f"no experiment with id {experiment_id}")
        return experiment

    def delete_experiment(self, name_or_id: str) -> bool:
        experiment = self.get_experiment(name_or_id)
        if experiment is None:
            return False
        with self._db.transaction() as cur:
            cur.execute("DELETE FROM experiment_results WHERE experiment_id = %s", (experiment.id,))
            cur.execute("DELETE FROM experiments WHERE id = %s", (experiment.id,))
        return True


def _experiment(row: tuple[Any, ...]) -> Experiment:
    (experiment_id, name, project, dataset_id, dataset_version, created_us, split, metadata, ended_us,
     summary) = row
    return Experiment(experiment_id, name, project, dataset_id, dataset_version, created_us, split,
                      _load(metadata, {}), ended_us, _load(summary, {}))


def _result(row: tuple[Any, ...]) -> ExperimentResult:
    (experiment_id, example_id, run_id, repetition, trace_id, outputs, error, latency_us, scores, errors,
     passed) = row
    return ExperimentResult(experiment_id, example_id, run_id, repetition, trace_id, _load(outputs), error,
                            latency_us, _load(scores, {}), _load(errors, {}), bool(passed))
