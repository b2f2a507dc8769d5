"""``tracehound runs list|get`` and ``tracehound search``: the run listing from a terminal.

Commands read the embedded store in ``--data-dir`` directly (as ``tracehound trace`` does), print a
table by default and the API's JSON with ``--json``.
"""

from __future__ import annotations

from typing import Any

import click
import msgspec

from tracehound.cli.output import echo_json, table
from tracehound.cli.root import data_dir_option, main, open_store

_COLUMNS = ("start_time", "id", "run_type", "name", "status", "latency_s", "user_id", "session_id")


def _show_page(query: Any, data_dir: str | None, as_json: bool) -> Any:
    """One page of runs printed as the API's JSON or as a table; returns the page."""
    from tracehound.query.runs import list_runs

    with open_store(data_dir) as store:
        page = list_runs(store, query)
    if as_json:
        echo_json(page.to_api())
    else:
        for line in table(page.runs, _COLUMNS):
            click.echo(line)
    return page


@main.group()
def runs() -> None:
    """List and read runs (spans) with the filter language."""


@runs.command("list")
@click.option("--filter", "filter_", default=None, help='Filter, e.g. and(eq(run_type, "tool"), gt(latency, 5)).')
@click.option("--trace-filter", default=None, help="Condition on each run's trace root.")
@click.option("--tree-filter", default=None, help="Condition some span of each run's trace must meet.")
@click.option("--project", multiple=True, help="Project name (repeatable).")
@click.option("--run-type", multiple=True, help="Run type (repeatable).")
@click.option("--root/--all", "roots_only", default=False, help="Only root runs (one per trace).")
@click.option("--since", default=None, help='Earliest start time: ISO-8601 or relative ("-24h").')
@click.option("--limit", type=int, default=20, show_default=True, help="Runs per page.")
@click.option("--cursor", default=None, help="Cursor from a previous --json page.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON (with the next cursor).")
@data_dir_option
def list_(filter_: str | None, trace_filter: str | None, tree_filter: str | None, project: tuple[str, ...],
          run_type: tuple[str, ...], roots_only: bool, since: str | None, limit: int, cursor: str | None,
          as_json: bool, data_dir: str | None) -> None:
    """List runs newest first, narrowed by a filter."""
    from tracehound.query.runs import RunQuery

    query = RunQuery(project=list(project) or None, run_type=list(run_type) or None, filter=filter_,
                     trace_filter=trace_filter, tree_filter=tree_filter, is_root=True if roots_only else None,
                     start_time=since, limit=limit, cursor=cursor)
    page = _show_page(query, data_dir, as_json)
    if page.cursor and not as_json:
        click.echo(f"more: --cursor {page.cursor}")


@runs.command("get")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@data_dir_option
def get(run_id: str, as_json: bool, data_dir: str | None) -> None:
    """Print one run with its inputs, outputs and error."""
    with open_store(data_dir) as store:
        span = store.get_span(run_id.lower())
    if span is None:
        raise click.ClickException(f"no run with id {run_id}")
    data = span.to_api()
    if as_json:
        echo_json(data)
        return
    for key in ("id", "trace_id", "parent_id", "project", "name", "run_type", "status", "start_time", "end_time",
                "latency_s", "session_id", "user_id", "model", "total_tokens", "cost", "tags", "metadata"):
        if data.get(key) not in (None, [], {}):
            click.echo(f"{key + ':':<14} {data[key]}")
    for key in ("error", "inputs", "outputs"):
        if data.get(key) is not None:
            click.echo(f"{key}:")
            click.echo(msgspec.json.format(msgspec.json.encode(data[key]), indent=2).decode())


@main.command()
@click.argument("text")
@click.option("--project", default=None, help="Only this project.")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@data_dir_option
def search(text: str, project: str | None, limit: int, as_json: bool, data_dir: str | None) -> None:
    """Runs whose inputs, outputs, error or metadata contain every word of TEXT, newest first."""
    from tracehound.query.runs import RunQuery

    query = RunQuery(project=project, filter=f"search({msgspec.json.encode(text).decode()})", limit=limit)
    _show_page(query, data_dir, as_json)
