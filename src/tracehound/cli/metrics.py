"""``tracehound metrics ...``: rollup summaries, time series, per-run distributions, rebuild."""

from __future__ import annotations

from typing import Any

import click

from tracehound.cli.output import echo_json, table
from tracehound.cli.root import data_dir_option, main, open_store


def _filters(project: str | None, run_type: str | None, name: str | None, model: str | None) -> dict[str, Any]:
    return {k: v for k, v in {"project": project, "run_type": run_type, "name": name, "model": model}.items() if v}


@main.group()
def metrics() -> None:
    """Tool success rates, latency percentiles, tokens and cost over any window."""


def _common(func: Any) -> Any:
    for option in reversed((
        data_dir_option,
        click.option("--window", default="24h", show_default=True, help="Duration ending now (15m, 24h, 7d)."),
        click.option("--project", default=None, help="Only this project."),
        click.option("--run-type", default=None, help="Only this run type (tool, llm, chain...)."),
        click.option("--name", default=None, help="Only spans of this name."),
        click.option("--model", default=None, help="Only this model."),
        click.option("--group-by", default="name", show_default=True,
                     help="Comma-separated dimensions: project, run_type, name, model, status, root."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table."),
    )):
        func = option(func)
    return func


@metrics.command()
@_common
def summary(data_dir: str | None, window: str, project: str | None, run_type: str | None, name: str | None,
            model: str | None, group_by: str, as_json: bool) -> None:
    """Calls, error rate and p50/p95/p99 latency per group (e.g. per tool with --run-type tool)."""
    from tracehound.analytics.metrics import Window
    from tracehound.analytics.metrics import summary as compute

    with open_store(data_dir) as store:
        groups = tuple(g for g in group_by.split(",") if g)
        rows = compute(store, Window.last(window), group_by=groups, filters=_filters(project, run_type, name, model))
    if as_json:
        echo_json(rows)
        return
    # Calls include spans tail sampling dropped; percentiles, tokens and cost are of the kept ones.
    sampled = ["sampled_out"] if any(row["sampled_out"] for row in rows) else []
    for line in table(rows, [*groups, "calls", *sampled, "error_rate", "p50_ms", "p95_ms", "p99_ms", "total_tokens",
                             "cost"]):
        click.echo(line)


@metrics.command()
@_common
@click.option("--bucket", default="1h", show_default=True, help="Time bucket (5m, 1h, 1d).")
def timeseries(data_dir: str | None, window: str, project: str | None, run_type: str | None, name: str | None,
               model: str | None, group_by: str, as_json: bool, bucket: str) -> None:
    """The summary per time bucket (runs per hour: --run-type chain --group-by status)."""
    from tracehound.analytics.metrics import Window, parse_duration_us
    from tracehound.analytics.metrics import timeseries as compute

    with open_store(data_dir) as store:
        groups = tuple(g for g in group_by.split(",") if g)
        rows = compute(store, Window.last(window), parse_duration_us(bucket), group_by=groups,
                       filters=_filters(project, run_type, name, model))
    if as_json:
        echo_json(rows)
        return
    from tracehound.timefmt import iso

    for row in rows:
        row["bucket"] = iso(row["bucket_start_us"])
    sampled = ["sampled_out"] if any(row["sampled_out"] for row in rows) else []
    for line in table(rows, ["bucket", *groups, "calls", *sampled, "error_rate", "p95_ms", "total_tokens"]):
        click.echo(line)


@metrics.command()
@data_dir_option
@click.option("--window", default="24h", show_default=True, help="Duration ending now (15m, 24h, 7d).")
@click.option("--project", default=None, help="Only this project.")
@click.option("--agent", default=None, help="Only runs whose root span has this name.")
@click.option("--task-key", default=None, help="Metadata key naming a task (default: the session).")
def runs(data_dir: str | None, window: str, project: str | None, agent: str | None, task_key: str | None) -> None:
    """Tokens, cost and steps per run, cost per task, interrupt-and-resume rate (JSON)."""
    from tracehound.analytics.metrics import Window, run_metrics

    with open_store(data_dir) as store:
        body = run_metrics(store, Window.last(window), project=project, agent=agent, task_key=task_key)
    echo_json(body)


@metrics.command()
@data_dir_option
@click.option("--by", default="model", show_default=True, help="model, or a metadata key such as prompt_version.")
@click.option("--window", default="24h", show_default=True, help="Duration ending now (15m, 24h, 7d).")
@click.option("--project", default=None, help="Only this project.")
def tokens(data_dir: str | None, by: str, window: str, project: str | None) -> None:
    """Tokens per llm call grouped by model or prompt version."""
    from tracehound.analytics.metrics import Window, tokens_by

    with open_store(data_dir) as store:
        rows = tokens_by(store, Window.last(window), by, project=project)
    for line in table(rows, [by, "calls", "total_tokens", "tokens_per_call", "cost"]):
        click.echo(line)


@metrics.command()
@data_dir_option
def rebuild(data_dir: str | None) -> None:
    """Recompute every rollup bucket from the raw spans."""
    with open_store(data_dir) as store:
        count = store.rebuild_rollups()
    click.echo(f"rebuilt rollups from {count} finished spans")
