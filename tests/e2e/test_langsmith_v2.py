"""LangSmith SDK 0.15's recommended read path, ``Client.runs.query``/``retrieve`` (``/api/v2/runs``), on a server."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langsmith import Client, traceable, tracing_context


@pytest.fixture(scope="module")
def traced(server_url: str) -> Iterator[tuple[Client, str, str]]:
    """A project with one agent trace (two tool calls, one failing); yields (client, project id, name).

    The client and project are passed through ``tracing_context``, so no cached client or
    environment from another test decides where the runs go.
    """
    project = f"ls-v2-{uuid.uuid4().hex[:8]}"
    client = Client(api_url=server_url, api_key="any")

    @traceable(run_type="tool", name="lookup_order")
    def lookup(order_id: str) -> dict[str, Any]:
        if order_id == "bad":
            raise ValueError("no such order")
        return {"status": "shipped"}

    @traceable(name="support_agent", tags=["prod"])
    def agent(question: str) -> str:
        lookup("o-1")
        with contextlib.suppress(ValueError):
            lookup("bad")
        return "shipped"

    with tracing_context(enabled=True, client=client, project_name=project):
        agent("where is my order?")
    client.flush()
    yield client, str(client.read_project(project_name=project).id), project


@contextlib.asynccontextmanager
async def v2_client(traced_client: Client) -> AsyncIterator[Client]:
    """A fresh client whose generated async HTTP client is closed before the test's event loop ends."""
    client = Client(api_url=traced_client.api_url, api_key="any")
    try:
        yield client
    finally:
        await client._get_langsmith_api().close()


@pytest.mark.anyio
async def test_runs_query_pages_with_selects_and_filters(traced: tuple[Client, str, str],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    client, project_id, _ = traced
    async with v2_client(client) as reader:
        await _query_pages(reader, project_id, caplog)


async def _query_pages(client: Client, project_id: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="langsmith"):
        runs_api = client.runs  # SDK 0.15 hands out its generated async client here
    assert not [r for r in caplog.records if "older than" in r.getMessage()], "backend version warning"

    selects = ["ID", "NAME", "RUN_TYPE", "STATUS", "IS_ROOT", "INPUTS", "ERROR", "LATENCY_SECONDS", "TRACE_ID",
               "PARENT_RUN_IDS", "TAGS"]
    first = await runs_api.query(project_ids=[project_id], selects=selects, page_size=2)
    assert len(first.items) == 2 and first.next_cursor  # a second page exists
    every = [run async for run in runs_api.query(project_ids=[project_id], selects=selects, page_size=2)]
    assert sorted(run.name for run in every) == ["lookup_order", "lookup_order", "support_agent"]
    root = next(run for run in every if run.name == "support_agent")
    assert root.is_root and root.status == "SUCCESS" and root.tags == ["prod"]
    assert root.inputs == {"question": "where is my order?"} and root.latency_seconds >= 0
    failed = [run for run in every if run.status == "ERROR"]
    assert len(failed) == 1 and "no such order" in failed[0].error and failed[0].parent_run_ids == [root.id]
    assert {run.trace_id for run in every} == {root.id}

    tools = [run async for run in runs_api.query(project_ids=[project_id], filter='eq(run_type, "tool")',
                                                 has_error=False, selects=["NAME"])]
    assert [run.name for run in tools] == ["lookup_order"] and tools[0].id and tools[0].status is None

    only_ids = [run async for run in runs_api.query(project_ids=[project_id], is_root=True)]
    assert [run.id for run in only_ids] == [root.id] and only_ids[0].name is None  # no selects: only the id


@pytest.mark.anyio
async def test_runs_retrieve_and_errors(traced: tuple[Client, str, str]) -> None:
    from langsmith._exceptions import APIStatusError  # the generated client's error

    client, project_id, _ = traced
    async with v2_client(client) as reader:
        await _retrieve(reader, project_id, APIStatusError)


async def _retrieve(client: Client, project_id: str, APIStatusError: Any) -> None:
    roots = [run async for run in client.runs.query(project_ids=[project_id], is_root=True)]
    run = await client.runs.retrieve(roots[0].id, project_id=project_id,
                                     selects=["NAME", "OUTPUTS", "PROJECT_ID", "STATUS"])
    assert run.name == "support_agent" and run.outputs == {"output": "shipped"} and run.project_id == project_id
    assert run.status == "SUCCESS"

    with pytest.raises(APIStatusError) as missing:
        await client.runs.retrieve(str(uuid.uuid4()), project_id=project_id)
    assert missing.value.status_code == 404
    with pytest.raises(APIStatusError) as natural:
        await client.runs.query(project_ids=[project_id], ai_search="slow refunds")
    assert natural.value.status_code == 501
    with pytest.raises(APIStatusError) as bad:
        await client.runs.query(project_ids=[project_id], filter="eq(run_type,")
    assert bad.value.status_code in (400, 422)
