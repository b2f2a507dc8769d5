"""``tracehound export`` and ``tracehound import``: spans to and from JSONL or Parquet files.

Export reads the configured store (``--data-dir``) or a server (``--url``, the key's projects) and
writes span records (``query/export.py``); import reads the same files back, into the store or
through a server's ``POST /api/v1/spans`` (the ingest pipeline: validation, redaction, sampling).
Re-importing a file is harmless: spans merge on their id.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, BinaryIO

import click

from tracehound.cli.root import cli_stores, closing_for_cli, data_dir_option, load_settings, main


def _format_of(out: str, given: str | None) -> str:
    if given:
        return given
    return "parquet" if out.endswith(".parquet") else "jsonl"


@main.command("export")
@click.option("--out", "-o", required=True, help="File to write ('-' for standard output, JSONL only).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), default=None,
              help="File format [default: from the file name, else jsonl].")
@click.option("--project", multiple=True, help="Only these projects (repeatable).")
@click.option("--filter", "filter_", default=None, help='Filter language, e.g. eq(status, "error").')
@click.option("--since", default=None, help='Earliest start time: ISO-8601 or relative ("-7d").')
@click.option("--until", default=None, help="Latest start time (exclusive).")
@click.option("--traces", is_flag=True, help="Whole traces: every span of each trace with a matching span.")
@click.option("--roots", is_flag=True, help="Match root spans only (with --traces: the traces they start).")
@click.option("--url", default=None, help="Export from a running server instead of the data dir.")
@click.option("--api-key", default=None, help="The server's API key [TRACEHOUND_API_KEY].")
@data_dir_option
def export_command(out: str, fmt: str | None, project: tuple[str, ...], filter_: str | None, since: str | None,
                   until: str | None, traces: bool, roots: bool, url: str | None, api_key: str | None,
                   data_dir: str | None) -> None:
    """Write spans for a filter and window to a JSONL or Parquet file."""
    fmt = _format_of(out, fmt)
    if out == "-" and fmt != "jsonl":
        raise click.UsageError("Parquet cannot go to standard output: give --out FILE")
    if url:
        params: dict[str, Any] = {"format": fmt, "project": list(project), "filter": filter_, "start": since,
                                  "end": until, "traces": str(traces).lower(), "roots": str(roots).lower()}
        count = _download(url, api_key or load_settings().api_key,
                          {key: value for key, value in params.items() if value not in (None, [])}, out)
        click.echo(f"wrote {count} bytes to {out}", err=True)
        return
    from tracehound.query.bulkfile import ParquetSink, jsonl_lines
    from tracehound.query.export import PAGE, ExportQuery, export_records

    query = ExportQuery(projects=list(project) or None, filter=filter_, start_time=since, end_time=until,
                        traces=traces, roots=roots)
    with closing_for_cli(cli_stores(data_dir)) as stores:
        records = export_records(stores.spans, query)
        written = 0
        if fmt == "jsonl":
            target: BinaryIO = sys.stdout.buffer if out == "-" else open(out, "wb")  # noqa: SIM115
            try:
                for line in jsonl_lines(records):
                    target.write(line)
                    written += 1
            finally:
                if out != "-":
                    target.close()
        else:
            with ParquetSink(out) as sink:
                page: list[dict[str, Any]] = []
                for record in records:
                    page.append(record)
                    if len(page) >= PAGE:
                        sink.write(page)
                        page = []
                sink.write(page)
                written = sink.rows
    click.echo(f"exported {written} spans to {out}", err=True)


def _download(url: str, api_key: str | None, params: dict[str, Any], out: str) -> int:
    import httpx

    headers = {"X-API-Key": api_key} if api_key else {}
    size = 0
    try:
        with httpx.stream("GET", f"{url.rstrip('/')}/api/v1/export", params=params, headers=headers,
                          timeout=None) as response:
            if response.status_code != 200:
                response.read()
                raise click.ClickException(f"{response.status_code}: {response.text[:500]}")
            target: BinaryIO = sys.stdout.buffer if out == "-" else open(out, "wb")  # noqa: SIM115
            try:
                for chunk in response.iter_bytes():
                    target.write(chunk)
                    size += len(chunk)
            finally:
                if out != "-":
                    target.close()
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}") from None
    return size


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch", type=int, default=500, show_default=True, help="Spans per write.")
@click.option("--url", default=None, help="Send through a running server's ingest instead of the data dir.")
@click.option("--api-key", default=None, help="The server's API key [TRACEHOUND_API_KEY].")
@data_dir_option
def import_command(path: Path, batch: int, url: str | None, api_key: str | None, data_dir: str | None) -> None:
    """Read spans from a JSONL or Parquet file written by `tracehound export` (or any span JSON lines)."""
    import msgspec

    from tracehound.errors import TracehoundError
    from tracehound.model import Span
    from tracehound.query.bulkfile import read_batches

    count = 0
    try:
        if url:
            import httpx

            key = api_key or load_settings().api_key
            with httpx.Client(base_url=url.rstrip("/"), headers={"X-API-Key": key} if key else {},
                              timeout=120) as client:
                for records in read_batches(path, batch):
                    response = client.post("/api/v1/spans", json={"spans": records})
                    if response.status_code != 200:
                        raise click.ClickException(f"after {count} spans: {response.status_code}: "
                                                   f"{response.text[:500]}")
                    count += len(records)
        else:
            with closing_for_cli(cli_stores(data_dir)) as stores:
                for records in read_batches(path, batch):
                    try:
                        spans = [msgspec.convert(record, Span) for record in records]
                    except (msgspec.ValidationError, ValueError) as exc:
                        raise click.ClickException(f"after {count} spans: {exc}") from None
                    stores.meta.ensure_projects(sorted({span.project for span in spans}))
                    stores.spans.upsert(spans)
                    count += len(spans)
    except TracehoundError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"imported {count} spans from {path}", err=True)
