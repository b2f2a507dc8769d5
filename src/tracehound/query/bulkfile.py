"""Span records to and from files: JSONL (one span JSON per line) and Parquet (pyarrow, the ``parquet`` extra).

Parquet columns are the span model's fields: ids and names as strings, ``start_time``/``end_time`` as
``timestamp[us, UTC]``, numbers as int64/float64, and the nested values (``inputs``, ``outputs``,
``metadata``, ``tags``, ``events``, ``cost_details``) as JSON text, so any Parquet reader (DuckDB,
pandas, Spark) opens the file and ``json_extract`` reaches inside. Writes go one row group per page.

    with ParquetSink(path) as sink:
        sink.write(records)
    for batch in read_batches(path, 500):
        ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

import msgspec

from tracehound.errors import MalformedRequest, TracehoundError
from tracehound.timefmt import iso, parse_iso_us, parse_time_us

PARQUET_MAGIC: Final = b"PAR1"
JSON_COLUMNS: Final = ("inputs", "outputs", "metadata", "tags", "events", "cost_details")
INT_COLUMNS: Final = ("prompt_tokens", "completion_tokens", "total_tokens", "step")
TIME_COLUMNS: Final = ("start_time", "end_time")
STRING_COLUMNS: Final = ("id", "trace_id", "parent_id", "dotted_order", "project", "session_id", "user_id",
                         "run_type", "name", "status", "status_reason", "error", "model", "reference_example_id")
INSTALL: Final = "Parquet needs pyarrow: pip install 'tracehound[parquet]'"


class ParquetUnavailable(TracehoundError):
    status = 501
    code = "parquet_unavailable"


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ParquetUnavailable(f"{INSTALL} ({exc})") from None
    return pyarrow


def jsonl_lines(records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """One JSON line per record."""
    encode = msgspec.json.encode
    for record in records:
        yield encode(record) + b"\n"


def _schema(pa: Any) -> Any:
    fields = [pa.field(name, pa.string()) for name in STRING_COLUMNS]
    fields += [pa.field(name, pa.timestamp("us", tz="UTC")) for name in TIME_COLUMNS]
    fields += [pa.field(name, pa.int64()) for name in INT_COLUMNS]
    fields += [pa.field("cost", pa.float64())]
    fields += [pa.field(name, pa.string()) for name in JSON_COLUMNS]
    return pa.schema(fields)


class ParquetSink:
    """Writes pages of span records as row groups of one Parquet file."""

    def __init__(self, path: str | Path) -> None:
        self.pa = _pyarrow()
        self.schema = _schema(self.pa)
        self.writer = self.pa.parquet.ParquetWriter(str(path), self.schema, compression="zstd")
        self.rows = 0

    def write(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        columns: dict[str, list[Any]] = {name: [] for name in self.schema.names}
        for record in records:
            for name in STRING_COLUMNS + INT_COLUMNS + ("cost",):
                columns[name].append(record.get(name))
            for name in TIME_COLUMNS:
                value = record.get(name)
                columns[name].append(None if value is None else parse_time_us(value) if isinstance(value, str)
                                     else int(value))
            for name in JSON_COLUMNS:
                value = record.get(name)
                columns[name].append(None if value is None else msgspec.json.encode(value).decode())
        self.writer.write_table(self.pa.table(columns, schema=self.schema))
        self.rows += len(records)

    def close(self) -> None:
        self.writer.close()

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_batches(path: str | Path, batch_size: int = 500) -> Iterator[list[dict[str, Any]]]:
    """Span records from a JSONL or Parquet file (told apart by Parquet's magic bytes), in batches.

    Raises:
        MalformedRequest: a line that is not a JSON object (naming the line), or an unreadable file.
    """
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic == PARQUET_MAGIC:
        yield from _parquet_batches(path, batch_size)
    else:
        yield from _jsonl_batches(path, batch_size)


def _jsonl_batches(path: str | Path, batch_size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = msgspec.json.decode(line)
            except msgspec.DecodeError as exc:
                raise MalformedRequest(f"{path}:{number}: not JSON: {exc}") from None
            if not isinstance(record, dict):
                raise MalformedRequest(f"{path}:{number}: expected a span object")
            batch.append(record)
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch


def _parquet_batches(path: str | Path, batch_size: int) -> Iterator[list[dict[str, Any]]]:
    pa = _pyarrow()
    try:
        source = pa.parquet.ParquetFile(str(path))
    except (pa.ArrowException, OSError) as exc:
        raise MalformedRequest(f"{path}: not a readable Parquet file: {exc}") from None
    for table in source.iter_batches(batch_size=batch_size):
        rows = table.to_pylist()
        out = []
        for row in rows:
            record = {key: value for key, value in row.items() if value is not None}
            for name in TIME_COLUMNS:
                if name in record:
                    record[name] = iso(parse_iso_us(record[name].isoformat()))
            for name in JSON_COLUMNS:
                if name in record:
                    record[name] = msgspec.json.decode(record[name])
            out.append(record)
        yield out
