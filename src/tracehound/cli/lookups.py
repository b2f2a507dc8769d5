"""``tracehound session|lookup|triage|critical-path``: the on-call questions from a terminal."""

from __future__ import annotations

import click

from tracehound.cli.output import echo_json, table
from tracehound.cli.root import data_dir_option, main, open_store

_TRACE_COLUMNS = ("start_time", "trace_id", "name", "status", "latency_s", "span_count", "error_count", "user_id")


def _print_traces(traces: list[dict], as_json: bool) -> None:
    if as_json:
        echo_json({"trace_count": len(traces), "traces": traces})
        return
    for line in table(traces, _TRACE_COLUMNS):
        click.echo(line)


@main.command()
@click.argument("session_id")
@click.option("--limit", type=int, default=100, show_default=True, help="Most recent turns shown.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_dir_option
def session(session_id: str, limit: int, as_json: bool, data_dir: str | None) -> None:
    """The timeline of SESSION_ID: its traces in time order with totals."""
    from tracehound.query.lookups import find_traces

    with open_store(data_dir) as store:
        traces = [trace.to_api() for trace in find_traces(store, session_id=session_id, limit=limit)]
    if not traces and not as_json:
        raise click.ClickException(f"no session with id {session_id}")
    _print_traces(traces, as_json)


@main.command()
@click.option("--session-id", default=None)
@click.option("--user-id", default=None)
@click.option("--run-id", default=None)
@click.option("--correlation-id", default=None, help="A value stored in span metadata (an APM request id...).")
@click.option("--key", default=None, help="The metadata key holding --correlation-id (any key if omitted).")
@click.option("--project", default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_dir_option
def lookup(session_id: str | None, user_id: str | None, run_id: str | None, correlation_id: str | None,
           key: str | None, project: str | None, limit: int, as_json: bool, data_dir: str | None) -> None:
    """From a support ticket to the traces: by session, user, run id or correlation id."""
    from tracehound.query.lookups import find_traces

    with open_store(data_dir) as store:
        traces = [trace.to_api() for trace in find_traces(
            store, session_id=session_id, user_id=user_id, run_id=run_id, correlation_id=correlation_id, key=key,
            project=project, limit=limit)]
    _print_traces(traces, as_json)


@main.command()
@click.option("--tool", required=True, help="The tool's span name.")
@click.option("--since", default="1h", show_default=True, help='Window: "1h", "-30m" or an ISO-8601 time.')
@click.option("--project", default=None)
@click.option("--last", type=int, default=10, show_default=True, help="Most recent failing traces listed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_dir_option
def triage(tool: str, since: str, project: str | None, last: int, as_json: bool, data_dir: str | None) -> None:
    """Failures of a tool grouped by error: how many, how many users and sessions, since when."""
    from tracehound.query.lookups import since_us
    from tracehound.query.lookups import triage as triage_report

    with open_store(data_dir) as store:
        report = triage_report(store, tool=tool, since_us=since_us(since), project=project, last=last).to_api()
    if as_json:
        echo_json(report)
        return
    click.echo(f"{tool}: {report['failures']} failures since {report['since']}, {report['users']} users,"
               f" {report['sessions']} sessions; first {report['first_failure'] or '-'},"
               f" last {report['last_failure'] or '-'}")
    for line in table(report["groups"], ("count", "users", "sessions", "first_failure", "last_failure", "error")):
        click.echo(line)
    if report["recent"]:
        click.echo("")
        click.echo("most recent failing traces:")
        for line in table(report["recent"], ("time", "trace_id", "user_id", "session_id", "error")):
            click.echo(line)


@main.command("critical-path")
@click.argument("trace_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@data_dir_option
def critical_path_(trace_id: str, as_json: bool, data_dir: str | None) -> None:
    """Which spans TRACE_ID's duration is made of, and which siblings ran in parallel."""
    from tracehound.query.timing import timing_report

    with open_store(data_dir) as store:
        nodes = store.get_trace(trace_id.lower())
    if not nodes:
        raise click.ClickException(f"no trace with id {trace_id}")
    report = timing_report(trace_id.lower(), nodes)
    if as_json:
        echo_json(report)
        return
    click.echo(f"trace {trace_id}: {report['duration_s']:.3f} s")
    for line in table(report["critical_path"], ("duration_s", "share", "run_type", "name", "span_id")):
        click.echo(line)
    for group in report["parallel"]:
        kind = f"parallel (up to {group['max_concurrency']} at once)" if group["parallel"] else "sequential"
        click.echo(f"children of {group['parent_name']}: {group['children']} spans, {kind},"
                   f" overlap {group['overlap_s']:.3f} s, busy {group['busy_s']:.3f} s of {group['sum_s']:.3f} s")
