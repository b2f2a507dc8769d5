"""``GET /api/v1/export``: spans for a filter and window as JSONL (streamed) or Parquet, for the caller's projects.

Query: ``format=jsonl|parquet``, ``project`` (repeatable), ``filter`` (the filter language),
``start``/``end`` (ISO-8601 or relative, on start time; default: everything), ``roots=true`` to match
root spans only, ``traces=true`` for whole traces. JSONL streams page by page as it is read
(``application/x-ndjson``); Parquet is written a row group per page to a temporary file, then sent and
deleted. The records are what ``tracehound import``
and ``POST /api/v1/spans`` read back. A bad filter answers 400 before anything is sent.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from tracehound.query.bulkfile import ParquetSink, jsonl_lines
from tracehound.query.export import PAGE, ExportQuery, export_records
from tracehound.server.routes.sql import caller_projects
from tracehound.server.services import Services, services
from tracehound.timefmt import compact, now_us

router = APIRouter()


@router.get("/api/v1/export")
async def export(request: Request, format: Literal["jsonl", "parquet"] = "jsonl",
                 project: list[str] | None = Query(None), filter: str | None = None, start: str | None = None,
                 end: str | None = None, traces: bool = False, roots: bool = False,
                 svc: Services = Depends(services)) -> Response:
    """Stream the selected spans as a file download."""
    query = ExportQuery(projects=caller_projects(request, project), filter=filter, start_time=start, end_time=end,
                        traces=traces, roots=roots)
    records = export_records(svc.spans, query)
    records = await run_in_threadpool(_started, records)  # a bad filter fails here, before the 200
    name = f"tracehound-{compact(now_us())}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "jsonl":
        async def body() -> AsyncIterator[bytes]:
            page: list[bytes] = []
            async for line in iterate_in_threadpool(jsonl_lines(records)):
                page.append(line)
                if len(page) >= 100:
                    yield b"".join(page)
                    page = []
            if page:
                yield b"".join(page)

        return StreamingResponse(body(), media_type="application/x-ndjson", headers=disposition)
    path = await run_in_threadpool(_write_parquet, records)
    return FileResponse(path, media_type="application/vnd.apache.parquet", headers=disposition,
                        background=BackgroundTask(os.unlink, path))


def _started(records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Read the first record now, so a bad filter or time raises before the response starts."""
    first = next(records, None)

    def rest() -> Iterator[dict[str, Any]]:
        if first is not None:
            yield first
        yield from records

    return rest()


def _write_parquet(records: Iterator[dict[str, Any]]) -> str:
    handle, path = tempfile.mkstemp(prefix="tracehound-export-", suffix=".parquet")
    os.close(handle)
    try:
        with ParquetSink(path) as sink:
            page: list[dict[str, Any]] = []
            for record in records:
                page.append(record)
                if len(page) >= PAGE:
                    sink.write(page)
                    page = []
            sink.write(page)
    except BaseException:
        os.unlink(path)
        raise
    return path
