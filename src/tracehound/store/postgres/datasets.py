"""``PostgresDatasetStore``: datasets and their versioned examples (revisions valid from
``created_version`` until ``retired_version``, as in the SQLite store)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Final

import msgspec

from tracehound.errors import Conflict, NotFound, StoreError
from tracehound.store.base import Dataset, DatasetVersion, Example, NewExample
from tracehound.store.postgres.connection import Postgres
from tracehound.timefmt import now_us

_DATASET_COLUMNS: Final = (
    "d.id, d.name, d.version, d.created_us, d.updated_us, d.description, d.metadata,"
    " (SELECT count(*) FROM examples e WHERE e.dataset_id = d.id AND e.retired_version IS NULL)"
)
_EXAMPLE_COLUMNS: Final = ("id, dataset_id, inputs, outputs, metadata, splits, source_run_id, created_version,"
                           " created_us")


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


def _load(text: str | None, default: Any = None) -> Any:
    return default if text is None else msgspec.json.decode(text)


class PostgresDatasetStore:
    """Implements ``DatasetStore``; each change of examples is one transaction and one new version."""

    def __init__(self, db: Postgres) -> None:
        self._db = db

    def create_dataset(self, name: str, *, description: str | None = None,
                       metadata: dict[str, Any] | None = None) -> Dataset:
        if not name or len(name) > 512:
            raise Conflict("a dataset name must be 1 to 512 characters", field="name")
        stamp = now_us()
        dataset_id = str(uuid.uuid4())
        try:
            with self._db.transaction() as cur:
                cur.execute("INSERT INTO datasets (id, name, description, metadata, version, created_us, updated_us)"
                            " VALUES (%s, %s, %s, %s, 0, %s, %s)",
                            (dataset_id, name, description, _json(metadata or {}), stamp, stamp))
        except StoreError as exc:
            if self._db.is_unique_violation(exc):
                raise Conflict(f"a dataset named {name!r} exists already", field="name") from None
            raise
        return Dataset(dataset_id, name, 0, stamp, stamp, description, dict(metadata or {}), 0)

    def get_dataset(self, name_or_id: str) -> Dataset | None:
        rows = self._db.rows(f"SELECT {_DATASET_COLUMNS} FROM datasets d WHERE d.id = %s OR d.name = %s"
                             " ORDER BY d.id = %s DESC LIMIT 1", (name_or_id, name_or_id, name_or_id))
        return _dataset(rows[0]) if rows else None

    def list_datasets(self) -> list[Dataset]:
        return [_dataset(row) for row in self._db.rows(f"SELECT {_DATASET_COLUMNS} FROM datasets d ORDER BY d.name")]

    def update_dataset(self, dataset_id: str, *, name: str | None = None, description: str | None = None,
                       metadata: dict[str, Any] | None = None) -> Dataset:
        """Rename or re-describe a dataset (``None`` keeps the stored value); not a new version."""
        try:
            with self._db.transaction() as cur:
                cur.execute("UPDATE datasets SET name = coalesce(%s, name), description = coalesce(%s, description),"
                            " metadata = coalesce(%s, metadata) WHERE id = %s",
                            (name, description, _json(metadata), dataset_id))
                changed = cur.rowcount
        except StoreError as exc:
            if self._db.is_unique_violation(exc):
                raise Conflict(f"a dataset named {name!r} exists already", field="name") from None
            raise
        dataset = self.get_dataset(dataset_id) if changed else None
        if dataset is None:
            raise NotFound(f"no dataset with id {dataset_id}")
        return dataset

    def delete_dataset(self, name_or_id: str) -> bool:
        dataset = self.get_dataset(name_or_id)
        if dataset is None:
            return False
        with self._db.transaction() as cur:
            cur.execute("DELETE FROM examples WHERE dataset_id = %s", (dataset.id,))
            cur.execute("DELETE FROM dataset_versions WHERE dataset_id = %s", (dataset.id,))
            cur.execute("DELETE FROM datasets WHERE id = %s", (dataset.id,))
        return True

    def add_examples(self, dataset_id: str, examples: Sequence[NewExample], *, change: str = "add") -> list[Example]:
        stamp = now_us()
        added = []
        try:
            with self._db.transaction() as cur:
                version = _bump(cur, dataset_id, stamp, f"{change} {len(examples)} example(s)")
                for new in examples:
                    example = Example(
                        id=new.id or str(uuid.uuid4()), dataset_id=dataset_id, inputs=new.inputs, outputs=new.outputs,
                        metadata=dict(new.metadata), splits=list(new.splits), source_run_id=new.source_run_id,
                        version=version, created_us=stamp)
                    _insert(cur, example)
                    added.append(example)
        except StoreError as exc:
            if self._db.is_unique_violation(exc):
                raise Conflict("an example with one of these ids exists already", field="id") from None
            raise
        return added

    def update_example(self, example_id: str, *, inputs: Any = ..., outputs: Any = ...,
                       metadata: dict[str, Any] | None = None, splits: list[str] | None = None) -> Example:
        current = self.get_example(example_id)
        if current is None:
            raise NotFound(f"no current example with id {example_id}")
        stamp = now_us()
        with self._db.transaction() as cur:
            version = _bump(cur, current.dataset_id, stamp, f"edit {example_id}")
            cur.execute("UPDATE examples SET retired_version = %s WHERE id = %s AND retired_version IS NULL",
                        (version, example_id))
            edited = Example(
                id=example_id, dataset_id=current.dataset_id,
                inputs=current.inputs if inputs is ... else inputs,
                outputs=current.outputs if outputs is ... else outputs,
                metadata=current.metadata if metadata is None else dict(metadata),
                splits=current.splits if splits is None else list(splits),
                source_run_id=current.source_run_id, version=version, created_us=stamp)
            _insert(cur, edited)
        return edited

    def retire_examples(self, example_ids: Sequence[str]) -> int:
        if not example_ids:
            raise NotFound("no example ids given")
        found = [self.get_example(example_id) for example_id in example_ids]
        missing = [eid for eid, example in zip(example_ids, found, strict=True) if example is None]
        if missing:
            raise NotFound(f"no current example with id {missing[0]}")
        dataset_ids = {example.dataset_id for example in found if example is not None}
        if len(dataset_ids) != 1:
            raise Conflict("examples retired together must belong to one dataset", field="ids")
        stamp = now_us()
        with self._db.transaction() as cur:
            version = _bump(cur, dataset_ids.pop(), stamp, f"retire {len(example_ids)} example(s)")
            cur.executemany("UPDATE examples SET retired_version = %s WHERE id = %s AND retired_version IS NULL",
                            [(version, example_id) for example_id in example_ids])
        return version

    def get_example(self, example_id: str, version: int | None = None) -> Example | None:
        if version is None:
            rows = self._db.rows(f"SELECT {_EXAMPLE_COLUMNS} FROM examples WHERE id = %s AND retired_version IS NULL",
                                 (example_id,))
        else:
            rows = self._db.rows(f"SELECT {_EXAMPLE_COLUMNS} FROM examples WHERE id = %s AND created_version <= %s"
                                 " AND (retired_version IS NULL OR retired_version > %s)",
                                 (example_id, version, version))
        return _example(rows[0]) if rows else None

    def list_examples(self, dataset_id: str, *, version: int | None = None,
                      split: str | None = None) -> list[Example]:
        if version is None:
            sql = f"SELECT {_EXAMPLE_COLUMNS} FROM examples WHERE dataset_id = %s AND retired_version IS NULL"
            params: list[Any] = [dataset_id]
        else:
            sql = (f"SELECT {_EXAMPLE_COLUMNS} FROM examples WHERE dataset_id = %s AND created_version <= %s"
                   " AND (retired_version IS NULL OR retired_version > %s)")
            params = [dataset_id, version, version]
        if split is not None:
            sql += " AND coalesce(splits, '[]')::jsonb ? %s"
            params.append(split)
        # Order of first appearance of each id, so an edit keeps the example's place.
        sql += " ORDER BY (SELECT min(seq) FROM examples AS first WHERE first.id = examples.id), seq"
        return [_example(row) for row in self._db.rows(sql, params)]

    def list_versions(self, dataset_id: str) -> list[DatasetVersion]:
        rows = self._db.rows("SELECT dataset_id, version, created_us, change FROM dataset_versions"
                             " WHERE dataset_id = %s ORDER BY version", (dataset_id,))
        return [DatasetVersion(*row) for row in rows]


def _bump(cur: Any, dataset_id: str, stamp: int, change: str) -> int:
    """The dataset's next version, recorded (inside the caller's transaction; the row lock serializes nodes)."""
    cur.execute("UPDATE datasets SET version = version + 1, updated_us = %s WHERE id = %s RETURNING version",
                (stamp, dataset_id))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"no dataset with id {dataset_id}")
    cur.execute("INSERT INTO dataset_versions (dataset_id, version, created_us, change) VALUES (%s, %s, %s, %s)",
                (dataset_id, row[0], stamp, change))
    return int(row[0])


def _insert(cur: Any, example: Example) -> None:
    cur.execute(
        "INSERT INTO examples (id, dataset_id, inputs, outputs, metadata, splits, source_run_id, created_version,"
        " created_us) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (example.id, example.dataset_id, _json(example.inputs), _json(example.outputs), _json(example.metadata),
         _json(example.splits), example.source_run_id, example.version, example.created_us))


def _dataset(row: tuple[Any, ...]) -> Dataset:
    dataset_id, name, version, created_us, updated_us, description, metadata, count = row
    return Dataset(dataset_id, name, version, created_us, updated_us, description, _load(metadata, {}), int(count))


def _example(row: tuple[Any, ...]) -> Example:
    example_id, dataset_id, inputs, outputs, metadata, splits, source_run_id, version, created_us = row
    return Example(example_id, dataset_id, _load(inputs), _load(outputs), _load(metadata, {}), _load(splits, []),
                   source_run_id, version, created_us)
