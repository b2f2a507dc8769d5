"""``tracehound sql``: read-only SQL over the spans, traces, sessions and feedback views.

Reads the embedded store in ``--data-dir`` (every project), or a server with ``--url`` (the key's
projects; ``--api-key`` or ``TRACEHOUND_API_KEY``). Prints a table, JSON (``--json``) or CSV
(``--csv``). The views are described in ``docs/sql.md``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import click

from tracehound.cli.output import echo_json, table
from tracehound.cli.root import data_dir_option, load_settings, main, open_store
from tracehound.store.sql import DEFAULT_LIMIT, DEFAULT_TIMEOUT_S


@main.command("sql")
@click.argument("query")
@click.option("--project", multiple=True, help="Only these projects (repeatable).")
@click.option("--limit", type=int, default=DEFAULT_LIMIT, show_default=True, help="Most rows returned.")
@click.option("--timeout", "timeout_s", type=float, default=DEFAULT_TIMEOUT_S, show_default=True,
              help="Seconds before the query is stopped.")
@click.option("--url", default=None, help="Ask a running server (e.g. http://127.0.0.1:6180) instead of the data dir.")
@click.option("--api-key", default=None, help="The server's API key [TRACEHOUND_API_KEY].")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")
@data_dir_option
def sql(query: str, project: tuple[str, ...], limit: int, timeout_s: float, url: str | None, api_key: str | None,
        as_json: bool, as_csv: bool, data_dir: str | None) -> None:
    """Run one read-only SELECT, e.g. tracehound sql "SELECT name, count(*) FROM spans GROUP BY 1"."""
    projects = list(project) or None
    if url:
        result = _from_server(url, api_key or load_settings().api_key, query, projects, limit, timeout_s)
    else:
        from tracehound.errors import QueryError

        with open_store(data_dir) as store:
            try:
                result = store.sql(query, projects=projects, limit=limit, timeout_s=timeout_s).to_api()
            except QueryError as exc:
                raise click.ClickException(str(exc)) from None
    if as_json:
        echo_json(result)
    elif as_csv:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(result["columns"])
        writer.writerows(result["rows"])
        click.echo(out.getvalue(), nl=False)
    else:
        rows = [dict(zip(result["columns"], row, strict=True)) for row in result["rows"]]
        for line in table(rows, result["columns"]):
            click.echo(line)
        more = " (truncated: raise --limit)" if result["truncated"] else ""
        click.echo(f"{result['row_count']} rows in {result['elapsed_ms']:.1f} ms{more}", err=True)


def _from_server(url: str, api_key: str | None, query: str, projects: list[str] | None, limit: int,
                 timeout_s: float) -> dict[str, Any]:
    import httpx

    headers = {"X-API-Key": api_key} if api_key else {}
    try:
        response = httpx.post(f"{url.rstrip('/')}/api/v1/sql", headers=headers, timeout=timeout_s + 30,
                              json={"sql": query, "projects": projects, "limit": limit, "timeout_s": timeout_s})
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}") from None
    data = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code != 200:
        message = (data.get("error") or {}).get("message") or response.text[:500]
        raise click.ClickException(f"{response.status_code}: {message}")
    return data  # type: ignore[no-any-return]
