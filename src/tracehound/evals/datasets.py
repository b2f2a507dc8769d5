"""Dataset helpers: promote runs to examples, and move examples in and out as JSONL or CSV.

A bad production answer becomes a permanent test in one call::

    promote_run(spans, meta.datasets, "refunds", run_id, outputs={"answer": "Refunds take 5 days"},
                metadata={"incident_id": "INC-42"}, splits=["smoke"])

The example keeps where it came from: ``source_run_id`` plus ``promoted_from_run``,
``promoted_from_trace`` and ``promoted_from_project`` in its metadata.

File formats. JSONL: one object per line with ``inputs``, ``outputs``, ``metadata``, ``splits`` and an
optional ``id``. CSV: the same columns holding JSON (``splits`` may also be ``a;b``), and/or flat
columns ``inputs.<key>``, ``outputs.<key>``, ``metadata.<key>`` holding plain text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec

from tracehound.errors import MalformedRequest, NotFound
from tracehound.model import Span
from tracehound.store.base import Dataset, DatasetStore, Example, NewExample, SpanCriteria, SpanStore

FORMATS: Final = ("jsonl", "csv")
_GROUPS: Final = ("inputs", "outputs", "metadata")


def require_dataset(datasets: DatasetStore, name_or_id: str) -> Dataset:
    """The dataset, or ``NotFound`` naming it."""
    dataset = datasets.get_dataset(name_or_id)
    if dataset is None:
        raise NotFound(f"no dataset named {name_or_id!r}")
    return dataset


def example_from_run(run: Span, *, outputs: Any = None, use_run_outputs: bool = False,
                     metadata: dict[str, Any] | None = None, splits: Sequence[str] = ()) -> NewExample:
    """A new example with the run's inputs, the given reference output and the run's provenance."""
    provenance = {"promoted_from_run": run.id, "promoted_from_trace": run.trace_id,
                  "promoted_from_project": run.project}
    reference = run.outputs if use_run_outputs and outputs is None else outputs
    return NewExample(inputs=run.inputs, outputs=reference, metadata={**provenance, **(metadata or {})},
                      splits=list(splits), source_run_id=run.id)


def promote_run(spans: SpanStore, datasets: DatasetStore, dataset: str, run_id: str, *, outputs: Any = None,
                use_run_outputs: bool = False, metadata: dict[str, Any] | None = None,
                splits: Sequence[str] = ()) -> Example:
    """Copy a stored run into a dataset as one example (one new dataset version).

    Args:
        spans: where the run is stored.
        datasets: where the dataset is.
        dataset: its name or id.
        run_id: the span to promote (usually a trace's root).
        outputs: the reference output (what the run should have answered).
        use_run_outputs: take the run's own outputs as the reference when ``outputs`` is not given.
        metadata: more metadata (``incident_id``, ``category``...).
        splits: splits to put the example in (``smoke``, ``full``).

    Raises:
        NotFound: no such dataset or run.
    """
    target = require_dataset(datasets, dataset)
    run = spans.get_span(run_id.lower())
    if run is None:
        raise NotFound(f"no run with id {run_id}")
    new = example_from_run(run, outputs=outputs, use_run_outputs=use_run_outputs, metadata=metadata, splits=splits)
    return datasets.add_examples(target.id, [new], change=f"promote run {run.id}")[0]


def find_runs(spans: SpanStore, *, filter: str | None = None, project: str | None = None,
              run_type: str | None = None, name: str | None = None, status: str | None = None,
              roots_only: bool = True, limit: int = 100) -> list[Span]:
    """Runs for bulk promotion: by the filter language when ``filter`` is given, else by simple criteria."""
    if filter:
        from tracehound.query.runs import RunQuery, list_runs

        page = list_runs(spans, RunQuery(project=project, run_type=run_type, filter=filter,  # type: ignore[arg-type]
                                         is_root=True if roots_only else None, select=["id"], limit=limit))
        found = [spans.get_span(run["id"]) for run in page.runs]
        return [run for run in found if run is not None]
    criteria = SpanCriteria(project=project, run_type=run_type, name=name, status=status,
                            is_root=True if roots_only else None, limit=limit)
    return spans.list_spans(criteria)


def promote_runs(spans: SpanStore, datasets: DatasetStore, dataset: str, runs: Iterable[Span], *,
                 use_run_outputs: bool = False, metadata: dict[str, Any] | None = None,
                 splits: Sequence[str] = ()) -> list[Example]:
    """Promote many runs as one dataset version (the reference output is the run's own when asked)."""
    target = require_dataset(datasets, dataset)
    news = [example_from_run(run, use_run_outputs=use_run_outputs, metadata=metadata, splits=splits) for run in runs]
    if not news:
        return []
    return datasets.add_examples(target.id, news, change="promote runs")


# Files ------------------------------------------------------------------------------------------


def example_record(example: Example) -> dict[str, Any]:
    """The example as a JSON-ready dict (the API's and the files' shape)."""
    return {"id": example.id, "dataset_id": example.dataset_id, "inputs": example.inputs, "outputs": example.outputs,
            "metadata": example.metadata, "splits": example.splits, "source_run_id": example.source_run_id,
            "version": example.version}


def export_examples(examples: Sequence[Example], fmt: str) -> str:
    """Examples as JSONL or CSV text (JSON in the CSV cells)."""
    if fmt == "jsonl":
        keys = ("id", "inputs", "outputs", "metadata", "splits", "source_run_id")
        return "".join(msgspec.json.encode({key: example_record(e)[key] for key in keys}).decode() + "\n"
                       for e in examples)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["id", "inputs", "outputs", "metadata", "splits", "source_run_id"])
        for e in examples:
            writer.writerow([e.id, *(msgspec.json.encode(v).decode() for v in (e.inputs, e.outputs, e.metadata)),
                             ";".join(e.splits), e.source_run_id or ""])
        return out.getvalue()
    raise MalformedRequest(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}", field="format")


def parse_examples(text: str, fmt: str) -> list[NewExample]:
    """Read JSONL or CSV text into new examples.

    Raises:
        MalformedRequest: naming the line (JSONL) or row (CSV) that cannot be read.
    """
    if fmt == "jsonl":
        news = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = msgspec.json.decode(line)
            except msgspec.DecodeError as exc:
                raise MalformedRequest(f"line {number}: not JSON: {exc}", field="body") from None
            news.append(_new_example(record, f"line {number}"))
        return news
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        return [_new_example(_csv_record(row, number), f"row {number}") for number, row in enumerate(reader, 1)]
    raise MalformedRequest(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}", field="format")


def _csv_record(row: dict[str, str | None], number: int) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for column, cell in row.items():
        if column is None or cell is None:
            continue
        group, _, key = column.partition(".")
        if key and group in _GROUPS:
            record.setdefault(group, {})[key] = cell
        elif column in _GROUPS:
            if cell.strip():
                try:
                    record[column] = msgspec.json.decode(cell)
                except msgspec.DecodeError:
                    raise MalformedRequest(f"row {number}: column {column!r} is not JSON", field=column) from None
        elif column == "splits":
            cell = cell.strip()
            record["splits"] = msgspec.json.decode(cell) if cell.startswith("[") else [
                part.strip() for part in cell.split(";") if part.strip()]
        elif column in ("id", "source_run_id") and cell.strip():
            record[column] = cell.strip()
    return record


def _new_example(record: Any, where: str) -> NewExample:
    if not isinstance(record, dict) or "inputs" not in record:
        raise MalformedRequest(f"{where}: an example needs an `inputs` value", field="inputs")
    metadata = record.get("metadata") or {}
    splits = record.get("splits") or []
    if not isinstance(metadata, dict) or not isinstance(splits, list):
        raise MalformedRequest(f"{where}: `metadata` must be an object and `splits` a list", field="metadata")
    return NewExample(inputs=record["inputs"], outputs=record.get("outputs"), metadata=metadata,
                      splits=[str(s) for s in splits], source_run_id=record.get("source_run_id"), id=record.get("id"))
